"""Pure logic of export/v2 (COPY text): a manifest's sections are checked against the catalog before any write."""
from __future__ import annotations

import pytest
from ansible_collections.complianceflow.infra.plugins.module_utils._pg import copy_text
from ansible_collections.complianceflow.infra.plugins.module_utils._pg.connection import PgError

TABLES = {
    "notes": {"columns": ["tenant_id", "id", "body"], "pk": ["tenant_id", "id"], "tenant": True, "identity_always": False},
    "log": {"columns": ["line"], "pk": [], "tenant": False, "identity_always": False},
}
NOTES = {"table": "notes", "columns": ["tenant_id", "id", "body"], "rows": 2}


def manifest(*sections, rows=None):
    return {"file": "t.pgcopy", "sections": list(sections), "rows": sum(s["rows"] for s in sections) if rows is None else rows}


def test_sections_that_fit_the_catalog_are_returned_in_file_order():
    first = {**NOTES, "columns": ["tenant_id", "id"], "rows": 0}  # fewer columns: the rest take their defaults
    assert copy_text.checked_sections(manifest(first, NOTES), TABLES) == [first, NOTES]


@pytest.mark.parametrize("bad, message", [
    ({"file": "t.pgcopy", "rows": 0}, "t.pgcopy: the manifest has no list 'sections'"),
    (manifest({**NOTES, "rows": -1}, rows=-1), "section 1 must be a mapping with 'table' (a name), 'columns' (a list) and 'rows'"),
    (manifest({**NOTES, "rows": True}, rows=1), "section 1 must be a mapping"),
    (manifest({**NOTES, "table": "nope"}), "t.pgcopy: table 'nope' does not exist in schema public"),
    (manifest({"table": "log", "columns": ["line"], "rows": 1}), "table 'log' has no primary key"),
    (manifest({**NOTES, "columns": ["tenant_id", "id", "id"]}), "columns ['tenant_id', 'id', 'id'] must be distinct column names"),
    (manifest({**NOTES, "columns": []}), "columns [] must be distinct column names, at least one"),
    (manifest({**NOTES, "columns": ["tenant_id", "id", "colour"]}),
     "columns ['tenant_id', 'id', 'colour'] must be distinct columns of the table (columns: tenant_id, id, body)"),
    (manifest(NOTES, rows=3), "the sections' rows do not add up to the manifest's 3"),
])
def test_a_section_that_does_not_fit_is_refused_with_what_is_wrong(bad, message):
    """Shape errors fail without the catalog too (check_section_shape runs before connecting)."""
    with pytest.raises(PgError) as caught:
        copy_text.checked_sections(bad, TABLES)
    assert message in str(caught.value)


def test_the_export_query_names_columns_tenant_and_primary_key_order():
    text = copy_text.copy_out_sql("notes", TABLES["notes"], "tenant_id", "11111111-1111-4111-8111-111111111111").as_string(None)
    assert text == ('COPY (SELECT "tenant_id", "id", "body" FROM "public"."notes" WHERE "tenant_id" = '
                    "'11111111-1111-4111-8111-111111111111' ORDER BY \"tenant_id\", \"id\") TO STDOUT")


def test_a_malformed_manifest_is_refused_while_verifying_files_before_any_connection(tmp_path):
    """postgresql_import verifies every unit (verified_units) before it connects: a v2 manifest's shape is part of that."""
    import hashlib
    import json

    from ansible_collections.complianceflow.infra.plugins.module_utils._pg.data import verified_units
    (tmp_path / "_reference.pgcopy").write_bytes(b"DE\tGermany\n")
    (tmp_path / "_reference.manifest.json").write_text(json.dumps({
        "format": copy_text.FORMAT, "tenant": None, "file": "_reference.pgcopy", "rows": 1,
        "sections": [{"table": "countries", "columns": ["code", "name", "code"], "rows": 1}],
        "sha256": "sha256:" + hashlib.sha256(b"DE\tGermany\n").hexdigest()}))
    with pytest.raises(PgError, match=r"_reference.pgcopy: table countries: columns \['code', 'name', 'code'\] must be distinct"):
        verified_units(str(tmp_path), None, True)
