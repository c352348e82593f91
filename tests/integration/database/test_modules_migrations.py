"""postgresql_migrations and postgresql_rls against a real PostgreSQL (admin without superuser)."""
from __future__ import annotations

import shutil
from pathlib import Path

import psycopg
import pytest
from pg import connect, run_module, tenant_transaction, unique_name

FIXTURES = Path(__file__).parent / "fixtures" / "migrations"
TENANT_A = "11111111-1111-4111-8111-111111111111"
TENANT_B = "22222222-2222-4222-8222-222222222222"
APP_PASSWORD = "app-pw-Mig42"


@pytest.fixture()
def db(pg_args):
    """A fresh tier database (owner + app role) made by postgresql_tier."""
    name = unique_name("mig")
    run, res = run_module("postgresql_tier", {**pg_args, "databases": [{"name": name, "app_password": APP_PASSWORD}]})
    assert res["changed"] is True, res
    return name


def migrate(pg_args, db, path, **kwargs):
    return run_module("postgresql_migrations", {**pg_args, "database": db, "path": str(path)}, **kwargs)


def rls_state(pg_cluster, db):
    with connect(pg_cluster, db) as conn:
        return {r[0]: r[1:] for r in conn.execute(
            "SELECT c.relname, c.relrowsecurity, c.relforcerowsecurity, "
            "(SELECT count(*) FROM pg_policy p WHERE p.polrelid = c.oid AND p.polname = 'tenant_isolation') "
            "FROM pg_class c WHERE c.relnamespace = 'public'::regnamespace AND c.relkind IN ('r', 'p')").fetchall()}


def history(pg_cluster, db):
    with connect(pg_cluster, db) as conn:
        if conn.execute("SELECT to_regclass('cf_meta.schema_migrations')").fetchone()[0] is None:
            return []
        return conn.execute("SELECT version, name, checksum FROM cf_meta.schema_migrations ORDER BY 1").fetchall()


def test_check_mode_predicts_and_changes_nothing(pg_cluster, pg_args, db):
    run, res = migrate(pg_args, db, FIXTURES / "base", check=True, diff=True)
    assert res["changed"] is True and res["applied"] == ["0001_notes.sql", "0002_view.sql"], res
    assert "public.notes" in res["rls"]["tables"] and res["diff"]["after"]["applied"] == res["applied"]
    assert rls_state(pg_cluster, db) == {} and history(pg_cluster, db) == []


def test_check_mode_on_a_database_whose_roles_are_not_made_yet_predicts_every_migration(pg_cluster, pg_args):
    """tenant_migrate.yml --check: a new tenant server's databases exist, empty, and postgresql_tier only predicted their
    roles. Check mode predicts the migrations; a real run still needs the roles."""
    name = unique_name("bare")
    with connect(pg_cluster, "postgres") as conn:
        conn.autocommit = True
        conn.execute(f'CREATE DATABASE "{name}"')
    run, res = migrate(pg_args, name, FIXTURES / "base", check=True)
    assert res["changed"] is True and not res.get("failed") and res["applied"] == ["0001_notes.sql", "0002_view.sql"], res
    assert f"the roles of database {name} do not exist yet" in res["msg"]
    run, res = migrate(pg_args, name, FIXTURES / "base")
    assert res["failed"] is True and f"{name}_owner" in res["msg"], res


def test_apply_covers_every_tenant_table_and_rerun_applies_nothing(pg_cluster, pg_args, db):
    run, res = migrate(pg_args, db, FIXTURES / "base")
    assert res["changed"] is True and res["applied"] == ["0001_notes.sql", "0002_view.sql"] and res["version"] == 2, res
    state = rls_state(pg_cluster, db)
    assert state.pop("countries") == (False, False, 0)  # reference data: no tenant column
    assert state == {t: (True, True, 1) for t in ("notes", "events", "events_p0", "events_p1")}
    assert [row[:2] for row in history(pg_cluster, db)] == [(1, "notes"), (2, "view")]
    assert all(row[2].startswith("sha256:") and len(row[2]) == 71 for row in history(pg_cluster, db))
    run, res = migrate(pg_args, db, FIXTURES / "base")
    assert res["changed"] is False and res["applied"] == [] and res["queries"] == []


