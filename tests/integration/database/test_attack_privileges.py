"""Attacks that go around the policy instead of through it: TRUNCATE (which RLS does not
filter), COPY TO/FROM, DDL on the tables and policies, server-side files.
"""
from __future__ import annotations

import pytest
from psycopg import sql

from attack_fixtures import attack_tier  # noqa: F401  # pylint: disable=unused-import
from attack_fixtures import (ACME, CONTOSO, DATABASES, as_tenant, expect_error, rolled_back,
                             seeded)

ATTACKER, VICTIM = ACME, CONTOSO


@pytest.mark.parametrize("database", DATABASES)
def test_truncate_is_denied_on_every_table(attack_tier, database):
    """TRUNCATE ignores row-level security entirely; the app role must not hold the privilege."""
    conn = attack_tier.app(database)
    tables = [t for (t,) in conn.execute("SELECT relname FROM pg_class WHERE relnamespace = 'public'::regnamespace"
                                         " AND relkind IN ('r', 'p') ORDER BY 1")]
    assert tables
    with as_tenant(conn, ATTACKER):
        for table in tables:
            expect_error(conn, sql.SQL("TRUNCATE {}").format(sql.Identifier(table)), sqlstate="42501")
            expect_error(conn, sql.SQL("TRUNCATE {} CASCADE").format(sql.Identifier(table)), sqlstate="42501")


def test_copy_to_exports_only_own_rows(attack_tier):
    conn = attack_tier.app("user_service")
    with as_tenant(conn, ATTACKER):
        for statement in ("COPY users TO STDOUT", "COPY (SELECT * FROM users) TO STDOUT",
                          "COPY users (tenant_id, email) TO STDOUT WITH (FORMAT csv)"):
            with conn.cursor().copy(statement) as copy:
                lines = b"".join(bytes(chunk) for chunk in copy).decode().splitlines()
            assert len(lines) == len(seeded("user_service", "users", ATTACKER)), statement
            assert all(line.startswith(ATTACKER) for line in lines), statement


def test_copy_from_is_refused_under_row_level_security(attack_tier):
    """COPY FROM cannot apply WITH CHECK, so PostgreSQL refuses it for a role subject to RLS:
    a bulk load of another tenant's rows is impossible (and bulk loads go through INSERT)."""
    conn = attack_tier.app("user_service")
    row = f"{VICTIM}\t6c1b2a9e-0000-4000-8000-000000000001\tmallory@contoso.example\tMallory\tactive\t2026-01-01\n"
    with as_tenant(conn, ATTACKER):
        with pytest.raises(Exception) as caught:
            with conn.transaction():
                with conn.cursor().copy("COPY users FROM STDIN") as copy:
                    copy.write(row)
        assert "COPY FROM not supported with row-level security" in str(caught.value)
    with as_tenant(conn, VICTIM):
        assert conn.execute("SELECT count(*) FROM users WHERE email = 'mallory@contoso.example'").fetchone()[0] == 0


def test_copy_to_or_from_a_server_file_or_program_is_denied(attack_tier):
    conn = attack_tier.app("user_service")
    with as_tenant(conn, ATTACKER):
        for statement in ("COPY users TO '/tmp/users.txt'", "COPY users FROM '/etc/passwd'",
                          "COPY users TO PROGRAM 'cat'", "SELECT pg_read_file('PG_VERSION')"):
            expect_error(conn, statement, sqlstate="42501")


@pytest.mark.parametrize("statement", [
    "ALTER TABLE users DISABLE ROW LEVEL SECURITY",
    "ALTER TABLE users NO FORCE ROW LEVEL SECURITY",
    "DROP POLICY tenant_isolation ON users",
    "ALTER POLICY tenant_isolation ON users USING (true)",
    "CREATE POLICY open_door ON users FOR SELECT USING (true)",
    "CREATE TABLE public.stash (tenant_id uuid, note text)",
    "CREATE VIEW public.all_users AS SELECT * FROM users",
    "CREATE OR REPLACE FUNCTION public.current_tenant_id() RETURNS uuid LANGUAGE sql STABLE AS $$ SELECT NULL::uuid $$",
    "ALTER TABLE notification_log DETACH PARTITION notification_log_2026_02",
    "CREATE TRIGGER t BEFORE INSERT ON users FOR EACH ROW EXECUTE FUNCTION suppress_redundant_updates_trigger()",
])
def test_ddl_and_grants_that_would_open_the_door_are_denied(attack_tier, statement):
    database = "notification_service" if "notification_log" in statement else "user_service"
    conn = attack_tier.app(database)
    with rolled_back(conn, ATTACKER):
        expect_error(conn, statement, sqlstate="42501")


def test_app_role_cannot_pass_its_privileges_on(attack_tier):
    """GRANT without grant option is a warning that grants nothing (not an error): check the ACL."""
    conn = attack_tier.app("user_service")
    warnings: list[str] = []
    conn.add_notice_handler(lambda diag: warnings.append(diag.message_primary))
    with rolled_back(conn, ATTACKER):
        conn.execute("GRANT SELECT ON users TO PUBLIC")
        acl = conn.execute("SELECT coalesce(relacl::text, '') FROM pg_class WHERE oid = 'users'::regclass").fetchone()[0]
    assert any("no privileges were granted" in w for w in warnings), warnings
    assert "{=" not in acl and ",=" not in acl, acl  # no entry for PUBLIC
