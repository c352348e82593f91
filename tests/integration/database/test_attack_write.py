"""Cross-tenant attacks that try to CHANGE another tenant's rows, as the app role: UPDATE,
DELETE, INSERT, ON CONFLICT and RETURNING. After each attack the victim's own view of its data
(app role, victim tenant set) must be exactly what it was before.
"""
from __future__ import annotations

import uuid

import psycopg
import pytest
from psycopg import sql

from attack_fixtures import attack_tier  # noqa: F401  # pylint: disable=unused-import
from attack_fixtures import (ACME, CONTOSO, FABRIKAM, as_tenant, expect_error, insert,
                             rolled_back, seeded, victim_row)

ATTACKER, VICTIM = ACME, CONTOSO
TARGETS = [("user_service", "users"), ("declaration_service", "declarations"), ("case_service", "cases"),
           ("tenant_registry", "tenant_settings"), ("global_config", "tenant_feature_overrides")]


def fresh_id() -> str:
    return str(uuid.uuid4())


@pytest.fixture()
def unchanged(attack_tier):
    """Call with a database before the attack; asserts at teardown that both victims saw no change."""
    taken = []

    def take(database):
        taken.append((database, {v: attack_tier.snapshot(database, v) for v in (CONTOSO, FABRIKAM)}))

    yield take
    for database, before in taken:
        for victim, snap in before.items():
            assert attack_tier.snapshot(database, victim) == snap, f"{database}: data of tenant {victim} changed"


@pytest.mark.parametrize("database,table", TARGETS)
def test_update_of_another_tenants_rows_changes_nothing(attack_tier, unchanged, database, table):
    unchanged(database)
    conn = attack_tier.app(database)
    ids = [r["id"] for r in seeded(database, table, VICTIM)]
    with as_tenant(conn, ATTACKER):
        cur = conn.execute(sql.SQL("UPDATE {} SET tenant_id = tenant_id WHERE id = ANY(%s::uuid[]) RETURNING *")
                           .format(sql.Identifier(table)), (ids,))
        assert cur.rowcount == 0 and cur.fetchall() == []
        cur = conn.execute(sql.SQL("UPDATE {} SET tenant_id = tenant_id WHERE tenant_id = %s").format(sql.Identifier(table)),
                           (VICTIM,))
        assert cur.rowcount == 0


def test_unfiltered_update_and_returning_touch_only_own_rows(attack_tier, unchanged):
    unchanged("case_service")
    conn = attack_tier.app("case_service")
    with rolled_back(conn, ATTACKER):
        rows = conn.execute("UPDATE cases SET title = 'pwned' RETURNING tenant_id::text, id::text").fetchall()
        assert {t for t, _id in rows} == {ATTACKER}
        assert sorted(i for _tenant, i in rows) == sorted(r["id"] for r in seeded("case_service", "cases", ATTACKER))


def test_moving_an_own_row_into_another_tenant_is_rejected(attack_tier, unchanged):
    unchanged("user_service")
    conn = attack_tier.app("user_service")
    with as_tenant(conn, ATTACKER):
        err = expect_error(conn, "UPDATE users SET tenant_id = %s", (VICTIM,), sqlstate="42501")
        assert "row-level security" in str(err)
        err = expect_error(conn, "UPDATE roles SET tenant_id = %s WHERE name = 'admin' RETURNING *", (VICTIM,),
                           sqlstate="42501")


@pytest.mark.parametrize("database,table", TARGETS)
def test_delete_of_another_tenants_rows_removes_nothing(attack_tier, unchanged, database, table):
    unchanged(database)
    conn = attack_tier.app(database)
    ids = [r["id"] for r in seeded(database, table, VICTIM)]
    with rolled_back(conn, ATTACKER):
        cur = conn.execute(sql.SQL("DELETE FROM {} WHERE id = ANY(%s::uuid[]) OR tenant_id = %s RETURNING *")
                           .format(sql.Identifier(table)), (ids, VICTIM))
        assert cur.rowcount == 0 and cur.fetchall() == []
        # everything the attacker can reach: only its own rows, then rolled back
        rows = conn.execute(sql.SQL("DELETE FROM {} RETURNING tenant_id::text").format(sql.Identifier(table))).fetchall()
        assert {t for (t,) in rows} <= {ATTACKER}


