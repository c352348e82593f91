"""The list form (`databases:`) of postgresql_migrations, postgresql_rls and postgresql_seed: one
module invocation for several databases, against a real PostgreSQL."""
from __future__ import annotations

import pytest
from pg import connect, run_module, unique_name
from test_modules_data import SEED, counts
from test_modules_migrations import FIXTURES, history, rls_state

BASE = FIXTURES / "base"


@pytest.fixture()
def dbs(pg_args):
    """Two fresh tier databases made by postgresql_tier (one call for both)."""
    names = [unique_name("lst"), unique_name("lst")]
    run, res = run_module("postgresql_tier", {**pg_args, "databases": [{"name": n} for n in names]})
    assert res["changed"] is True, res
    return names


def migrate_all(pg_args, entries, at_once=None, **kwargs):
    at_once_arg = {} if at_once is None else {"databases_at_once": at_once}
    return run_module("postgresql_migrations", {**pg_args, "databases": entries, **at_once_arg}, **kwargs)


def test_migrations_list_check_mode_apply_and_rerun(pg_cluster, pg_args, dbs):
    not_yet = unique_name("lst")  # postgresql_tier would create it first: check mode predicts instead of failing
    entries = [{"name": n, "path": str(BASE)} for n in [*dbs, not_yet]]
    run, res = migrate_all(pg_args, entries, check=True, diff=True)
    assert res["changed"] is True, res
    assert [d["name"] for d in res["databases"]] == [*dbs, not_yet]
    assert all(d["applied"] == ["0001_notes.sql", "0002_view.sql"] for d in res["databases"]), res["databases"]
    assert res["applied"][:2] == [f"{dbs[0]}/0001_notes.sql", f"{dbs[0]}/0002_view.sql"]
    assert "does not exist yet" in res["databases"][2]["msg"]
    assert set(res["diff"]["after"]) == {dbs[0], dbs[1]}  # the absent one has no state to compare
    assert all(history(pg_cluster, n) == [] and rls_state(pg_cluster, n) == {} for n in dbs)

    run, res = migrate_all(pg_args, entries[:2])
    assert res["changed"] is True and [d["version"] for d in res["databases"]] == [2, 2], res
    for name in dbs:
        assert [row[:2] for row in history(pg_cluster, name)] == [(1, "notes"), (2, "view")]
        assert rls_state(pg_cluster, name)["notes"] == (True, True, 1)
    assert any(q.startswith("-- migration 0001_notes.sql") for q in res["databases"][1]["queries"])
    assert len(res["queries"]) == sum(len(d["queries"]) for d in res["databases"])

    run, res = migrate_all(pg_args, entries[:2])
    assert res["changed"] is False and res["applied"] == [] and res["queries"] == [], res


@pytest.mark.parametrize("bad,message", [
    ({"path": "/nonexistent/migrations"}, "databases[1] ({second}): migrations directory '/nonexistent/migrations' does not exist"),
    ({"name": "Bad-Name"}, "databases[1] (Bad-Name): "),
    ({"app_role": "x; drop"}, "databases[1] ({second}): "),
])
def test_invalid_second_entry_fails_before_the_first_is_touched(pg_cluster, pg_args, dbs, bad, message):
    entries = [{"name": n, "path": str(BASE)} for n in dbs]
    entries[1].update(bad)
    run, res = migrate_all(pg_args, entries)
    assert res["failed"] is True and message.format(second=dbs[1]) in res["msg"], res["msg"]
    assert "Traceback" not in run.stdout + run.stderr
    assert history(pg_cluster, dbs[0]) == [] and res.get("queries") == []


