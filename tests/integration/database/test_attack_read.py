"""Cross-tenant attacks that try to READ another tenant's rows, as the app role.

Every test connects as <db>_app (what a service uses) against databases prepared by the
collection's roles, and asserts that nothing of another tenant comes back.
"""
from __future__ import annotations

import pytest
from psycopg import sql

from attack_fixtures import attack_tier  # noqa: F401  # pylint: disable=unused-import
from attack_fixtures import (ACME, CONTOSO, DATABASES, FABRIKAM, NOBODY, as_tenant,
                             expect_error, insert, load_seed, seeded, victim_row)

TENANT_TABLES = [(db, table) for db in DATABASES for table, rows in load_seed(db).items()
                 if rows and "tenant_id" in rows[0]]
TENANT_DATABASES = sorted({db for db, _table in TENANT_TABLES})
ATTACKER, VICTIMS = ACME, (CONTOSO, FABRIKAM)


def ident(table: str) -> sql.Identifier:
    return sql.Identifier(table)


@pytest.mark.parametrize("tenant", [ACME, CONTOSO, FABRIKAM], ids=["acme", "contoso", "fabrikam"])
@pytest.mark.parametrize("database", TENANT_DATABASES)
def test_each_tenant_sees_exactly_its_own_seeded_rows(attack_tier, database, tenant):
    conn = attack_tier.app(database)
    with as_tenant(conn, tenant):
        for db, table in TENANT_TABLES:
            if db != database:
                continue
            rows = conn.execute(sql.SQL("SELECT tenant_id::text, id::text FROM {}").format(ident(table))).fetchall()
            assert {t for t, _id in rows} <= {tenant}, f"{database}.{table} showed rows of another tenant"
            assert sorted(i for _tenant, i in rows) == sorted(r["id"] for r in seeded(database, table, tenant)), table


@pytest.mark.parametrize("database", TENANT_DATABASES)
def test_filtering_explicitly_on_another_tenant_returns_nothing(attack_tier, database):
    conn = attack_tier.app(database)
    with as_tenant(conn, ATTACKER):
        for table in attack_tier.tenant_tables(database):
            for victim in VICTIMS:
                query = sql.SQL("SELECT count(*) FROM {} WHERE tenant_id = %s").format(ident(table))
                assert conn.execute(query, (victim,)).fetchone()[0] == 0, f"{database}.{table}"
            query = sql.SQL("SELECT count(*) FROM {} WHERE tenant_id <> %s OR tenant_id IS NULL").format(ident(table))
            assert conn.execute(query, (ATTACKER,)).fetchone()[0] == 0, f"{database}.{table}"


def test_lookup_by_another_tenants_primary_key_finds_nothing(attack_tier):
    for db, table in TENANT_TABLES:
        victim_rows = seeded(db, table, CONTOSO)
        if not victim_rows:
            continue
        conn = attack_tier.app(db)
        with as_tenant(conn, ATTACKER):
            query = sql.SQL("SELECT * FROM {} WHERE tenant_id = %s AND id = %s").format(ident(table))
            for row in victim_rows:
                assert conn.execute(query, (CONTOSO, row["id"])).fetchall() == [], f"{db}.{table} {row['id']}"
            # without the tenant in the predicate too: the id alone must not reach across
            query = sql.SQL("SELECT * FROM {} WHERE id = ANY(%s::uuid[])").format(ident(table))
            assert conn.execute(query, ([r["id"] for r in victim_rows],)).fetchall() == [], f"{db}.{table}"
        conn.close()


def test_aggregates_and_joins_cover_only_own_rows(attack_tier):
    conn = attack_tier.app("declaration_service")
    own = seeded("declaration_service", "declarations", ATTACKER)
    with as_tenant(conn, ATTACKER):
        count, total = conn.execute("SELECT count(*), sum(amount) FROM declarations").fetchone()
        assert count == len(own)
        assert total == sum(__import__("decimal").Decimal(r["amount"]) for r in own)
        # a join that would pair this tenant's declarations with everyone's events
        joined = conn.execute("SELECT DISTINCT e.tenant_id::text FROM declaration_events e"
                              " FULL JOIN declarations d ON d.id = e.declaration_id").fetchall()
        assert joined == [(ATTACKER,)]


@pytest.mark.parametrize("database", TENANT_DATABASES)
@pytest.mark.parametrize("setting", [None, ""], ids=["unset", "empty"])
def test_no_tenant_or_empty_tenant_sees_nothing_and_writes_nothing(attack_tier, database, setting):
    conn = attack_tier.app(database)
    with conn.transaction():
        if setting is not None:
            conn.execute("SELECT set_config('app.tenant_id', %s, true)", (setting,))
        assert conn.execute("SELECT current_tenant_id()").fetchone()[0] is None
        for table in attack_tier.tenant_tables(database):
            assert conn.execute(sql.SQL("SELECT count(*) FROM {}").format(ident(table))).fetchone()[0] == 0, table
        table = next(t for d, t in TENANT_TABLES if d == database)
        row = dict(seeded(database, table)[0], id=NOBODY)
        err = expect_error(conn, *insert(table, row), sqlstate="42501")
        assert "row-level security" in str(err)


@pytest.mark.parametrize("value", ["not-a-uuid", "' OR '1'='1", f"{CONTOSO}' OR 'x'='x", f"{ACME},{CONTOSO}", "*"],
                         ids=["word", "injection", "uuid-injection", "two-tenants", "star"])
