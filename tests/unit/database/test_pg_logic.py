"""Pure logic of the database modules: names, migration files and history, seed validation, ordering."""
from __future__ import annotations

import re

import pytest
from ansible_collections.complianceflow.infra.plugins.module_utils._pg.data import dependency_order, plan_seed
from ansible_collections.complianceflow.infra.plugins.module_utils._pg.migrations import (
    pending_migrations, read_migrations, transaction_control)
from ansible_collections.complianceflow.infra.plugins.module_utils._pg.rls import _norm
from ansible_collections.complianceflow.infra.plugins.module_utils._pg.tier import duration_ms, normalize_databases
from ansible_collections.complianceflow.infra.plugins.module_utils._pg.connection import PgError, check_identifier

A = "11111111-1111-4111-8111-111111111111"
B = "22222222-2222-4222-8222-222222222222"


@pytest.mark.parametrize("name", ["user_service", "_x", "a" * 63])
def test_identifier_accepts_plain_names(name):
    assert check_identifier(name, "database name") == name


@pytest.mark.parametrize("name", ["User", "1db", "a-b", "a b", "x;drop", "", "a" * 64, None])
def test_identifier_rejects_with_value_and_rule(name):
    with pytest.raises(PgError, match=r"invalid database name .*a-z, 0-9 and _"):
        check_identifier(name, "database name")


def test_tier_defaults_and_conflicts():
    assert normalize_databases([{"name": "case_service"}]) == [
        {"name": "case_service", "owner": "case_service_owner", "app_role": "case_service_app", "app_password": None,
         "timeouts": {"lock_timeout": "3s", "statement_timeout": "30s", "idle_in_transaction_session_timeout": "60s"},
         "extensions": []}]
    with pytest.raises(PgError, match="listed twice"):
        normalize_databases([{"name": "a"}, {"name": "a"}])
    with pytest.raises(PgError, match="must differ"):
        normalize_databases([{"name": "a", "owner": "r", "app_role": "r"}])


def test_extensions_are_checked_names_wanted_in_every_database():
    dbs = normalize_databases([{"name": "a"}, {"name": "b"}], ["pgaudit", "uuid-ossp", "pgaudit"])
    assert [db["extensions"] for db in dbs] == [["pgaudit", "uuid-ossp"], ["pgaudit", "uuid-ossp"]]
    for bad in ("PGAUDIT", "pg audit", "x;drop", "", "a" * 64, None):
        with pytest.raises(PgError, match="invalid extension name"):
            normalize_databases([{"name": "a"}], [bad])


def test_app_timeouts_are_checked_durations():
    db = normalize_databases([{"name": "a", "app_timeouts": {"statement_timeout": " 2min", "lock_timeout": None}}])[0]
    assert db["timeouts"] == {"lock_timeout": "3s", "statement_timeout": "2min", "idle_in_transaction_session_timeout": "60s"}
    assert [duration_ms(v, "x") for v in ("250", "250ms", "3s", "2min", "1h", "1d", "0")] == [
        250, 250, 3000, 120_000, 3_600_000, 86_400_000, 0]
    for bad in ("3 seconds", "-1s", "1.5s", "", "25d"):
        with pytest.raises(PgError, match="app_timeouts.lock_timeout: " + re.escape(repr(bad))):
            normalize_databases([{"name": "a", "app_timeouts": {"lock_timeout": bad}}])


def test_migration_files_ordered_with_checksums(tmp_path):
    (tmp_path / "0010_b.sql").write_text("SELECT 2;")
    (tmp_path / "0002_a.sql").write_text("SELECT 1;")
    (tmp_path / "README.md").write_text("not a migration")
    found = read_migrations(str(tmp_path))
    assert [m["file"] for m in found] == ["0002_a.sql", "0010_b.sql"] and [m["version"] for m in found] == [2, 10]
    assert found[0]["checksum"] == "sha256:" + __import__("hashlib").sha256(b"SELECT 1;").hexdigest()