def test_failure_in_second_database_names_it_and_keeps_the_first(pg_cluster, pg_args, dbs):
    entries = [{"name": dbs[0], "path": str(BASE)}, {"name": dbs[1], "path": str(FIXTURES / "later_bad")}]
    run, res = migrate_all(pg_args, entries)
    assert res["failed"] is True and res["msg"].startswith(f"database {dbs[1]}: migration 0003_oracle.sql rolled back"), res
    assert f"databases done before it, which stay done: {dbs[0]}" in res["msg"]
    assert res["changed"] is True  # the first database really changed
    first, second = res["databases"]
    assert first["name"] == dbs[0] and first["applied"] == ["0001_notes.sql", "0002_view.sql"] and "failed" not in first
    assert second["name"] == dbs[1] and second["failed"] is True and "0003_oracle.sql" in second["msg"]
    assert second["applied"] == ["0001_notes.sql", "0002_view.sql"] and second["changed"] is True  # committed before 0003
    assert len(history(pg_cluster, dbs[0])) == 2 and len(history(pg_cluster, dbs[1])) == 2  # 0003 rolled back


def test_rls_audit_and_enforce_lists(pg_cluster, pg_args, dbs):
    migrate_all(pg_args, [{"name": n, "path": str(BASE)} for n in dbs])
    audit = {**pg_args, "databases": [{"name": n} for n in dbs], "mode": "audit"}
    run, res = run_module("postgresql_rls", audit)
    assert res["changed"] is False and set(res["rls"]) == set(dbs), res
    assert all("public.notes" in res["rls"][n]["tables"] for n in dbs)
    with connect(pg_cluster, dbs[1]) as conn:  # a tenant table added by hand, without RLS
        conn.execute(f'SET ROLE "{dbs[1]}_owner"')
        conn.execute("CREATE TABLE public.memos (tenant_id uuid NOT NULL, id int, PRIMARY KEY (tenant_id, id))")
    run, res = run_module("postgresql_rls", audit)
    assert res["failed"] is True and res["msg"].startswith(f"1 of 2 databases failed (passed: {dbs[0]}): database {dbs[1]}: "), res["msg"]
    assert "public.memos" in res["msg"] and [d.get("failed", False) for d in res["databases"]] == [False, True]
    run, res = run_module("postgresql_rls", {**audit, "mode": "enforce"}, check=True, diff=True)
    assert res["changed"] is True and list(res["diff"]["after"]) == [dbs[1]] and rls_state(pg_cluster, dbs[1])["memos"] == (False, False, 0)
    run, res = run_module("postgresql_rls", {**audit, "mode": "enforce"})
    assert res["changed"] is True and [d["changed"] for d in res["databases"]] == [False, True], res
    assert rls_state(pg_cluster, dbs[1])["memos"] == (True, True, 1)
    run, res = run_module("postgresql_rls", audit)
    assert res["changed"] is False and "failed" not in res


def as_owner(pg_cluster, db, statement):
    with connect(pg_cluster, db) as conn:
        conn.execute(f'SET ROLE "{db}_owner"')
        conn.execute(statement)