def test_malformed_tenant_is_a_clear_error_not_a_wildcard(attack_tier, value):
    conn = attack_tier.app("user_service")
    with as_tenant(conn, None):
        conn.execute("SELECT set_config('app.tenant_id', %s, true)", (value,))
        err = expect_error(conn, "SELECT * FROM users", sqlstate="22P02")
        assert "uuid" in str(err)


def test_a_tenant_that_owns_nothing_sees_nothing(attack_tier):
    for database in TENANT_DATABASES:
        conn = attack_tier.app(database)
        with as_tenant(conn, NOBODY):
            for table in attack_tier.tenant_tables(database):
                assert conn.execute(sql.SQL("SELECT count(*) FROM {}").format(ident(table))).fetchone()[0] == 0
        conn.close()


def test_error_raising_predicate_is_evaluated_only_on_own_rows(attack_tier):
    """The classic leak: a predicate that fails on one specific row (division by zero) tells the
    attacker that row exists, if it is evaluated before the tenant filter. RLS quals are a
    security barrier, so a non-leakproof user predicate only ever sees the caller's rows."""
    conn = attack_tier.app("user_service")
    probe = "SELECT count(*) FROM users WHERE 1 / (CASE WHEN email = %s THEN 0 ELSE 1 END) = 1"
    own = {r["email"] for r in seeded("user_service", "users", ATTACKER)}
    mine = sorted(own)[0]
    theirs = [r["email"] for r in seeded("user_service", "users", CONTOSO) if r["email"] not in own]
    assert theirs
    with as_tenant(conn, ATTACKER):
        expect_error(conn, probe, (mine,), sqlstate="22012")  # the probe works on a row the caller can see...
        for email in theirs:  # ...and never fires on another tenant's row
            assert conn.execute(probe, (email,)).fetchone()[0] == len(seeded("user_service", "users", ATTACKER))


def test_app_role_cannot_define_functions_or_temporary_objects(attack_tier):
    """No CREATE on the schema and no TEMP on the database: an attacker cannot plant a leaky
    function, a shadowing current_tenant_id() or a temp table to stage data."""
    conn = attack_tier.app("user_service")
    with as_tenant(conn, ATTACKER):
        for statement in (
                "CREATE FUNCTION pg_temp.peek(text) RETURNS boolean LANGUAGE sql AS $$ SELECT true $$",
                "CREATE FUNCTION public.peek(text) RETURNS boolean LANGUAGE sql AS $$ SELECT true $$",
                "CREATE TEMP TABLE loot AS SELECT * FROM users"):
            expect_error(conn, statement, sqlstate="42501")


def test_row_security_off_errors_instead_of_bypassing(attack_tier):
    conn = attack_tier.app("case_service")
    with as_tenant(conn, ATTACKER):
        conn.execute("SET LOCAL row_security = off")
        err = expect_error(conn, "SELECT * FROM cases", sqlstate="42501")
        assert "row-level security" in str(err)


def test_cached_generic_plan_follows_the_tenant_of_each_transaction(attack_tier):
    """A plan prepared under one tenant must not carry that tenant (or its rows) into the next."""
    conn = attack_tier.app("declaration_service")
    conn.execute("SET plan_cache_mode = force_generic_plan")
    conn.execute("PREPARE listing AS SELECT tenant_id::text, reference FROM declarations ORDER BY declared_on DESC")
    for tenant in (ACME, CONTOSO, ACME, FABRIKAM, NOBODY):
        with as_tenant(conn, tenant):
            rows = conn.execute("EXECUTE listing").fetchall()
        assert {t for t, _id in rows} <= {tenant}
        assert len(rows) == len(seeded("declaration_service", "declarations", tenant))


def test_partitions_queried_directly_show_only_own_rows(attack_tier):
    """Each partition of notification_log is a table of its own; its policy must hold when it is named directly."""
    conn = attack_tier.app("notification_service")
    partitions = [name for (name,) in conn.execute(
        "SELECT inhrelid::regclass::text FROM pg_inherits WHERE inhparent = 'notification_log'::regclass ORDER BY 1")]
    assert len(partitions) >= 2
    with as_tenant(conn, ATTACKER):
        seen = []
        for part in partitions:
            rows = conn.execute(sql.SQL("SELECT tenant_id::text, id::text FROM {}").format(ident(part))).fetchall()
            assert {t for t, _id in rows} <= {ATTACKER}, f"partition {part} leaked"
            seen += [i for _tenant, i in rows]
        assert sorted(seen) == sorted(r["id"] for r in seeded("notification_service", "notification_log", ATTACKER))
        # an insert aimed at a partition directly is checked like one through the parent
        row = victim_row("notification_service", "notification_log", CONTOSO, id=NOBODY)
        home = conn.execute("SELECT tableoid::regclass::text FROM notification_log"  # the attacker's row of that month
                            " WHERE date_trunc('month', created_at) = date_trunc('month', %s::timestamptz) LIMIT 1",
                            (row["created_at"],)).fetchone()[0]
        for part in partitions:
            # the partition routing would pick for the row (same month as the attacker's) and every other one
            err = expect_error(conn, *insert(part, row), sqlstate="42501" if part == home else None)
            assert "row-level security" in str(err) or "partition constraint" in str(err), str(err)


def test_security_invoker_view_shows_only_own_rows(attack_tier):
    conn = attack_tier.app("case_service")
    for tenant in (ACME, CONTOSO, FABRIKAM):
        with as_tenant(conn, tenant):
            rows = conn.execute("SELECT tenant_id::text, id::text FROM open_cases").fetchall()
        expected = [r["id"] for r in seeded("case_service", "cases", tenant) if r["status"] != "closed"]
        assert {t for t, _id in rows} <= {tenant}
        assert sorted(i for _tenant, i in rows) == sorted(expected)