@pytest.mark.parametrize("files,message", [
    (["2_a.sql"], "name it NNNN_<name>.sql"),
    (["0001_A.sql"], "name it NNNN_<name>.sql"),
    (["0001_a.sql", "0001_b.sql"], "have the same version 1"),
])
def test_bad_migration_files(tmp_path, files, message):
    for name in files:
        (tmp_path / name).write_text("SELECT 1;")
    with pytest.raises(PgError, match=message):
        read_migrations(str(tmp_path))


def _files(*specs):
    return [{"version": v, "name": n, "file": f"{v:04d}_{n}.sql", "checksum": c, "sql": "SELECT 1;"} for v, n, c in specs]


def test_pending_and_refusals():
    files = _files((1, "a", "sha256:1"), (2, "b", "sha256:2"), (3, "c", "sha256:3"))
    assert [m["version"] for m in pending_migrations(files, {1: ("a", "sha256:1")})] == [2, 3]
    assert pending_migrations(files, {v: (m["name"], m["checksum"]) for v, m in zip((1, 2, 3), files)}) == []
    with pytest.raises(PgError, match=r"0002_b.sql was edited after it was applied: applied checksum sha256:old, file checksum sha256:2"):
        pending_migrations(files, {1: ("a", "sha256:1"), 2: ("b", "sha256:old")})
    with pytest.raises(PgError, match=r"0004_d.sql was applied \(sha256:4\) but its file is gone"):
        pending_migrations(files, {4: ("d", "sha256:4")})
    with pytest.raises(PgError, match=r"0002_b.sql are numbered below the last applied version 0003"):
        pending_migrations(files, {1: ("a", "sha256:1"), 3: ("c", "sha256:3")})
    files[2]["sql"] = "CREATE TABLE t (tenant_id uuid NOT NULL);\nCOMMIT;"
    with pytest.raises(PgError, match=r"0003_c.sql controls the transaction itself \(line 2: COMMIT\)"):
        pending_migrations(files, {1: ("a", "sha256:1")})
    assert pending_migrations(files, {v: (m["name"], m["checksum"]) for v, m in zip((1, 2, 3), files)}) == []   # applied before


def test_policy_expression_normalisation():
    wanted = "tenant_id=current_tenant_id"
    assert _norm("(tenant_id = current_tenant_id())") == wanted
    assert _norm("(tenant_id = public.current_tenant_id())") == wanted
    assert _norm("((tenant_id = current_tenant_id()) OR true)") != wanted
    # the earlier initplan form is a difference, so the module rewrites existing policies
    assert _norm("(tenant_id = ( SELECT current_tenant_id() AS current_tenant_id))") != wanted


def _meta(parents=(), tenant=True, pk=("tenant_id", "id"), columns=("tenant_id", "id", "body")):
    return {"columns": list(columns), "pk": list(pk), "tenant": tenant, "identity_always": False, "parents": list(parents)}


def test_dependency_order_parents_first_and_cycles():
    tables = {"a": _meta(), "b": _meta(["a"]), "c": _meta(["b", "a"]), "z": _meta()}
    assert dependency_order(tables, ["c", "z", "b", "a"]) == ["a", "b", "c", "z"]
    with pytest.raises(PgError, match="form a cycle"):
        dependency_order({"a": _meta(["b"]), "b": _meta(["a"])}, ["a", "b"])


def test_seed_plan_groups_by_tenant_in_file_order():
    tables = {"ref": _meta(tenant=False, pk=("code",), columns=("code", "name")), "notes": _meta()}
    data = {"tables": [
        {"table": "notes", "rows": [{"tenant_id": A, "id": 1, "body": "x"}, {"tenant_id": B, "id": 1},
                                    {"tenant_id": A, "id": 2, "body": "y"}]},
        {"table": "ref", "rows": [{"code": "DE", "name": "Germany"}]}]}
    reference, tenants = plan_seed(data, tables, "tenant_id", "seed.yml")
    assert [(t, c, len(d)) for t, c, d in reference] == [("ref", ["code", "name"], 1)]
    assert list(tenants) == [A, B]
    assert [(t, c, len(d)) for t, c, d in tenants[A]] == [("notes", ["body", "id", "tenant_id"], 2)]
    assert [(t, c, len(d)) for t, c, d in tenants[B]] == [("notes", ["id", "tenant_id"], 1)]