@pytest.mark.parametrize("database,table", TARGETS)
def test_insert_of_a_row_for_another_tenant_is_rejected(attack_tier, unchanged, database, table):
    unchanged(database)
    conn = attack_tier.app(database)
    row = victim_row(database, table, VICTIM, id=fresh_id())
    for column in ("email", "reference", "case_number", "key", "flag_key"):
        if column in row:
            row[column] = f"x{row[column]}"  # not a duplicate: the policy, not a constraint, must stop it
    with as_tenant(conn, ATTACKER):
        err = expect_error(conn, *insert(table, row, " RETURNING *"), sqlstate="42501")
        assert "row-level security" in str(err)
        # a NULL tenant is no loophole either
        row["tenant_id"] = None
        expect_error(conn, *insert(table, row), sqlstate=None)


def test_insert_select_cannot_copy_another_tenants_rows(attack_tier, unchanged):
    unchanged("form_service")
    conn = attack_tier.app("form_service")
    with rolled_back(conn, ATTACKER):
        cur = conn.execute("INSERT INTO forms (tenant_id, key, name) SELECT %s::uuid, key || '-copy', name FROM forms"
                           " WHERE tenant_id = %s RETURNING *", (ATTACKER, VICTIM))
        assert cur.rowcount == 0


def test_on_conflict_do_update_cannot_reach_another_tenants_row(attack_tier, unchanged):
    """The upsert the analytics job runs, aimed at a victim's key: the victim's row must not move."""
    unchanged("analytics_service")
    conn = attack_tier.app("analytics_service")
    victim = victim_row("analytics_service", "daily_aggregates", VICTIM)
    upsert = (" ON CONFLICT (tenant_id, day, metric, dimension) DO UPDATE SET value = 999999"
              " RETURNING tenant_id::text, value")
    with as_tenant(conn, ATTACKER):
        # the victim's full key: the insert path's WITH CHECK rejects it before any conflict is looked at
        err = expect_error(conn, *insert("daily_aggregates", victim, upsert), sqlstate="42501")
        assert "row-level security" in str(err)
        err = expect_error(conn, *insert("daily_aggregates", victim, " ON CONFLICT (tenant_id, id) DO UPDATE SET value = 1"),
                           sqlstate="42501")
    with rolled_back(conn, ATTACKER):
        # the victim's business key under the attacker's tenant: no conflict, a new row of the attacker
        own = dict(victim, tenant_id=ATTACKER, id=fresh_id(), day="2026-02-27")
        own["value"] = "5"
        assert conn.execute(*insert("daily_aggregates", own, upsert)).fetchall() == [(ATTACKER, 5)]
        # and the same statement on the attacker's own existing key updates its own row (the path works)
        again = dict(own, id=fresh_id())
        assert conn.execute(*insert("daily_aggregates", again, upsert)).fetchall() == [(ATTACKER, 999999)]
        assert conn.execute("SELECT count(*) FROM daily_aggregates WHERE day = '2026-02-27'").fetchone()[0] == 1


def test_on_conflict_do_nothing_is_no_existence_oracle(attack_tier, unchanged):
    """Existing and non-existing victim keys must fail the same way: the error cannot tell them apart."""
    unchanged("user_service")
    conn = attack_tier.app("user_service")
    existing = victim_row("user_service", "users", VICTIM)
    missing = dict(existing, id=fresh_id(), email="nobody@contoso.example")
    messages = []
    with as_tenant(conn, ATTACKER):
        for row in (existing, missing):
            for suffix in (" ON CONFLICT DO NOTHING", " ON CONFLICT (tenant_id, id) DO NOTHING RETURNING id"):
                err = expect_error(conn, *insert("users", row, suffix), sqlstate="42501")
                messages.append(str(err))
    assert len(set(messages)) == 1, messages


def test_select_for_update_cannot_lock_another_tenants_rows(attack_tier):
    """Locks follow visibility: the attacker locking 'everything' must not block the victim."""
    attacker, victim = attack_tier.app("user_service"), attack_tier.app("user_service")
    with as_tenant(attacker, ATTACKER):
        attacker.execute("SELECT * FROM users FOR UPDATE").fetchall()
        attacker.execute("LOCK TABLE users IN ROW EXCLUSIVE MODE")
        with as_tenant(victim, VICTIM):
            victim.execute("SET LOCAL lock_timeout = '2s'")
            try:
                cur = victim.execute("UPDATE users SET display_name = display_name RETURNING id")
            except psycopg.errors.LockNotAvailable:  # pragma: no cover - the failure this test exists for
                pytest.fail("the victim waited on a lock taken by another tenant")
            assert cur.rowcount == len(seeded("user_service", "users", VICTIM))
