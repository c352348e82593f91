"""Existence oracles: can the app role learn that a value EXISTS for another tenant without
reading it? Through a unique constraint, a primary key, a foreign key, an error message or
EXPLAIN ANALYZE. Every key, unique constraint and foreign key includes tenant_id, so a probe
for another tenant's value must behave exactly like a probe for a value nobody has.
"""
from __future__ import annotations

import re
import uuid

import pytest

from attack_fixtures import attack_tier  # noqa: F401  # pylint: disable=unused-import
from attack_fixtures import (ACME, CONTOSO, expect_error, insert, rolled_back, seeded,
                             victim_row)

ATTACKER, VICTIM = ACME, CONTOSO


def fresh_id() -> str:
    return str(uuid.uuid4())


@pytest.mark.parametrize("database,table,column", [
    ("user_service", "users", "email"),
    ("declaration_service", "declarations", "reference"),
    ("case_service", "cases", "case_number"),
    ("form_service", "forms", "key"),
    ("rule_service", "rules", "key"),
])
def test_unique_value_of_another_tenant_is_no_oracle(attack_tier, database, table, column):
    """Inserting the victim's unique value under the attacker's tenant succeeds: no 'already exists'."""
    conn = attack_tier.app(database)
    mine = {r[column] for r in seeded(database, table, ATTACKER)}
    taken = next(r for r in seeded(database, table, VICTIM) if r[column] not in mine)  # only the victim has it
    own = dict(victim_row(database, table, ATTACKER), id=fresh_id(), **{column: taken[column]})
    with rolled_back(conn, ATTACKER):
        assert conn.execute(*insert(table, own, " RETURNING id::text")).fetchone()[0] == own["id"]


def test_primary_key_of_another_tenant_is_no_oracle(attack_tier):
    conn = attack_tier.app("case_service")
    taken = seeded("case_service", "cases", VICTIM)[0]
    own = dict(victim_row("case_service", "cases", ATTACKER), id=taken["id"], case_number="ACME-2026-9999")
    with rolled_back(conn, ATTACKER):
        conn.execute(*insert("cases", own))
        assert conn.execute("SELECT count(*) FROM cases WHERE id = %s", (taken["id"],)).fetchone()[0] == 1


def _normalise(message: str, *values: str) -> str:
    for value in values:
        message = message.replace(value, "<probe>")
    return message


@pytest.mark.parametrize("database,table,column,parent_table", [
    ("user_service", "user_roles", "user_id", "users"),
    ("case_service", "case_events", "case_id", "cases"),
    ("declaration_service", "declaration_events", "declaration_id", "declarations"),
])
def test_foreign_key_to_another_tenants_row_fails_like_a_missing_one(attack_tier, database, table, column, parent_table):
    """A reference to the victim's existing row and to a row nobody has must fail identically."""
    conn = attack_tier.app(database)
    victim_parent = seeded(database, parent_table, VICTIM)[0]["id"]
    nobody_parent = fresh_id()
    outcomes = []
    with rolled_back(conn, ATTACKER):
        for probe in (victim_parent, nobody_parent):
            row = dict(victim_row(database, table, ATTACKER), id=fresh_id(), **{column: probe})
            err = expect_error(conn, *insert(table, row), sqlstate="23503")
            outcomes.append((err.sqlstate, _normalise(str(err), probe, row["id"]), err.diag.constraint_name))
    assert outcomes[0] == outcomes[1], outcomes


def test_constraint_errors_show_no_key_values(attack_tier):
    """On a table with RLS active for the caller PostgreSQL leaves the key values out of
    constraint errors (no 'Key (...)=(...) already exists'): messages name the constraint only."""
    conn = attack_tier.app("user_service")
    mine = seeded("user_service", "users", ATTACKER)[0]
    with rolled_back(conn, ATTACKER):
        dup = expect_error(conn, *insert("users", dict(mine, id=fresh_id())), sqlstate="23505")
        fk = expect_error(conn, *insert("user_roles", dict(seeded("user_service", "user_roles", ATTACKER)[0],
                                                           id=fresh_id(), user_id=fresh_id())), sqlstate="23503")
    for err in (dup, fk):
        assert "=(" not in f"{err} {err.diag.message_detail}", err  # no "Key (col)=(value)"
        assert err.diag.constraint_name in str(err)


def _plan_shape(conn, query: str, params) -> str:
    lines = [row[0] for row in conn.execute("EXPLAIN (ANALYZE, COSTS OFF, TIMING OFF, SUMMARY OFF) " + query, params)]
    return "\n".join(lines)


@pytest.mark.parametrize("probe_column,victim_value,absent_value", [
    ("email", "erin@contoso.example", "zz-nobody@contoso.example"),
    # A fixed id no tenant has (uuid5, not uuid4: parametrized ids must be the same in every
    # pytest-xdist worker).
    ("id", seeded("user_service", "users", VICTIM)[0]["id"], str(uuid.uuid5(uuid.NAMESPACE_URL, "complianceflow:nobody"))),
])
def test_explain_analyze_does_not_tell_whether_another_tenant_has_a_value(attack_tier, probe_column, victim_value, absent_value):
    """Row counts in EXPLAIN ANALYZE (actual rows, Rows Removed by Filter) must not depend on
    whether the probed value exists for another tenant. (They do reveal table-wide totals on a
    sequential scan: a documented residual risk, see docs/database-security.md.)"""
    conn = attack_tier.app("user_service")
    query = f"SELECT * FROM users WHERE {probe_column} = %s"
    with rolled_back(conn, ATTACKER):
        conn.execute("SET LOCAL enable_bitmapscan = off")
        conn.execute("SET LOCAL enable_indexscan = off")  # the seq scan shows the most: every row passes a filter
        seq = [_plan_shape(conn, query, (value,)) for value in (victim_value, absent_value)]
        conn.execute("RESET enable_bitmapscan")
        conn.execute("RESET enable_indexscan")
        best = [_plan_shape(conn, query, (value,)) for value in (victim_value, absent_value)]
    for shapes in (seq, best):
        numbers = [re.findall(r"(?:rows|Filter|Recheck): ?(\d+)|rows=(\d+)", s) for s in shapes]
        assert numbers[0] == numbers[1], shapes