def test_rls_audit_list_checks_every_database_then_fails_once(pg_cluster, pg_args, dbs):
    """A read-only audit does not stop at the first failed database: the 1st and 3rd fail for
    different reasons, the 2nd passes, and one failure names both failed ones."""
    names = [dbs[0], dbs[1], unique_name("lst")]
    run_module("postgresql_tier", {**pg_args, "databases": [{"name": names[2]}]})
    migrate_all(pg_args, [{"name": n, "path": str(BASE)} for n in names])
    for table in ("notes", "events", "events_p0", "events_p1"):  # 6 findings: more than the message lists
        as_owner(pg_cluster, names[0], f"ALTER TABLE public.{table} DISABLE ROW LEVEL SECURITY"
                 + (", NO FORCE ROW LEVEL SECURITY" if table in ("notes", "events") else ""))
    as_owner(pg_cluster, names[2], "DROP POLICY tenant_isolation ON public.notes")
    audit = {**pg_args, "databases": [{"name": n} for n in names], "mode": "audit"}

    run, res = run_module("postgresql_rls", audit)
    assert res["failed"] is True and res["changed"] is False and res["queries"] == [], res
    assert res["msg"].startswith(f"2 of 3 databases failed (passed: {names[1]}): database {names[0]}: "), res["msg"]
    first, third = res["msg"].split(" | ")
    assert "6 problem(s) found: " in first and "table public.notes: row level security not enabled" in first, res["msg"]
    assert first.endswith("; and 1 more (all in its rls.findings)") and "policy" not in first, res["msg"]
    assert third.startswith(f"database {names[2]}: ") and "table public.notes: policy tenant_isolation missing" in third
    assert f"database {names[1]}:" not in res["msg"] and "Traceback" not in run.stdout + run.stderr
    entries = res["databases"]
    assert [d["name"] for d in entries] == names and [d.get("failed", False) for d in entries] == [True, False, True]
    assert entries[1]["rls"]["findings"] == [] and "msg" not in entries[1]
    assert sorted(f["problem"] for f in entries[0]["rls"]["findings"]) == (
        ["row level security not enabled"] * 4 + ["row level security not forced (the owner would bypass it)"] * 2)
    assert [f["problem"] for f in entries[2]["rls"]["findings"]] == ["policy tenant_isolation missing"]
    assert set(res["rls"]) == set(names)
    # Audit changed nothing: the two gaps are still there for enforce to fix.
    assert rls_state(pg_cluster, names[0])["notes"] == (False, False, 1) and rls_state(pg_cluster, names[2])["notes"] == (True, True, 0)

    run, res = run_module("postgresql_rls", {**audit, "mode": "enforce"})  # enforce fixes both, then the audit passes
    assert res["changed"] is True and [d["changed"] for d in res["databases"]] == [True, False, True], res
    run, res = run_module("postgresql_rls", audit)
    assert "failed" not in res and res["changed"] is False, res


def test_rls_audit_list_goes_on_after_a_connection_failure(pg_args, dbs):
    migrate_all(pg_args, [{"name": dbs[0], "path": str(BASE)}])
    missing = unique_name("lst")  # never created: its connection fails
    run, res = run_module("postgresql_rls", {**pg_args, "databases": [{"name": missing}, {"name": dbs[0]}], "mode": "audit"})
    assert res["failed"] is True and res["msg"].startswith(f"1 of 2 databases failed (passed: {dbs[0]}): database {missing}: "), res
    assert f'database "{missing}" does not exist' in res["msg"] and pg_args["login_password"] not in res["msg"]
    gone, checked = res["databases"]
    assert gone["failed"] is True and "rls" not in gone and "failed" not in checked
    assert "public.notes" in checked["rls"]["tables"] and checked["rls"]["findings"] == []  # really audited after the failure


def test_rls_enforce_list_still_stops_at_the_first_failed_database(pg_args, dbs):
    missing = unique_name("lst")
    run, res = run_module("postgresql_rls", {**pg_args, "databases": [{"name": missing}, {"name": dbs[0]}]})
    assert res["failed"] is True and res["msg"].startswith(f"database {missing}: cannot connect"), res["msg"]
    assert "databases done before it, which stay done: none" in res["msg"]
    assert [d["name"] for d in res["databases"]] == [missing] and res["queries"] == []


def test_seed_list_check_apply_rerun_and_bad_second_file(pg_cluster, pg_args, dbs, tmp_path):
    migrate_all(pg_args, [{"name": n, "path": str(BASE)} for n in dbs])
    bad = tmp_path / "bad.yml"
    for content, message in (("tables: [unclosed", f"seed file {bad} is not valid YAML"),
                             ("tables: [{table: notes, rows: 3}]", f"{bad}: tables[1] must be a mapping")):
        bad.write_text(content)
        entries = [{"name": dbs[0], "path": str(SEED)}, {"name": dbs[1], "path": str(bad)}]
        run, res = run_module("postgresql_seed", {**pg_args, "databases": entries})
        assert res["failed"] is True and f"databases[1] ({dbs[1]}): {message}" in res["msg"], res["msg"]
        assert counts(pg_cluster, dbs[0])["countries"] == 0

    entries = [{"name": n, "path": str(SEED)} for n in dbs]
    empty = [counts(pg_cluster, n) for n in dbs]
    run, res = run_module("postgresql_seed", {**pg_args, "databases": entries}, check=True, diff=True)
    assert res["changed"] is True and set(res["inserted"]) == set(dbs) and res["inserted"][dbs[1]]["notes"] == 3, res
    assert res["diff"]["before"][dbs[0]]["notes"] == "0 of 3 seed rows present"
    assert [counts(pg_cluster, n) for n in dbs] == empty
    run, res = run_module("postgresql_seed", {**pg_args, "databases": entries})
    assert res["changed"] is True and all(d["inserted"] == {"countries": 2, "notes": 3, "events": 2} for d in res["databases"])
    assert all(counts(pg_cluster, n)["countries"] == 2 for n in dbs)
    run, res = run_module("postgresql_seed", {**pg_args, "databases": entries})
    assert res["changed"] is False and all(not any(v.values()) for v in res["inserted"].values()), res


