"""Attacks on the session: becoming the owner, persisting a tenant, and the transaction-pooler
hazard of a tenant set with a plain SET (which outlives its transaction) versus the documented
`set_config('app.tenant_id', ..., true)` (which does not).
"""
from __future__ import annotations

import psycopg
import pytest

from attack_fixtures import attack_tier  # noqa: F401  # pylint: disable=unused-import
from attack_fixtures import (ACME, CONTOSO, DATABASES, as_tenant, expect_error,
                             rolled_back, seeded)

ATTACKER, VICTIM = ACME, CONTOSO


@pytest.mark.parametrize("statement", [
    "SET ROLE user_service_owner",
    "SET SESSION AUTHORIZATION user_service_owner",
    "SELECT set_config('role', 'user_service_owner', false)",
    "SET ROLE {admin}",
    "SET ROLE pg_read_all_data",
])
def test_app_role_cannot_become_the_owner_or_the_admin(attack_tier, statement):
    conn = attack_tier.app("user_service")
    expect_error(conn, statement.format(admin=attack_tier.cluster.admin_user), sqlstate="42501")
    assert conn.execute("SELECT current_user, session_user").fetchone() == ("user_service_app", "user_service_app")


def test_app_role_has_no_membership_and_no_bypass(attack_tier):
    """Independent of the audit: the app role of every database is a plain login with no way around RLS."""
    with attack_tier.admin() as admin:
        rows = admin.execute(
            "SELECT r.rolname, r.rolsuper, r.rolbypassrls, r.rolinherit, r.rolcreaterole, r.rolcreatedb,"
            " (SELECT count(*) FROM pg_auth_members m WHERE m.member = r.oid)"
            " FROM pg_roles r WHERE r.rolname = ANY(%s)", ([f"{db}_app" for db in DATABASES],)).fetchall()
    assert len(rows) == len(DATABASES)
    for name, superuser, bypass, _inherit, createrole, createdb, memberships in rows:
        assert (superuser, bypass, createrole, createdb, memberships) == (False, False, False, False, 0), name


def test_app_role_cannot_persist_a_default_tenant(attack_tier):
    """ALTER ROLE ... SET would make every later session start inside that tenant."""
    conn = attack_tier.app("user_service")
    expect_error(conn, "ALTER ROLE user_service_app SET app.tenant_id = %s" % f"'{VICTIM}'", sqlstate="42501")
    expect_error(conn, "ALTER DATABASE user_service SET app.tenant_id = %s" % f"'{VICTIM}'", sqlstate="42501")


def test_app_role_cannot_connect_to_another_services_database(attack_tier):
    with pytest.raises(psycopg.OperationalError, match="permission denied for database"):
        psycopg.connect(**attack_tier.cluster.conninfo("declaration_service", user="user_service_app",
                                                       password=attack_tier.app_password))


def test_plain_set_outlives_its_transaction_set_config_local_does_not(attack_tier):
    """Behind a transaction pooler the next transaction on a server connection may belong to
    another client. A plain `SET app.tenant_id` stays on the connection: a later transaction
    that sets no tenant runs inside the previous tenant (the leak the documented form avoids).
    `set_config(..., true)` / `SET LOCAL` ends with its transaction: the next one sees nothing."""
    conn = attack_tier.app("declaration_service")
    acme_rows = len(seeded("declaration_service", "declarations", ATTACKER))

    with conn.transaction():  # the documented way
        conn.execute("SELECT set_config('app.tenant_id', %s, true)", (ATTACKER,))
        assert conn.execute("SELECT count(*) FROM declarations").fetchone()[0] == acme_rows
    with conn.transaction():  # the next client on the pooled connection, tenant not set
        assert conn.execute("SELECT current_tenant_id()").fetchone()[0] is None
        assert conn.execute("SELECT count(*) FROM declarations").fetchone()[0] == 0

    with conn.transaction():  # SET LOCAL is the same as set_config(..., true)
        conn.execute(f"SET LOCAL app.tenant_id = '{ATTACKER}'")
    with conn.transaction():
        assert conn.execute("SELECT count(*) FROM declarations").fetchone()[0] == 0

    with conn.transaction():  # the wrong way: a plain SET
        conn.execute(f"SET app.tenant_id = '{ATTACKER}'")
    with conn.transaction():  # ...leaks into the next transaction, whoever runs it
        assert str(conn.execute("SELECT current_tenant_id()").fetchone()[0]) == ATTACKER
        assert conn.execute("SELECT count(*) FROM declarations").fetchone()[0] == acme_rows
    with conn.transaction():  # a client that sets its own tenant the documented way is not affected
        conn.execute("SELECT set_config('app.tenant_id', %s, true)", (VICTIM,))
        tenants = {t for (t,) in conn.execute("SELECT DISTINCT tenant_id::text FROM declarations")}
        assert tenants == {VICTIM}
    conn.execute("RESET app.tenant_id")  # what a pooler's reset (DISCARD ALL) would do
    with conn.transaction():
        assert conn.execute("SELECT count(*) FROM declarations").fetchone()[0] == 0


def test_tenant_set_in_a_rolled_back_savepoint_does_not_stick(attack_tier):
    conn = attack_tier.app("case_service")
    with as_tenant(conn, ATTACKER):
        with pytest.raises(psycopg.errors.DivisionByZero):
            with conn.transaction():
                conn.execute("SELECT set_config('app.tenant_id', %s, true)", (VICTIM,))
                conn.execute("SELECT 1/0")
        assert {t for (t,) in conn.execute("SELECT DISTINCT tenant_id::text FROM cases")} == {ATTACKER}


def test_search_path_cannot_redirect_the_policy(attack_tier):
    """The policy is bound to public.current_tenant_id() by OID when it is created: changing the
    search_path (the only part of a shadowing attack the app role can do) changes nothing."""
    conn = attack_tier.app("user_service")
    with rolled_back(conn, ATTACKER):
        conn.execute("SET LOCAL search_path = pg_catalog, pg_temp")
        tenants = {t for (t,) in conn.execute("SELECT DISTINCT tenant_id::text FROM public.users")}
        assert tenants == {ATTACKER}
        expect_error(conn, "CREATE OR REPLACE FUNCTION public.current_tenant_id() RETURNS uuid LANGUAGE sql"
                     " AS $$ SELECT NULL::uuid $$", sqlstate="42501")  # and the real one cannot be replaced
