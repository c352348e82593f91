"""Pure logic of the GDPR erase and export (module_utils/_pg/gdpr.py): order of the deletes, the signed record, slugs."""
from __future__ import annotations

import hashlib
import hmac
import json

import pytest
from ansible_collections.complianceflow.infra.plugins.module_utils._pg import gdpr
from ansible_collections.complianceflow.infra.plugins.module_utils._pg.connection import PgError

ACME = "c4ac8cf9-3d47-58ca-ab5e-1e8d1c22a3c1"


def table(parents=(), tenant=True):
    return {"columns": ["tenant_id", "id"], "pk": ["tenant_id", "id"], "tenant": tenant, "identity_always": False,
            "parents": list(parents)}


def test_children_are_deleted_before_their_parents_whatever_the_names_say():
    # a_events -> cases -> b_declarations (names sort the wrong way round); users has no key; codes is reference data.
    tables = {"a_events": table(["cases"]), "cases": table(["b_declarations"]), "b_declarations": table(),
              "users": table(), "codes": table(tenant=False), "roles_of_users": table(["users", "codes"])}
    order = gdpr.erase_order(tables)
    assert "codes" not in order and sorted(order) == sorted(n for n, m in tables.items() if m["tenant"])
    for child, meta in tables.items():
        for parent in meta["parents"]:
            if tables[parent]["tenant"] and child in order:
                assert order.index(child) < order.index(parent), (child, parent, order)


def test_a_foreign_key_cycle_is_refused_not_guessed():
    with pytest.raises(PgError, match="form a cycle"):
        gdpr.erase_order({"a": table(["b"]), "b": table(["a"])})


def record(**change):
    base = dict(tenant="acme", tenant_id=ACME, deployment="westeu-dev-1", run_id="20261203T151500Z-1", who="alice",
                when="2026-12-03T15:15:02Z", key_id="gdpr-signing-key",
                counts={"case_service": {"cases": 2, "case_events": 3}, "user_service": {"users": 4}},
                tombstones=[])
    base.update(change)
    return gdpr.erasure_record(**base)


def test_the_record_lists_every_table_with_its_count_and_the_signature_is_hmac_sha256_of_the_canonical_json():
    rec = record()
    assert rec["deleted"] == [{"database": "case_service", "table": "case_events", "count": 3},
                              {"database": "case_service", "table": "cases", "count": 2},
                              {"database": "user_service", "table": "users", "count": 4}]
    assert rec["rows"] == 9 and rec["algorithm"] == "HMAC-SHA256"
    signature = gdpr.sign(rec, "secret-key")
    # Anyone can check it without this code: sorted keys, no spaces, UTF-8.
    text = json.dumps(rec, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()
    assert signature == hmac.new(b"secret-key", text, hashlib.sha256).hexdigest()
    assert gdpr.verify(json.loads(json.dumps(rec)), signature, "secret-key")   # survives a JSON round trip (the trail)


@pytest.mark.parametrize("tamper", [
    lambda r: r["deleted"][0].update(count=2),
    lambda r: r.update(who="mallory"),
    lambda r: r.update(when="2026-12-04T00:00:00Z"),
    lambda r: r["deleted"].pop(),
])
def test_a_tampered_record_or_another_key_does_not_verify(tamper):
    rec = record()
    signature = gdpr.sign(rec, "secret-key")
    assert not gdpr.verify(rec, signature, "other-key")
    tamper(rec)
    assert not gdpr.verify(rec, signature, "secret-key")


def test_an_empty_key_signs_nothing():
    with pytest.raises(PgError, match="signing_key is empty"):
        gdpr.sign(record(), "")


@pytest.mark.parametrize("slug", ["acme", "contoso", "a1-b", "x" * 40])
def test_slugs_of_the_registry_are_accepted(slug):
    assert gdpr.check_slug(slug) == slug


@pytest.mark.parametrize("slug", ["Acme", "ac", "acme-", "1acme", "acme;drop", "x" * 41, "", None, "ac me"])
def test_bad_slugs_are_refused_naming_the_value_and_the_rule(slug):
    with pytest.raises(PgError, match=r"invalid tenant slug .*3-40 characters a-z, 0-9 and -"):
        gdpr.check_slug(slug)


def test_the_playbooks_check_slugs_with_the_same_rule():
    import yaml  # pylint: disable=import-outside-toplevel
    from pathlib import Path  # pylint: disable=import-outside-toplevel

    shared = yaml.safe_load((Path(__file__).resolve().parents[3] / "playbooks" / "vars" / "gdpr.yml").read_text())
    assert shared["gdpr_slug_pattern"] == gdpr.SLUG_RE.pattern


def test_tenant_id_is_required_without_the_registry():
    params = {"tenant": "acme", "tenant_id": None, "registry_database": "tenant_registry"}
    with pytest.raises(PgError, match="tenant_id is required"):
        gdpr.tenant_id_for(params, ["user_service"], set(), None)
    assert gdpr.tenant_id_for({**params, "tenant_id": ACME.upper()}, ["user_service"], set(), None) == ACME
    # Check mode before the registry exists: nothing to resolve, nothing to do.
    assert gdpr.tenant_id_for(params, ["tenant_registry"], {"tenant_registry"}, None) is None
    with pytest.raises(PgError, match="invalid tenant_id 'x'"):
        gdpr.tenant_id_for({**params, "tenant_id": "x"}, ["user_service"], set(), None)
