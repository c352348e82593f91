"""postgresql_seed, postgresql_export and postgresql_import against a real PostgreSQL."""
from __future__ import annotations

import json
import time
from pathlib import Path

import pytest
from pg import connect, run_module, tenant_transaction, unique_name

FIXTURES = Path(__file__).parent / "fixtures"
SEED = FIXTURES / "seed" / "base.yml"
TENANT_A = "11111111-1111-4111-8111-111111111111"
TENANT_B = "22222222-2222-4222-8222-222222222222"


def make_db(pg_args):
    name = unique_name("dat")
    assert run_module("postgresql_tier", {**pg_args, "databases": [{"name": name}]})[1]["changed"] is True
    res = run_module("postgresql_migrations", {**pg_args, "database": name, "path": str(FIXTURES / "migrations" / "base")})[1]
    assert res["applied"] == ["0001_notes.sql", "0002_view.sql"], res
    return name


@pytest.fixture()
def db(pg_args):
    return make_db(pg_args)


def counts(pg_cluster, db):
    """Rows per tenant as the app role would see them (the admin acts as it, like the modules)."""
    out = {}
    with connect(pg_cluster, db) as conn:
        for tenant in (TENANT_A, TENANT_B):
            with tenant_transaction(conn, tenant):
                conn.execute(f'SET LOCAL ROLE "{db}_app"')
                out[tenant] = conn.execute("SELECT (SELECT count(*) FROM notes), (SELECT count(*) FROM events)").fetchone()
        out["countries"] = conn.execute("SELECT count(*) FROM countries").fetchone()[0]
    return out


def seed(pg_args, db, path=SEED, **kwargs):
    return run_module("postgresql_seed", {**pg_args, "database": db, "path": str(path)}, **kwargs)


def test_seed_check_mode_then_apply_then_idempotent(pg_cluster, pg_args, db):
    empty = counts(pg_cluster, db)
    run, res = seed(pg_args, db, check=True, diff=True)
    assert res["changed"] is True and res["inserted"] == {"countries": 2, "notes": 3, "events": 2}, res
    assert res["diff"]["before"]["notes"] == "0 of 3 seed rows present"
    assert counts(pg_cluster, db) == empty
    run, res = seed(pg_args, db)
    assert res["changed"] is True and res["inserted"] == {"countries": 2, "notes": 3, "events": 2}
    assert counts(pg_cluster, db) == {TENANT_A: (2, 1), TENANT_B: (1, 1), "countries": 2}
    assert f'SET LOCAL ROLE "{db}_app"' in res["queries"]  # tenant rows went through the app role
    run, res = seed(pg_args, db)
    assert res["changed"] is False and res["inserted"] == {"countries": 0, "notes": 0, "events": 0}


@pytest.mark.parametrize("content,message", [
    ("tables: [{table: nope, rows: []}]", "table 'nope' does not exist in schema public"),
    ("tables: [{table: notes, rows: [{tenant_id: 11111111-1111-4111-8111-111111111111, id: 1, colour: red}]}]",
     "notes row 1: unknown column(s) colour"),
    ("tables: [{table: notes, rows: [{tenant_id: acme, id: 1, body: x}]}]", "notes row 1: tenant id 'acme' is not a uuid"),
    ("tables: [{table: notes, rows: [{tenant_id: 11111111-1111-4111-8111-111111111111, body: x}]}]",
     "primary key column(s) id need a value"),
    ("rows: []", "expected a mapping with a list 'tables'"),
])
def test_seed_rejects_bad_files_before_writing(pg_cluster, pg_args, db, tmp_path, content, message):
    bad = tmp_path / "bad.yml"
    bad.write_text(content)
    run, res = seed(pg_args, db, bad)
    assert res["failed"] is True and message in res["msg"], res["msg"]
    assert "Traceback" not in run.stdout + run.stderr and counts(pg_cluster, db)["countries"] == 0


def export(pg_args, db, dest, tenants=(TENANT_A, TENANT_B), include_reference=True, **kwargs):
    args = {**pg_args, "database": db, "dest": str(dest), "tenants": list(tenants), "include_reference": include_reference}
    return run_module("postgresql_export", args, **kwargs)


