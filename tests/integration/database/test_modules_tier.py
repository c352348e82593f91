"""postgresql_tier against a real PostgreSQL whose admin has only CREATEDB CREATEROLE."""
from __future__ import annotations

import psycopg
import pytest
from pg import connect, run_module, unique_name


def _db(pg_admin, name):
    return pg_admin.execute("SELECT pg_get_userbyid(datdba) FROM pg_database WHERE datname = %s", (name,)).fetchone()


def _role(pg_admin, name):
    return pg_admin.execute("SELECT rolcanlogin, rolbypassrls, rolinherit FROM pg_roles WHERE rolname = %s", (name,)).fetchone()


@pytest.fixture()
def tier(pg_args):
    name = unique_name("svc")
    return name, {**pg_args, "databases": [{"name": name, "app_password": "app-pw-Zq81"}]}


def test_check_mode_reports_and_changes_nothing(pg_admin, tier):
    name, args = tier
    run, res = run_module("postgresql_tier", args, check=True, diff=True)
    assert run.rc == 0 and res["changed"] is True
    assert f'CREATE DATABASE "{name}" OWNER "{name}_owner"' in res["queries"]
    assert res["diff"]["before"][name]["exists"] is False and res["diff"]["after"][name]["exists"] is True
    assert _db(pg_admin, name) is None
    assert _role(pg_admin, f"{name}_owner") is None and _role(pg_admin, f"{name}_app") is None


def test_apply_then_idempotent_and_privileges_exact(pg_cluster, pg_admin, tier):
    name, args = tier
    run, res = run_module("postgresql_tier", args, diff=True)
    assert run.rc == 0 and res["changed"] is True, res
    assert _db(pg_admin, name) == (f"{name}_owner",)
    assert _role(pg_admin, f"{name}_app") == (True, False, False)
    assert _role(pg_admin, f"{name}_owner") == (False, False, True)

    run, res = run_module("postgresql_tier", args)
    assert res["changed"] is False and res["queries"] == []

    # A table the owner creates later gets exactly the four privileges through default privileges.
    with connect(pg_cluster, name) as conn, conn.transaction():
        conn.execute(f'SET LOCAL ROLE "{name}_owner"')
        conn.execute("CREATE TABLE later (id int PRIMARY KEY)")
    with connect(pg_cluster, name) as conn:
        privs = dict(conn.execute(
            "SELECT p, has_table_privilege(%s, 'public.later', p) FROM unnest(ARRAY['SELECT','INSERT','UPDATE','DELETE',"
            "'TRUNCATE','REFERENCES','TRIGGER']) p", (f"{name}_app",)).fetchall())
    assert privs == {"SELECT": True, "INSERT": True, "UPDATE": True, "DELETE": True,
                     "TRUNCATE": False, "REFERENCES": False, "TRIGGER": False}

    # The app role logs in to its own database only; PUBLIC lost CONNECT.
    with connect(pg_cluster, name, user=f"{name}_app", password="app-pw-Zq81") as conn:
        assert conn.execute("SELECT current_user").fetchone() == (f"{name}_app",)
    pg_admin.execute(f"CREATE ROLE \"{name}_stranger\" LOGIN PASSWORD 'stranger-pw'")
    with pytest.raises(psycopg.OperationalError, match="permission denied for database"):
        connect(pg_cluster, name, user=f"{name}_stranger", password="stranger-pw")


def test_drift_is_repaired(pg_cluster, tier):
    name, args = tier
    assert run_module("postgresql_tier", args)[1]["changed"] is True
    with connect(pg_cluster, name) as conn, conn.transaction():
        conn.execute(f'SET LOCAL ROLE "{name}_owner"')
        conn.execute("CREATE TABLE t (id int PRIMARY KEY)")
        conn.execute(f'GRANT TRUNCATE, TRIGGER ON t TO "{name}_app"')
        conn.execute("RESET ROLE")
        conn.execute(f'GRANT "{name}_owner" TO "{name}_app"')
    run, res = run_module("postgresql_tier", args, diff=True)
    assert res["changed"] is True
    assert res["diff"]["before"][name]["tables_with_forbidden_privileges"] == ["t"]
    assert f'REVOKE "{name}_owner" FROM "{name}_app"' in res["queries"]
    with connect(pg_cluster, name) as conn:
        assert conn.execute("SELECT has_table_privilege(%s, 'public.t', 'TRUNCATE'), pg_has_role(%s, %s, 'MEMBER')",
                            (f"{name}_app", f"{name}_app", f"{name}_owner")).fetchone() == (False, False)
    assert run_module("postgresql_tier", args)[1]["changed"] is False


def _app_settings(pg_cluster, name):
    with connect(pg_cluster, name, user=f"{name}_app", password="app-pw-Zq81") as conn:
        names = ("lock_timeout", "statement_timeout", "idle_in_transaction_session_timeout")
        return [conn.execute(f"SHOW {g}").fetchone()[0] for g in names]