def test_app_role_sees_only_its_tenant(pg_cluster, pg_args, db):
    migrate(pg_args, db, FIXTURES / "base")
    with connect(pg_cluster, db, user=f"{db}_app", password=APP_PASSWORD) as app:
        with tenant_transaction(app, TENANT_A):
            app.execute("INSERT INTO notes (tenant_id, id, body) VALUES (%s, 1, 'a')", (TENANT_A,))
            app.execute("INSERT INTO events (tenant_id, id) VALUES (%s, 1)", (TENANT_A,))
        with tenant_transaction(app, TENANT_B):
            app.execute("INSERT INTO notes (id, body) VALUES (5, 'defaulted')")  # tenant_id DEFAULT current_tenant_id()
            assert app.execute("SELECT tenant_id::text, count(*) FROM notes GROUP BY 1").fetchall() == [(TENANT_B, 1)]
            app.execute("DELETE FROM notes")
            assert app.execute("SELECT count(*) FROM events_p0").fetchone() == (0,)
            assert app.execute("SELECT count(*) FROM events_p1").fetchone() == (0,)
            with pytest.raises(psycopg.errors.InsufficientPrivilege, match="row-level security"):
                app.execute("INSERT INTO notes (tenant_id, id, body) VALUES (%s, 2, 'x')", (TENANT_A,))
        with tenant_transaction(app, None):
            assert app.execute("SELECT current_tenant_id(), count(*) FROM notes").fetchone() == (None, 0)
        with tenant_transaction(app, ""):
            assert app.execute("SELECT current_tenant_id(), count(*) FROM note_bodies").fetchone() == (None, 0)
        with pytest.raises(psycopg.errors.InvalidTextRepresentation, match='invalid input syntax for type uuid: "acme"'):
            with tenant_transaction(app, "acme"):
                app.execute("SELECT count(*) FROM notes")
        with tenant_transaction(app, TENANT_A):
            assert app.execute("SELECT body FROM note_bodies").fetchall() == [("a",)]


def test_later_migration_table_is_covered(pg_cluster, pg_args, db):
    migrate(pg_args, db, FIXTURES / "base")
    run, res = migrate(pg_args, db, FIXTURES / "later_table", diff=True)
    assert res["applied"] == ["0003_tags.sql"] and res["diff"]["before"]["applied"] == ["0001_notes.sql", "0002_view.sql"]
    assert rls_state(pg_cluster, db)["tags"] == (True, True, 1)
    assert {f["object"] for f in res["rls"]["fixed"]} == {"table public.tags"}


def test_unfixable_problem_rolls_the_migration_back(pg_cluster, pg_args, db):
    migrate(pg_args, db, FIXTURES / "base")
    run, res = migrate(pg_args, db, FIXTURES / "later_bad")
    assert run.rc != 0 and res["failed"] is True
    assert res["msg"].startswith("migration 0003_oracle.sql rolled back: row level security audit of database")
    assert "UNIQUE handles_handle_key on public.handles: does not include tenant_id" in res["msg"]
    assert "handles" not in rls_state(pg_cluster, db) and len(history(pg_cluster, db)) == 2


def test_edited_migration_is_refused(pg_cluster, pg_args, db, tmp_path):
    path = tmp_path / "m"
    shutil.copytree(FIXTURES / "base", path)
    migrate(pg_args, db, path)
    old = history(pg_cluster, db)[0][2]
    (path / "0001_notes.sql").write_text((path / "0001_notes.sql").read_text() + "\n-- edited\n")
    (path / "0003_more.sql").write_text("CREATE TABLE more_notes (tenant_id uuid NOT NULL, id int, PRIMARY KEY (tenant_id, id));\n")
    run, res = migrate(pg_args, db, path)
    assert res["failed"] is True and res["queries"] == []
    assert res["msg"].startswith("migration 0001_notes.sql was edited after it was applied: applied checksum " + old)
    assert "file checksum sha256:" in res["msg"] and "Traceback" not in run.stdout + run.stderr
    assert "more_notes" not in rls_state(pg_cluster, db)