def test_export_import_round_trip_is_equal(pg_cluster, pg_args, db, tmp_path):
    seed(pg_args, db)
    first, second = tmp_path / "first", tmp_path / "second"
    run, res = export(pg_args, db, first, check=True)
    assert res["changed"] is True and not first.exists()
    run, res = export(pg_args, db, first, diff=True)
    assert res["changed"] is True and [f["rows"] for f in res["files"]] == [2, 3, 2]
    assert res["diff"]["after"][str(first / f"{TENANT_A}.pgcopy")].startswith("3 rows, sha256:")
    manifest = json.loads((first / f"{TENANT_A}.manifest.json").read_text())
    assert manifest["format"] == "complianceflow.infra/export/v2" and manifest["settings"]["TimeZone"] == "UTC"
    assert manifest["sections"] == [{"table": "events", "columns": ["tenant_id", "id", "payload"], "rows": 1},
                                    {"table": "notes", "columns": ["tenant_id", "id", "body", "country"], "rows": 2}]
    lines = (first / f"{TENANT_A}.pgcopy").read_text().splitlines()  # COPY text: one line per row, tab-separated
    assert [line.split("\t")[:2] for line in lines] == [[TENANT_A, "1"], [TENANT_A, "1"], [TENANT_A, "2"]]
    assert lines[2] == f"{TENANT_A}\t2\tquote ' and \\\\ backslash\t\\N"  # backslash escaped, NULL as \N
    assert export(pg_args, db, first)[1]["changed"] is False
    # Check mode compares with the files there and writes nothing into the directory, not even a file it removes again
    # (a file made or removed changes the directory's modification time).
    stamp = first.stat().st_mtime_ns
    time.sleep(0.05)
    assert export(pg_args, db, first, check=True)[1]["changed"] is False
    assert first.stat().st_mtime_ns == stamp, "check mode wrote into the export directory"

    other = make_db(pg_args)
    run, res = run_module("postgresql_import", {**pg_args, "database": other, "src": str(first)}, check=True)
    assert res["changed"] is True and res["inserted"][TENANT_A] == {"events": 1, "notes": 2}
    assert counts(pg_cluster, other)[TENANT_A] == (0, 0)
    run, res = run_module("postgresql_import", {**pg_args, "database": other, "src": str(first)}, diff=True)
    assert res["changed"] is True and res["inserted"]["_reference"] == {"countries": 2}
    assert res["diff"]["before"][TENANT_B] == {"events": "1 rows missing", "notes": "1 rows missing"}
    assert counts(pg_cluster, other) == counts(pg_cluster, db)
    assert run_module("postgresql_import", {**pg_args, "database": other, "src": str(first)})[1]["changed"] is False

    export(pg_args, other, second)
    for name in ("_reference", TENANT_A, TENANT_B):
        assert (first / f"{name}.pgcopy").read_bytes() == (second / f"{name}.pgcopy").read_bytes()
        assert json.loads((first / f"{name}.manifest.json").read_text())["sha256"] == \
            json.loads((second / f"{name}.manifest.json").read_text())["sha256"]


def test_failed_export_leaves_no_complete_looking_file(pg_cluster, pg_args, db, tmp_path):
    seed(pg_args, db)
    with connect(pg_cluster, db) as conn, conn.transaction():
        conn.execute(f'SET LOCAL ROLE "{db}_owner"')
        conn.execute(f'REVOKE SELECT ON notes FROM "{db}_app"')  # events exports first, then notes fails
    dest = tmp_path / "out"
    run, res = export(pg_args, db, dest, tenants=[TENANT_A], include_reference=False)
    assert res["failed"] is True
    assert res["msg"] == f"export of {db} tenant {TENANT_A} failed, no file written: permission denied for table notes"
    assert sorted(p.name for p in dest.iterdir()) == []