@pytest.mark.parametrize("args,message", [
    ({"database": "x", "databases": [{"name": "y"}], "path": "/tmp"}, "parameters are mutually exclusive: database|databases"),
    ({}, "one of the following is required: database, databases"),
    ({"database": "x"}, "missing parameter(s) required by 'database': path"),
])
def test_forms_are_exclusive_and_one_is_required(pg_args, args, message):
    run, res = run_module("postgresql_migrations", {**pg_args, **args})
    assert res["failed"] is True and message in res["msg"], res["msg"]


def test_migrations_and_seed_side_by_side_apply_rerun_and_a_failed_database(pg_cluster, pg_args, dbs):
    third = unique_name("lst")
    run_module("postgresql_tier", {**pg_args, "databases": [{"name": third}]})
    names = [*dbs, third]
    entries = [{"name": dbs[0], "path": str(BASE)}, {"name": dbs[1], "path": str(FIXTURES / "later_bad")},
               {"name": third, "path": str(BASE)}]
    run, res = migrate_all(pg_args, entries, check=True, at_once=3)
    assert res["failed"] is True and [history(pg_cluster, n) for n in names] == [[], [], []], res  # check mode wrote nothing
    run, res = migrate_all(pg_args, entries, at_once=3)
    # All three started at once: the bad one failed, the other two finished and stay migrated.
    assert res["failed"] is True and res["msg"].startswith(f"database {dbs[1]}: migration 0003_oracle.sql rolled back"), res
    assert res["msg"].endswith(f"(databases done, which stay done: {dbs[0]}, {third}; not started: none)"), res["msg"]
    assert [d["name"] for d in res["databases"]] == names and res["changed"] is True
    assert [len(history(pg_cluster, n)) for n in names] == [2, 2, 2]   # the bad one's 0003 rolled back
    assert all(rls_state(pg_cluster, n)["notes"] == (True, True, 1) for n in names)

    good = [{"name": n, "path": str(BASE)} for n in (dbs[0], third)]
    run, res = migrate_all(pg_args, good, at_once=2)
    assert res["changed"] is False and res["queries"] == [], res

    seeds = [{"name": n, "path": str(SEED)} for n in (dbs[0], third)]
    run, res = run_module("postgresql_seed", {**pg_args, "databases": seeds, "databases_at_once": 2}, diff=True)
    assert res["changed"] is True and [d["name"] for d in res["databases"]] == [dbs[0], third], res
    assert set(res["diff"]["after"]) == {dbs[0], third}
    assert all(counts(pg_cluster, n)["countries"] == 2 for n in (dbs[0], third))
    run, res = run_module("postgresql_seed", {**pg_args, "databases": seeds, "databases_at_once": 2})
    assert res["changed"] is False, res


def test_databases_at_once_outside_its_range_is_refused_before_any_connection(pg_args, dbs):
    entries = [{"name": n, "path": str(BASE)} for n in dbs]
    run, res = migrate_all({**pg_args, "login_port": 1}, entries, at_once=9)   # a closed loopback port: refused if reached
    assert res["failed"] is True and res["msg"].startswith("databases_at_once is 9: give 1"), res["msg"]
    assert res.get("queries") == [] and "cannot connect" not in res["msg"]