def test_app_role_timeouts_default_change_and_idempotence(pg_cluster, pg_admin, tier):
    name, args = tier
    assert run_module("postgresql_tier", args)[1]["changed"] is True
    assert _app_settings(pg_cluster, name) == ["3s", "30s", "1min"]  # every login of the app role is bounded
    changed = {**args, "databases": [{**args["databases"][0], "app_timeouts": {"statement_timeout": "2min"}}]}
    run, res = run_module("postgresql_tier", changed, check=True, diff=True)
    assert res["changed"] is True
    assert res["queries"] == [f'ALTER ROLE "{name}_app" IN DATABASE "{name}" SET "statement_timeout" = \'2min\'']
    assert res["diff"]["before"][name]["app_role"]["settings"]["statement_timeout"] == "30s"
    assert res["diff"]["after"][name]["app_role"]["settings"]["statement_timeout"] == "2min"
    assert _app_settings(pg_cluster, name)[1] == "30s"  # check mode changed nothing
    assert run_module("postgresql_tier", changed)[1]["changed"] is True
    assert _app_settings(pg_cluster, name) == ["3s", "2min", "1min"]
    # the same duration written differently is no change
    same = {**args, "databases": [{**args["databases"][0], "app_timeouts": {"statement_timeout": "120000ms"}}]}
    assert run_module("postgresql_tier", same)[1]["queries"] == []
    # drift (someone reset the setting) is repaired
    pg_admin.execute(f'ALTER ROLE "{name}_app" IN DATABASE "{name}" RESET lock_timeout')
    assert run_module("postgresql_tier", changed)[1]["queries"] == [f'ALTER ROLE "{name}_app" IN DATABASE "{name}" SET "lock_timeout" = \'3s\'']


def test_bad_timeout_fails_early_and_clearly(pg_admin, tier):
    name, args = tier
    bad = {**args, "databases": [{**args["databases"][0], "app_timeouts": {"lock_timeout": "3 seconds"}}]}
    run, res = run_module("postgresql_tier", bad)
    assert run.rc != 0 and "app_timeouts.lock_timeout: '3 seconds' is not a duration" in res["msg"]
    assert res["queries"] == [] and _db(pg_admin, name) is None


def test_absent_drops_database_and_roles(pg_admin, tier):
    name, args = tier
    run_module("postgresql_tier", args)
    run, res = run_module("postgresql_tier", {**args, "state": "absent"})
    assert res["changed"] is True and _db(pg_admin, name) is None and _role(pg_admin, f"{name}_app") is None
    assert run_module("postgresql_tier", {**args, "state": "absent"})[1]["changed"] is False


@pytest.mark.parametrize("bad", ["User-Service", "x; DROP DATABASE postgres", "a" * 64])
def test_bad_identifier_fails_early_and_clearly(pg_admin, pg_args, bad):
    run, res = run_module("postgresql_tier", {**pg_args, "databases": [{"name": bad}]})
    assert run.rc != 0 and res["failed"] is True
    assert repr(bad) in res["msg"] and "a-z, 0-9 and _" in res["msg"]
    assert res["queries"] == [] and "Traceback" not in run.stdout + run.stderr


def test_bad_host_clear_error_no_secret_at_vvv(pg_args):
    from pg import local_postgres
    args = {**pg_args, "login_port": local_postgres.free_port(), "databases": [{"name": "x", "app_password": "app-secret-77"}]}
    run, res = run_module("postgresql_tier", args)
    assert res["failed"] is True and res["msg"].startswith("cannot connect to database 'postgres' at 127.0.0.1:")
    assert "Traceback" not in run.stdout + run.stderr
    loud = run_module("postgresql_tier", args, verbosity=3)[0]
    output = loud.stdout + loud.stderr
    assert "cannot connect to database" in output
    assert pg_args["login_password"] not in output and "app-secret-77" not in output


def test_password_never_in_output_on_success(pg_args):
    name = unique_name("svc")
    args = {**pg_args, "databases": [{"name": name, "app_password": "app-secret-88"}], "update_password": "always"}
    run = run_module("postgresql_tier", args, verbosity=3)[0]
    output = run.stdout + run.stderr
    assert run.rc == 0, output[-3000:]
    assert "PASSWORD '********'" in output
    assert "app-secret-88" not in output and pg_args["login_password"] not in output


@pytest.fixture(scope="module")
def tls_cluster():
    from pg import start_cluster
    cluster = start_cluster("tls", tls=True)
    yield cluster
    cluster.stop(remove=True)


def test_tls_verify_full_works_and_plaintext_is_refused_clearly(tls_cluster):
    from pg import module_args
    args = {**module_args(tls_cluster), "ssl_mode": "verify-full", "databases": [{"name": "tls_svc"}]}
    run, res = run_module("postgresql_tier", args)
    assert run.rc == 0 and res["changed"] is True, res
    run, res = run_module("postgresql_tier", {**args, "ssl_mode": "disable"})
    assert res["failed"] is True and "(ssl_mode=disable)" in res["msg"] and "no encryption" in res["msg"]
    assert "Traceback" not in run.stdout + run.stderr


