"""The database steps open the next database's connection while the one before it is worked on
(connection.ConnectAhead), and postgresql_tier uses one connection per database: against a real
PostgreSQL, in process (the steps' own run_databases and ensure_present), with a stand-in for the
AnsibleModule that carries only what they read (params, check mode, diff)."""
from __future__ import annotations

import threading
import time
from types import SimpleNamespace

import pytest
from pg import connect, run_module, unique_name

from ansible_collections.complianceflow.infra.plugins.module_utils._pg.connection import (
    ConnectAhead,
    PgError,
    Session,
)
from ansible_collections.complianceflow.infra.plugins.module_utils._pg import connection as pg_connection
from ansible_collections.complianceflow.infra.plugins.module_utils._pg.multi import run_databases
from ansible_collections.complianceflow.infra.plugins.module_utils._pg.tier import ensure_present, normalize_databases

APP = "complianceflow.infra"   # the application_name every module connection sets


@pytest.fixture()
def three(pg_args):
    names = [unique_name("ahd") for _index in range(3)]
    run, res = run_module("postgresql_tier", {**pg_args, "databases": [{"name": n} for n in names]})
    assert res["changed"] is True, res
    return names


def step_module(pg_args, names, check_mode=False):
    params = {**pg_args, "database": None, "owner": None, "app_role": None, "tenant_column": "tenant_id",
              "databases": [{"name": n, "owner": None, "app_role": None} for n in names]}
    return SimpleNamespace(params=params, check_mode=check_mode, _diff=False)


def backends(pg_cluster, dbname: str) -> int:
    with connect(pg_cluster) as conn:
        return conn.execute("SELECT count(*) FROM pg_stat_activity WHERE datname = %s AND application_name = %s",
                            (dbname, APP)).fetchone()[0]


def await_backend(pg_cluster, dbname: str, within: float = 10.0) -> int:
    """The module's backends on dbname, once there is one (or after `within` seconds: a liveness bound, not a speed one)."""
    deadline = time.monotonic() + within
    while (found := backends(pg_cluster, dbname)) == 0 and time.monotonic() < deadline:
        time.sleep(0.05)
    return found


def open_backends(pg_cluster, names: list, within: float = 10.0) -> list:
    """The module's backends on each database once none is left (or after `within` seconds). A backend ends a moment
    after its client closed the connection (the server sees the socket close): counted at once, a closed connection can
    still show; one left open still shows after the wait."""
    deadline = time.monotonic() + within
    while any(found := [backends(pg_cluster, n) for n in names]) and time.monotonic() < deadline:
        time.sleep(0.05)
    return found


def test_the_next_database_is_connected_while_the_one_before_it_is_worked_on(pg_cluster, pg_args, three):
    seen = {}

    def work(module, entry, _data, queries, _absent, connect_to):
        conn = connect_to(entry["database"])
        try:
            following = three.index(entry["database"]) + 1
            if following < len(three):
                seen[entry["database"]] = await_backend(pg_cluster, three[following])
            queries.append("SELECT 1")
            conn.execute("SELECT 1")
        finally:
            conn.close()
        return {"changed": False}

    result = run_databases(step_module(pg_args, three), [], per_database={}, work=work)
    assert [d["name"] for d in result["databases"]] == three
    # While the first database was worked on, the second one was already connected (and so on): one ahead.
    assert seen == {three[0]: 1, three[1]: 1}
    assert open_backends(pg_cluster, three) == [0, 0, 0]


def test_after_a_failed_database_the_next_ones_connection_is_closed_unused(pg_cluster, pg_args, three):
    worked = []

    def work(module, entry, _data, queries, _absent, connect_to):
        conn = connect_to(entry["database"])
        try:
            worked.append(entry["database"])
            if entry["database"] == three[0]:
                await_backend(pg_cluster, three[1])   # the second one is open by now: its close is what is checked
                raise PgError("the first database fails")
        finally:
            conn.close()
        return {"changed": False}

    with pytest.raises(PgError) as failure:
        run_databases(step_module(pg_args, three), [], per_database={}, work=work)
    assert f"database {three[0]}: the first database fails (databases done before it, which stay done: none)" in str(failure.value)
    assert worked == [three[0]]                      # the stop at the failed database is unchanged
    assert open_backends(pg_cluster, three) == [0, 0, 0]   # nothing left open


def test_a_database_that_cannot_be_connected_fails_when_its_turn_comes(pg_args, three):
    missing = unique_name("ahd")
    order = [three[0], missing]
    ahead = ConnectAhead(pg_args, order)
    try:
        first = ahead.take(three[0])        # starts opening the missing one: no error yet
        assert first.execute("SELECT current_database()").fetchone()[0] == three[0]
        first.close()
        with pytest.raises(PgError) as failure:
            ahead.take(missing)
    finally:
        ahead.close()
    message = str(failure.value)
    assert f"cannot connect to database '{missing}'" in message and "does not exist" in message
    assert pg_args["login_password"] not in message


def test_the_tier_opens_one_connection_for_each_database_it_looks_into_and_changes(pg_cluster, pg_args, three, monkeypatch):
    opened = []
    real_connect = pg_connection.connect

    def counting_connect(params, dbname, **kwargs):
        opened.append(dbname)
        return real_connect(params, dbname, **kwargs)

    monkeypatch.setattr("ansible_collections.complianceflow.infra.plugins.module_utils._pg.tier.connect", counting_connect)
    db = normalize_databases([{"name": three[0]}])[0]
    with connect(pg_cluster, three[0]) as conn:   # an existing database whose app role lost a grant: a re-run repairs it
        conn.execute(f"SET ROLE {three[0]}_owner")
        conn.execute(f"REVOKE USAGE ON SCHEMA public FROM {three[0]}_app")
        conn.commit()
    admin = Session(real_connect(pg_args, "postgres"), [], check_mode=False)
    try:
        before, _after = ensure_present(admin, db, "public", pg_args, "on_create")
    finally:
        admin.close()
    assert before["exists"] is True and "USAGE" not in before["app_role"]["schema_privileges"]
    assert any("GRANT USAGE ON SCHEMA" in q for q in admin.queries), admin.queries
    assert opened == [three[0]]   # observed and repaired on one connection (two before)
    assert backends(pg_cluster, three[0]) == 0


