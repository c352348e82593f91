"""Side channels row-level security does not close by itself (docs/database-security.md).

What PostgreSQL closes is asserted closed (pg_stats for a role under RLS). What it cannot close
is shown to be bounded (table-wide totals, never values or per-tenant figures), so the
documentation stays true. What the schema avoids by design (sequences, definer views) is
asserted absent, so a later migration that brings it back fails here.
"""
from __future__ import annotations

import re

import pytest
from psycopg import sql

from attack_fixtures import attack_tier  # noqa: F401  # pylint: disable=unused-import
from attack_fixtures import ACME, CONTOSO, DATABASES, as_tenant, load_seed, seeded

ATTACKER, VICTIM = ACME, CONTOSO


@pytest.fixture()
def analyzed(attack_tier):
    """Statistics exist (autovacuum would get there too): ANALYZE as the owner, through the admin."""
    conn = attack_tier.admin("user_service")
    with conn.transaction():
        conn.execute("SET LOCAL ROLE user_service_owner")
        conn.execute("ANALYZE users")
    conn.close()


def test_planner_statistics_are_hidden_from_the_app_role(attack_tier, analyzed):
    """pg_stats would show most-common values (other tenants' e-mails) to anyone with SELECT; for
    a role under RLS PostgreSQL hides the rows of the view (and of pg_stats_ext)."""
    conn = attack_tier.app("user_service")
    with as_tenant(conn, ATTACKER):
        assert conn.execute("SELECT last_analyze IS NOT NULL FROM pg_stat_user_tables WHERE relname = 'users'").fetchone()[0]
        assert conn.execute("SELECT count(*) FROM pg_stats WHERE tablename = 'users'").fetchone()[0] == 0
        assert conn.execute("SELECT count(*) FROM pg_stats_ext WHERE tablename = 'users'").fetchone()[0] == 0
        from psycopg.errors import InsufficientPrivilege
        with pytest.raises(InsufficientPrivilege):
            conn.execute("SELECT * FROM pg_statistic")


def test_table_wide_totals_are_visible_but_nothing_per_tenant(attack_tier, analyzed):
    """RESIDUAL: pg_class.reltuples, pg_stat_user_tables and EXPLAIN ANALYZE of a sequential scan
    reveal how many rows a table holds in total (all tenants), not whose they are."""
    total = len(seeded("user_service", "users"))
    own = len(seeded("user_service", "users", ATTACKER))
    conn = attack_tier.app("user_service")
    with as_tenant(conn, ATTACKER):
        reltuples = conn.execute("SELECT reltuples FROM pg_class WHERE oid = 'users'::regclass").fetchone()[0]
        live = conn.execute("SELECT n_live_tup FROM pg_stat_user_tables WHERE relname = 'users'").fetchone()[0]
        conn.execute("SET LOCAL enable_bitmapscan = off")
        conn.execute("SET LOCAL enable_indexscan = off")
        plan = "\n".join(r[0] for r in conn.execute("EXPLAIN (ANALYZE, COSTS OFF, TIMING OFF, SUMMARY OFF) SELECT * FROM users"))
    removed = int(re.search(r"Rows Removed by Filter: (\d+)", plan).group(1))
    assert reltuples == total and live == total and removed == total - own
    assert own < total  # the figure is the table's, not the attacker's: that is the (bounded) leak


def test_tier_databases_use_no_sequences(attack_tier):
    """A shared sequence would tell every tenant how many rows all tenants created (ids are uuids)."""
    for database in DATABASES:
        conn = attack_tier.app(database)
        rows = conn.execute("SELECT relname FROM pg_class WHERE relkind = 'S' AND relnamespace = 'public'::regnamespace").fetchall()
        assert rows == [], f"{database} has sequences {rows}"
        conn.close()


def test_every_view_is_security_invoker_and_every_tenant_table_is_forced(attack_tier):
    """Independent of the audit, from the catalog as the app role sees it."""
    checked = 0
    for database in DATABASES:
        conn = attack_tier.app(database)
        views = conn.execute("SELECT relname, coalesce(reloptions::text, '') FROM pg_class"
                             " WHERE relnamespace = 'public'::regnamespace AND relkind IN ('v', 'm')").fetchall()
        for name, options in views:
            assert "security_invoker=true" in options, f"{database}.{name} runs as its owner"
        for table in attack_tier.tenant_tables(database):
            rls, force = conn.execute("SELECT relrowsecurity, relforcerowsecurity FROM pg_class WHERE oid = %s::regclass",
                                      (table,)).fetchone()
            policies = conn.execute(sql.SQL("SELECT policyname, cmd, roles::text[], qual, with_check FROM pg_policies"
                                            " WHERE schemaname = 'public' AND tablename = %s"), (table,)).fetchall()
            assert rls and force, f"{database}.{table}: rls={rls} force={force}"
            assert len(policies) == 1, f"{database}.{table}: {policies}"
            name, cmd, roles, qual, check = policies[0]
            assert (name, cmd, roles) == ("tenant_isolation", "ALL", [f"{database}_app"])
            assert "current_tenant_id()" in qual and "current_tenant_id()" in check
            checked += 1
        conn.close()
    seeded_tables = sum(1 for db in DATABASES for rows in load_seed(db).values() if rows and "tenant_id" in rows[0])
    assert checked >= seeded_tables + 4  # + the four notification_log partitions