def test_import_refuses_altered_file_and_foreign_tenant_rows(pg_cluster, pg_args, db, tmp_path):
    seed(pg_args, db)
    export(pg_args, db, tmp_path)
    other = make_db(pg_args)
    data = tmp_path / f"{TENANT_A}.pgcopy"
    data.write_text(data.read_text().replace("hello", "hellO"))
    run, res = run_module("postgresql_import", {**pg_args, "database": other, "src": str(tmp_path)})
    assert res["failed"] is True and f"{TENANT_A}.pgcopy: checksum sha256:" in res["msg"] and "does not match its manifest" in res["msg"]
    assert counts(pg_cluster, other)["countries"] == 0

    # Smuggle a row of tenant B into tenant A's file (its last line, after rows of A that the same
    # statement inserts), with a manifest that matches: the policy's WITH CHECK refuses it, and
    # nothing of the import is left, neither A's other rows nor the units loaded before it.
    import hashlib
    lines = data.read_text().splitlines(keepends=True)
    assert len(lines) == 3 and all(TENANT_A in line for line in lines)
    lines[-1] = lines[-1].replace(TENANT_A, TENANT_B)
    data.write_text("".join(lines))
    manifest_path = tmp_path / f"{TENANT_A}.manifest.json"
    manifest = json.loads(manifest_path.read_text())
    manifest["sha256"] = "sha256:" + hashlib.sha256(data.read_bytes()).hexdigest()
    manifest_path.write_text(json.dumps(manifest))
    run, res = run_module("postgresql_import", {**pg_args, "database": other, "src": str(tmp_path)})
    assert res["failed"] is True and "new row violates row-level security policy" in res["msg"], res["msg"]
    assert f"import of {TENANT_A}.pgcopy as {other}_app failed, nothing of it was imported" in res["msg"], res["msg"]
    assert counts(pg_cluster, other) == {TENANT_A: (0, 0), TENANT_B: (0, 0), "countries": 0}


def _rewrite_unit(directory, name, text=None, **manifest_changes):
    """Change a unit's data file and/or manifest, keeping the manifest's checksum true (only its shape is wrong)."""
    import hashlib
    data, manifest_path = directory / f"{name}.pgcopy", directory / f"{name}.manifest.json"
    if text is not None:
        data.write_text(text)
    manifest = {**json.loads(manifest_path.read_text()), **manifest_changes}
    manifest["sha256"] = "sha256:" + hashlib.sha256(data.read_bytes()).hexdigest()
    manifest_path.write_text(json.dumps(manifest))
    return manifest


@pytest.mark.parametrize("change, message", [
    ("rows shifted", "extra data after last expected column (line 2)"),
    ("unknown column", "table notes: columns ['tenant_id', 'id', 'body', 'colour'] must be distinct columns of the table"),
    ("rows do not add up", "the sections' rows do not add up to the manifest's 3"),
    ("line after the sections", "lines after the last section (line 4 on): nothing imported"),
    ("short section", "section notes (from line 2) holds 1 rows, its manifest says 2: nothing imported"),
])
def test_import_refuses_a_manifest_whose_sections_do_not_fit_the_file(pg_cluster, pg_args, db, tmp_path, change, message):
    seed(pg_args, db)
    export(pg_args, db, tmp_path, tenants=[TENANT_A], include_reference=False)
    text = (tmp_path / f"{TENANT_A}.pgcopy").read_text()
    sections = json.loads((tmp_path / f"{TENANT_A}.manifest.json").read_text())["sections"]
    events, notes = sections
    if change == "rows shifted":      # events claims the first notes line, which has a column more
        _rewrite_unit(tmp_path, TENANT_A, sections=[{**events, "rows": 2}, {**notes, "rows": 1}])
    elif change == "unknown column":
        _rewrite_unit(tmp_path, TENANT_A, sections=[events, {**notes, "columns": ["tenant_id", "id", "body", "colour"]}])
    elif change == "rows do not add up":
        _rewrite_unit(tmp_path, TENANT_A, sections=[events, {**notes, "rows": 3}])
    elif change == "line after the sections":
        _rewrite_unit(tmp_path, TENANT_A, text + text.splitlines(keepends=True)[-1])
    else:                             # the file lost its last line; the manifest still counts it
        _rewrite_unit(tmp_path, TENANT_A, "".join(text.splitlines(keepends=True)[:-1]), rows=2,
                      sections=[events, notes])
        _rewrite_unit(tmp_path, TENANT_A, rows=3)
    other = make_db(pg_args)
    run, res = run_module("postgresql_import", {**pg_args, "database": other, "src": str(tmp_path)})
    assert res["failed"] is True and message in res["msg"], res["msg"]
    assert "Traceback" not in run.stdout + run.stderr
    assert counts(pg_cluster, other)[TENANT_A] == (0, 0)