def all_at_once(names, verb, finish_order, failing=None, changed=False):
    """A step's work that waits until every database has started (a BrokenBarrierError if they go one after another);
    the first entry ends last; `failing` raises a finding."""
    started = threading.Barrier(len(names), timeout=10)

    def work(module, entry, _data, queries, _absent, connect_to):
        conn = connect_to(entry["database"])
        try:
            started.wait()
            if entry["database"] == names[0]:
                time.sleep(0.2)
            queries.append(f"{verb} {entry['database']}")
            conn.execute("SELECT 1")
        finally:
            conn.close()
        finish_order.append(entry["database"])
        if entry["database"] == failing:
            raise PgError("a finding")
        return {"changed": changed}

    return work


def test_a_read_only_step_works_on_its_databases_side_by_side_and_reports_in_their_order(pg_args, three):
    finish_order: list[str] = []
    queries: list[str] = []
    with pytest.raises(PgError) as failure:
        run_databases(step_module(pg_args, three), queries, per_database={},
                      work=all_at_once(three, "read", finish_order, failing=three[1]), keep_going=True)
    assert finish_order[-1] == three[0]
    assert str(failure.value) == f"1 of 3 databases failed (passed: {three[0]}, {three[2]}): database {three[1]}: a finding"
    assert [d["name"] for d in failure.value.result["databases"]] == three
    assert queries == [f"read {name}" for name in three]


def at_once_module(pg_args, names, at_once):
    module = step_module(pg_args, names)
    module.params["databases_at_once"] = at_once
    return module


def test_a_writing_step_asked_for_several_at_once_works_on_them_side_by_side_and_reports_in_list_order(pg_args, three):
    finish_order: list[str] = []
    queries: list[str] = []
    result = run_databases(at_once_module(pg_args, three, 3), queries, per_database={},
                           work=all_at_once(three, "write", finish_order, changed=True))
    assert finish_order[-1] == three[0]
    assert [d["name"] for d in result["databases"]] == three and result["changed"] is True
    assert queries == [f"write {name}" for name in three]


def test_after_a_failure_no_further_database_is_started_and_the_ones_started_finish(pg_cluster, pg_args, three):
    fourth = unique_name("ahd")
    run_module("postgresql_tier", {**pg_args, "databases": [{"name": fourth}]})
    names = [*three, fourth]
    both_started, first_failed, worked = threading.Barrier(2, timeout=10), threading.Event(), []

    def work(module, entry, _data, queries, _absent, connect_to):
        name = entry["database"]
        worked.append(name)
        conn = connect_to(name)
        try:
            if name == names[0]:
                both_started.wait()
                first_failed.set()
                raise PgError("the first database fails")
            both_started.wait()
            first_failed.wait(10)
            time.sleep(0.3)   # ordering only: the failed one's thread has stopped the run by now
            conn.execute(f"CREATE TABLE done_after_failure_{name} (id int)")
            queries.append(f"CREATE TABLE done_after_failure_{name} (id int)")
        finally:
            conn.close()
        return {"changed": True}

    with pytest.raises(PgError) as failure:
        run_databases(at_once_module(pg_args, names, 2), [], per_database={}, work=work)
    assert sorted(worked) == sorted(names[:2])     # the third and fourth were never started
    assert str(failure.value) == (f"database {names[0]}: the first database fails (databases done, which stay done: "
                                  f"{names[1]}; not started: {names[2]}, {fourth})")
    assert [d["name"] for d in failure.value.result["databases"]] == names[:2]
    with connect(pg_cluster, names[1]) as conn:   # the one started finished: its work stays done
        assert conn.execute("SELECT to_regclass(%s)", (f"done_after_failure_{names[1]}",)).fetchone()[0] is not None
    assert open_backends(pg_cluster, names) == [0, 0, 0, 0]


OUT_OF_RANGE = ("databases_at_once is {}: give 1 (one database after another, the default) up to 8 (that many side by side, "
                "each on a connection of its own)")


@pytest.mark.parametrize("at_once,single,message", [
    (0, False, OUT_OF_RANGE.format(0)),
    (9, False, OUT_OF_RANGE.format(9)),
    (2, True, "databases_at_once is 2 with the single form (database): it applies to the list form (databases)"),
])
def test_databases_at_once_out_of_range_fails_before_any_connection(pg_args, three, monkeypatch, at_once, single, message):
    opened = []
    monkeypatch.setattr("ansible_collections.complianceflow.infra.plugins.module_utils._pg.multi.connect",
                        lambda params, name, **kwargs: opened.append(name))
    monkeypatch.setattr("ansible_collections.complianceflow.infra.plugins.module_utils._pg.connection.connect",
                        lambda params, name, **kwargs: opened.append(name))
    module = at_once_module(pg_args, three, at_once)
    if single:
        module.params.update(databases=None, database=three[0])
    with pytest.raises(PgError) as failure:
        run_databases(module, [], per_database={}, work=lambda *args: pytest.fail("no database may be worked on"))
    assert str(failure.value) == message
    assert opened == []