def test_sql_error_names_file_and_line(pg_cluster, pg_args, db, tmp_path):
    (tmp_path / "0001_bad.sql").write_text("CREATE TABLE ok (id int PRIMARY KEY);\n\nSELECT nope FROM ok;\n")
    run, res = migrate(pg_args, db, tmp_path)
    assert res["failed"] is True
    assert res["msg"] == 'migration 0001_bad.sql failed (line 3), nothing of it was applied: column "nope" does not exist'
    assert "ok" not in rls_state(pg_cluster, db)


def test_bad_file_name_fails_before_connecting(pg_args, tmp_path):
    (tmp_path / "1_init.sql").write_text("SELECT 1;\n")
    run, res = run_module("postgresql_migrations", {**pg_args, "login_port": 1, "database": "x", "path": str(tmp_path)})
    assert res["msg"].startswith("migration file '1_init.sql'") and "NNNN_<name>.sql" in res["msg"]


def _as_owner(pg_cluster, db, statement):
    with connect(pg_cluster, db) as conn, conn.transaction():
        conn.execute(f'SET LOCAL ROLE "{db}_owner"')
        conn.execute(statement)


def test_audit_fails_on_table_added_without_rls_and_enforce_fixes(pg_cluster, pg_args, db):
    migrate(pg_args, db, FIXTURES / "base")
    _as_owner(pg_cluster, db, "CREATE TABLE sneaky (tenant_id uuid NOT NULL, id int, PRIMARY KEY (tenant_id, id))")
    args = {**pg_args, "database": db}
    run, res = run_module("postgresql_rls", {**args, "mode": "audit"})
    assert run.rc != 0 and res["failed"] is True and res["changed"] is False
    assert "table public.sneaky: row level security not enabled" in res["msg"]
    assert "table public.sneaky: policy tenant_isolation missing" in res["msg"]

    run, res = run_module("postgresql_rls", args, check=True, diff=True)
    assert res["changed"] is True and rls_state(pg_cluster, db)["sneaky"] == (False, False, 0)
    assert any(f["object"] == "table public.sneaky" for f in res["diff"]["before"]["findings"])

    run, res = run_module("postgresql_rls", args)
    assert res["changed"] is True and rls_state(pg_cluster, db)["sneaky"] == (True, True, 1)
    assert run_module("postgresql_rls", args)[1]["changed"] is False
    assert run_module("postgresql_rls", {**args, "mode": "audit"})[1]["changed"] is False

    # A re-run of the migrations (nothing pending) also fails in audit mode on a new gap.
    _as_owner(pg_cluster, db, "ALTER TABLE notes NO FORCE ROW LEVEL SECURITY")
    run, res = migrate(pg_args, db, FIXTURES / "base", extra_vars=None)
    assert res["changed"] is True  # enforce (default) restored FORCE
    assert rls_state(pg_cluster, db)["notes"] == (True, True, 1)


def test_enforce_fixes_safe_findings_and_names_the_rest(pg_cluster, pg_args, db):
    migrate(pg_args, db, FIXTURES / "base")
    _as_owner(pg_cluster, db, "CREATE VIEW all_notes AS SELECT * FROM notes")
    _as_owner(pg_cluster, db, "CREATE MATERIALIZED VIEW note_counts AS SELECT tenant_id, count(*) FROM notes GROUP BY 1")
    _as_owner(pg_cluster, db, f'GRANT TRUNCATE ON notes TO "{db}_app"')
    _as_owner(pg_cluster, db, "CREATE POLICY open_door ON notes FOR SELECT USING (true)")
    run, res = run_module("postgresql_rls", {**pg_args, "database": db})
    assert res["failed"] is True and res["changed"] is True
    assert "materialized view public.note_counts: stores tenant rows without row level security" in res["msg"]
    assert "policy open_door on public.notes: extra PERMISSIVE policy" in res["msg"]
    assert "view all_notes" not in res["msg"]  # fixed, not failed
    with connect(pg_cluster, db) as conn:
        assert conn.execute("SELECT reloptions FROM pg_class WHERE relname = 'all_notes'").fetchone() == (["security_invoker=true"],)
        assert conn.execute("SELECT has_table_privilege(%s, 'notes', 'TRUNCATE')", (f"{db}_app",)).fetchone() == (False,)