AWKWARD = "tab\there, newline\nthere, cr\r, backslash \\ and \\N, quote ' \" , ünïcødé €, emoji \U0001F600"


def test_round_trip_keeps_awkward_text_exactly(pg_cluster, pg_args, db, tmp_path):
    seed(pg_args, db)
    with connect(pg_cluster, db) as conn, tenant_transaction(conn, TENANT_A):
        conn.execute(f'SET LOCAL ROLE "{db}_app"')
        conn.execute("INSERT INTO notes (tenant_id, id, body) VALUES (%s, 3, %s)", (TENANT_A, AWKWARD))
        conn.execute("INSERT INTO events (tenant_id, id, payload) VALUES (%s, 2, jsonb_build_object('text', %s::text, 'n', 1.10))",
                     (TENANT_A, AWKWARD))
    export(pg_args, db, tmp_path)
    assert len((tmp_path / f"{TENANT_A}.pgcopy").read_text().splitlines()) == 5  # one line per row: the newline is escaped
    other = make_db(pg_args)
    assert run_module("postgresql_import", {**pg_args, "database": other, "src": str(tmp_path)})[1]["changed"] is True

    def rows(name):
        with connect(pg_cluster, name) as conn, tenant_transaction(conn, TENANT_A):
            conn.execute(f'SET LOCAL ROLE "{name}_app"')
            return (conn.execute("SELECT id, body FROM notes ORDER BY id").fetchall(),
                    conn.execute("SELECT id, payload::text FROM events ORDER BY id").fetchall())
    assert rows(other) == rows(db)
    assert (3, AWKWARD) in rows(other)[0]


def test_an_export_of_an_earlier_release_imports_and_is_replaced_by_the_next_export(pg_cluster, pg_args, db, tmp_path):
    """export/v1 files (JSON lines) are still imported; exporting over them writes v2 and removes the .jsonl."""
    import hashlib
    lines = [{"row": {"code": "DE", "name": "Germany"}, "table": "countries"}]
    tenant = [{"row": {"tenant_id": TENANT_A, "id": 1, "payload": {"kind": "created"}}, "table": "events"},
              {"row": {"tenant_id": TENANT_A, "id": 1, "body": AWKWARD, "country": "DE"}, "table": "notes"}]
    for name, unit, rows in (("_reference", None, lines), (TENANT_A, TENANT_A, tenant)):
        text = "".join(json.dumps(row) + "\n" for row in rows)
        (tmp_path / f"{name}.jsonl").write_text(text)
        (tmp_path / f"{name}.manifest.json").write_text(json.dumps({
            "format": "complianceflow.infra/export/v1", "database": "old", "tenant": unit, "file": f"{name}.jsonl",
            "rows": len(rows), "tables": {}, "sha256": "sha256:" + hashlib.sha256(text.encode()).hexdigest()}))
    run, res = run_module("postgresql_import", {**pg_args, "database": db, "src": str(tmp_path)})
    assert res["changed"] is True and res["inserted"] == {"_reference": {"countries": 1}, TENANT_A: {"events": 1, "notes": 1}}, res
    assert counts(pg_cluster, db)[TENANT_A] == (1, 1)

    run, res = export(pg_args, db, tmp_path, tenants=[TENANT_A])
    assert res["changed"] is True
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(
        f"{name}{suffix}" for name in ("_reference", TENANT_A) for suffix in (".manifest.json", ".pgcopy"))
    other = make_db(pg_args)
    assert run_module("postgresql_import", {**pg_args, "database": other, "src": str(tmp_path)})[1]["changed"] is True
    assert counts(pg_cluster, other) == counts(pg_cluster, db)