@pytest.mark.parametrize("data,message", [
    ({"tables": [{"table": "ghost", "rows": []}]}, "table 'ghost' does not exist"),
    ({"tables": [{"table": "nopk", "rows": []}]}, "has no primary key"),
    ({"tables": [{"table": "notes", "rows": [{"tenant_id": A, "id": 1, "bogus": 1}]}]}, r"notes row 1: unknown column\(s\) bogus"),
    ({"tables": [{"table": "notes", "rows": [{"tenant_id": "acme", "id": 1}]}]}, "tenant id 'acme' is not a uuid"),
    ({"tables": [{"table": "notes", "rows": [{"tenant_id": A}]}]}, r"primary key column\(s\) id need a value"),
    ({"tables": [{"table": "notes", "rows": [["not", "a", "mapping"]]}]}, "expected a mapping of column: value"),
    ({"tables": {"notes": []}}, "expected a mapping with a list 'tables'"),
])
def test_seed_plan_rejects(data, message):
    tables = {"notes": _meta(), "nopk": _meta(pk=())}
    with pytest.raises(PgError, match=message):
        plan_seed(data, tables, "tenant_id", "seed.yml")


@pytest.mark.parametrize("text, found", [
    ("BEGIN; CREATE TABLE t(a int); COMMIT;", ["line 1: BEGIN", "line 1: COMMIT"]),
    ("CREATE TABLE t(a int);\nCOMMIT", ["line 2: COMMIT"]),
    ("-- COMMIT;\nCREATE TABLE t(a text DEFAULT 'commit; rollback');", []),
    ("/* begin; /* nested commit; */ end; */ SELECT 1;", []),
    ("CREATE FUNCTION f() RETURNS void LANGUAGE plpgsql AS $$ BEGIN COMMIT; END $$;", []),
    ("CREATE FUNCTION f() RETURNS int LANGUAGE plpgsql AS $body$ BEGIN RETURN 1; END $body$;\nROLLBACK;", ["line 2: ROLLBACK"]),
    ("CREATE FUNCTION g() RETURNS int LANGUAGE sql BEGIN ATOMIC SELECT 1; SELECT 2; END;\nCREATE TABLE x(a int);", []),
    ("CREATE FUNCTION g() RETURNS int LANGUAGE sql BEGIN ATOMIC SELECT 1; END;\nEND;", ["line 2: END"]),
    ('CREATE TABLE "commit"(a int); SELECT "begin";', []),
    ("SAVEPOINT a; RELEASE a; START TRANSACTION; ABORT; PREPARE TRANSACTION 'x'; PREPARE q AS SELECT 1;",
     ["line 1: SAVEPOINT", "line 1: RELEASE", "line 1: START", "line 1: ABORT", "line 1: PREPARE"]),
    ("DO $$BEGIN PERFORM 1; END$$; begin isolation level serializable;", ["line 1: BEGIN"]),
    # escape strings (E'...', e'...'): a backslash escapes the quote there (and only there: standard_conforming_strings),
    # so E'\'' is one quote and the COMMIT after it a statement; between escaped quotes a COMMIT is text
    ("SELECT E'\\''; COMMIT; --'", ["line 1: COMMIT"]),
    ("SELECT e'\\'; COMMIT; \\''", []),
    ("SELECT E'it''s \\n';", []),
    ("CREATE TABLE note(a text DEFAULT 'x\\'); COMMIT;", ["line 1: COMMIT"]),   # a plain string: the backslash is text
])
def test_transaction_control_in_a_migration_is_found_outside_comments_strings_and_bodies(text, found):
    assert transaction_control(text) == found
