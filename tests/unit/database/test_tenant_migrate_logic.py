"""Pure logic of the tenant migration (module_utils/_pg/tenant_migrate.py): copy order, resume point, journal states,
the checksum statement, and the checks made before any connection."""
from __future__ import annotations

import pytest
from ansible_collections.complianceflow.infra.plugins.module_utils._pg import tenant_migrate as tm
from ansible_collections.complianceflow.infra.plugins.module_utils._pg.connection import PgError


def table(parents=(), tenant=True, pk=("tenant_id", "id")):
    return {"columns": ["tenant_id", "id", "at"], "pk": list(pk), "tenant": tenant, "identity_always": False,
            "parents": list(parents)}


TABLES = {"a_events": table(["cases"]), "cases": table(["b_declarations"]), "b_declarations": table(),
          "codes": table(tenant=False), "users": table()}


def test_parents_are_copied_before_children_whatever_the_names_say_and_reference_tables_are_not_copied():
    order = tm.copy_order(TABLES)
    assert order.index("b_declarations") < order.index("cases") < order.index("a_events")
    assert "codes" not in order and sorted(order) == ["a_events", "b_declarations", "cases", "users"]


def test_a_resumed_copy_restarts_at_the_first_table_not_journaled_so_copied_tables_stay_a_prefix():
    order = ["b_declarations", "cases", "a_events", "users"]
    assert tm.remaining(order, set()) == order
    assert tm.remaining(order, {"b_declarations", "cases"}) == ["a_events", "users"]
    # a journal with a hole (a later table journaled, an earlier one not) re-copies from the hole on
    assert tm.remaining(order, {"b_declarations", "a_events"}) == ["cases", "a_events", "users"]
    assert tm.remaining(order, set(order)) == []


def test_journal_states_follow_the_steps_in_order():
    order = ["p", "c"]
    assert tm.journal_state(order, {}) == "new"
    assert tm.journal_state(order, {("copied", "p"): {}}) == "copying"
    assert tm.journal_state(order, {("copied", "p"): {}, ("copied", "c"): {}}) == "copied"
    assert tm.journal_state(order, {("copied", "p"): {}, ("verified", ""): {}}) == "verified"
    assert tm.journal_state(order, {("verified", ""): {}, ("routed", ""): {}}) == "routed"
    assert tm.journal_state(order, {("routed", ""): {}, ("deleted", ""): {}}) == "deleted"


def test_mismatches_name_each_table_whose_count_or_checksum_differs():
    source = {"p": (2, "aa"), "c": (3, "bb"), "d": (0, "cc")}
    target = {"p": (2, "aa"), "c": (3, "xx"), "d": (1, "dd")}
    wrong = tm.mismatches(["p", "c", "d"], source, target)
    assert [w["table"] for w in wrong] == ["c", "d"]
    assert wrong[0] == {"table": "c", "source_rows": 3, "target_rows": 3, "checksums_equal": False}
    assert tm.mismatches(["p"], source, {"p": (2, "aa")}) == []


def render(statement) -> str:
    return statement.as_string(None)  # psycopg renders identifiers and literals without a server


def test_the_checksum_hashes_the_tenants_rows_as_jsonb_text_in_primary_key_order():
    text = render(tm.checksum_sql("cases", table(), "tenant_id"))
    assert text.startswith("SELECT count(*), md5(coalesce(string_agg(to_jsonb(t)::text, E'\\n' ORDER BY ")
    assert '"t"."tenant_id", "t"."id"' in text and 'FROM "public"."cases" t WHERE "t"."tenant_id" = %s' in text


def test_offboarded_tenants_and_tenants_on_another_tier3_server_are_refused():
    active = {"tenant_id": "x", "status": "active", "placement": None}
    tm.check_movable(active, "acme", "westeu-dev-1", "psql-a")
    resumed = {**active, "placement": {"deployment": "westeu-dev-1", "tier": 3, "server": "psql-a"}}
    tm.check_movable(resumed, "acme", "westeu-dev-1", "psql-a")  # a resumed run
    with pytest.raises(PgError, match="already on Tier 3: server psql-b"):
        tm.check_movable({**active, "placement": {"deployment": "westeu-dev-1", "tier": 3, "server": "psql-b"}},
                         "acme", "westeu-dev-1", "psql-a")
    with pytest.raises(PgError, match="offboarded"):
        tm.check_movable({**active, "status": "offboarded"}, "acme", "westeu-dev-1", "psql-a")


def test_summary_gives_moved_deleted_and_states_per_database():
    out = tm.summary([{"name": "a", "state": "verified", "moved": {"t": 2}}, {"name": "b", "state": "deleted", "deleted": {"t": 1}}])
    assert out == {"moved": {"a": {"t": 2}, "b": {}}, "deleted": {"b": {"t": 1}}, "states": {"a": "verified", "b": "deleted"}}