def _estimate(conn, column: str, value: str) -> int:
    query = f"EXPLAIN (FORMAT JSON) SELECT * FROM daily_aggregates WHERE {column} = %s"
    return conn.execute(query, (value,)).fetchone()[0][0]["Plan"]["Plan Rows"]


def test_planner_estimates_reflect_other_tenants_value_frequencies(attack_tier):
    """RESIDUAL: EXPLAIN's row estimate comes from statistics over all tenants; for a leakproof
    operator (text equality) PostgreSQL uses them even for a role under RLS, so a value frequent
    in another tenant gets a large estimate. Mitigation shown on a second column: no statistics
    on a sensitive column (SET STATISTICS 0 in the migration, before any ANALYZE) gives every
    value the same estimate."""
    victim, attacker = attack_tier.app("analytics_service"), attack_tier.app("analytics_service")
    admin = attack_tier.admin("analytics_service")

    def as_owner(*statements: str) -> None:
        with admin.transaction():
            admin.execute("SET LOCAL ROLE analytics_service_owner")
            for statement in statements:
                admin.execute(statement)

    as_owner("ALTER TABLE daily_aggregates ALTER COLUMN dimension SET STATISTICS 0")
    try:
        with as_tenant(victim, VICTIM):  # the victim's secret: many rows of one value
            victim.execute("INSERT INTO daily_aggregates (tenant_id, day, metric, dimension, value) SELECT %s,"
                           " date '2025-01-01' + g, 'merger_talks', 'merger_talks', g FROM generate_series(1, 400) g",
                           (VICTIM,))
        as_owner("ANALYZE daily_aggregates")
        with as_tenant(attacker, ATTACKER):
            assert attacker.execute("SELECT count(*) FROM daily_aggregates WHERE metric = 'merger_talks'").fetchone()[0] == 0
            leaked = _estimate(attacker, "metric", "merger_talks"), _estimate(attacker, "metric", "no_such_metric")
            mitigated = _estimate(attacker, "dimension", "merger_talks"), _estimate(attacker, "dimension", "no_such_value")
        # the residual: visible in the estimate only (scaled down by the policy's own selectivity,
        # 1/n_distinct(tenant_id), since the policy is a plain expression the planner estimates)
        assert leaked[0] >= 5 * leaked[1], leaked
        assert mitigated[0] == mitigated[1], mitigated
    finally:
        with as_tenant(victim, VICTIM):
            victim.execute("DELETE FROM daily_aggregates WHERE metric = 'merger_talks'")
        as_owner("ALTER TABLE daily_aggregates ALTER COLUMN dimension SET STATISTICS -1", "ANALYZE daily_aggregates")


def test_app_role_can_lock_a_table_for_every_tenant(attack_tier):
    """RESIDUAL (availability, not confidentiality): UPDATE lets a role LOCK TABLE in any mode, so
    one tenant's session can stall every tenant. Bound: postgresql_tier sets lock_timeout,
    statement_timeout and idle_in_transaction_session_timeout on the app role, so another tenant's
    request fails after lock_timeout instead of hanging. Left: a session may raise its own values
    (SET), so the holder is bounded only by the pooler and monitoring of pg_locks."""
    from psycopg.errors import LockNotAvailable

    attacker, victim = attack_tier.app("case_service"), attack_tier.app("case_service")
    assert [victim.execute(f"SHOW {g}").fetchone()[0] for g in (
        "lock_timeout", "statement_timeout", "idle_in_transaction_session_timeout")] == ["3s", "30s", "1min"]
    with as_tenant(attacker, ATTACKER):
        attacker.execute("SET LOCAL idle_in_transaction_session_timeout = 0")  # the residual: its own bound is its own
        attacker.execute("LOCK TABLE cases IN ACCESS EXCLUSIVE MODE")
        with as_tenant(victim, VICTIM):  # no SET: the role's lock_timeout applies
            with pytest.raises(LockNotAvailable, match="lock timeout"):
                victim.execute("SELECT count(*) FROM cases")