def _extensions(pg_cluster, name):
    with connect(pg_cluster, name) as conn:
        return sorted(row[0] for row in conn.execute("SELECT extname FROM pg_extension WHERE extname <> 'plpgsql'"))


def test_extensions_check_mode_create_idempotence_and_an_existing_database(pg_cluster, pg_admin, tier):
    """pgaudit in every database of the list: predicted in check mode (also for a database not created yet), created
    as the admin (no superuser: the cluster's allow-list stands for Azure's azure.extensions), reported, then no change."""
    name, args = tier
    wanted = {**args, "extensions": ["pgaudit"]}
    run, res = run_module("postgresql_tier", wanted, check=True, diff=True)
    assert run.rc == 0 and res["queries"][-1] == 'CREATE EXTENSION IF NOT EXISTS "pgaudit"', res
    assert res["databases"][0]["extensions_created"] == ["pgaudit"]
    assert res["diff"]["before"][name]["extensions"] == [] and res["diff"]["after"][name]["extensions"] == ["pgaudit"]
    assert _db(pg_admin, name) is None

    assert run_module("postgresql_tier", args)[1]["changed"] is True  # the database as the old module left it
    assert _extensions(pg_cluster, name) == []
    run, res = run_module("postgresql_tier", wanted, check=True, diff=True)
    assert res["queries"] == ['CREATE EXTENSION IF NOT EXISTS "pgaudit"'] and _extensions(pg_cluster, name) == []
    run, res = run_module("postgresql_tier", wanted, diff=True)
    assert run.rc == 0 and res["changed"] is True and res["databases"][0]["extensions_created"] == ["pgaudit"]
    assert res["diff"]["before"][name]["extensions"] == [] and res["diff"]["after"][name]["extensions"] == ["pgaudit"]
    assert _extensions(pg_cluster, name) == ["pgaudit"]
    run, res = run_module("postgresql_tier", wanted)
    assert res["changed"] is False and res["queries"] == [] and res["databases"][0]["extensions_created"] == []


def test_an_extension_outside_the_allow_list_fails_naming_the_database(pg_cluster, pg_admin, tier):
    name, args = tier
    run, res = run_module("postgresql_tier", {**args, "extensions": ["pgaudit", "file_fdw"]})
    assert run.rc != 0 and f"{name}:" in res["msg"] and "file_fdw" in res["msg"], res
    assert "Traceback" not in run.stdout + run.stderr and "app-pw-Zq81" not in run.stdout + run.stderr


def test_databases_at_once_check_apply_rerun_and_each_failure_named(pg_admin, pg_args):
    names = [unique_name("svc") for _index in range(3)]
    args = {**pg_args, "databases": [{"name": n, "app_password": "app-pw-Zq81"} for n in names], "databases_at_once": 3}
    run, res = run_module("postgresql_tier", args, check=True, diff=True)
    assert run.rc == 0 and res["changed"] is True and [d["name"] for d in res["databases"]] == names, res
    assert set(res["diff"]["after"]) == set(names) and all(_db(pg_admin, n) is None for n in names)

    run, res = run_module("postgresql_tier", args)
    assert run.rc == 0 and res["changed"] is True and all(d["changed"] and not d["existed"] for d in res["databases"]), res
    for name in names:   # each as one after another makes it
        assert _db(pg_admin, name) == (f"{name}_owner",)
        assert _role(pg_admin, f"{name}_app") == (True, False, False) and _role(pg_admin, f"{name}_owner") == (False, False, True)
        assert f'CREATE DATABASE "{name}" OWNER "{name}_owner"' in res["queries"]
    run, res = run_module("postgresql_tier", args)
    assert res["changed"] is False and res["queries"] == [], res

    # All three start at once and each fails on the extension: one message names each, none done, none left out.
    run, res = run_module("postgresql_tier", {**args, "extensions": ["file_fdw"]})
    assert run.rc != 0 and res["msg"].startswith("3 of 3 databases started failed: database "), res
    assert all(f"database {n}: " in res["msg"] for n in names) and "file_fdw" in res["msg"]
    assert res["msg"].endswith("(databases done, which stay done: none; not started: none)"), res["msg"]
    assert [d["name"] for d in res["databases"]] == names and all(d["failed"] for d in res["databases"])
    assert "app-pw-Zq81" not in run.stdout + run.stderr

    run, res = run_module("postgresql_tier", {**args, "state": "absent"})   # teardown, three at once
    assert run.rc == 0 and res["changed"] is True and all(d["existed"] for d in res["databases"]), res
    assert all(_db(pg_admin, n) is None and _role(pg_admin, f"{n}_app") is None for n in names)
