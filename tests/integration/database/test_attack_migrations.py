"""Is row-level security automatic? A developer adds a tenant table (or a view) in a later
migration and forgets RLS: the migration step must either cover it (enforce) or refuse it
(audit), and an app-role attack on whatever got committed must find nothing of another tenant.

Each test works on a scratch database of its own on the attack cluster (so the shared prepared
databases stay untouched), created and migrated by the collection's roles database_setup and
database_schema through the real ansible-playbook, with the migrations directory pointed at a
copy of declaration_service's migrations plus the developer's new file.
"""
from __future__ import annotations

import json
import re
import shutil

import pytest

from ansible_run import REPO, run_playbook
from attack_fixtures import attack_tier  # noqa: F401  # pylint: disable=unused-import
from attack_fixtures import ACME, CONTOSO, MIGRATIONS_DIR, PLAYBOOK_ENV, as_tenant, expect_error
from pg import connect, module_args, unique_name

ATTACKER, VICTIM = ACME, CONTOSO

LATER_TABLE = """
CREATE TABLE declaration_notes (
    tenant_id      uuid        NOT NULL,
    id             uuid        NOT NULL DEFAULT gen_random_uuid(),
    declaration_id uuid        NOT NULL,
    body           text        NOT NULL,
    CONSTRAINT declaration_notes_pkey PRIMARY KEY (tenant_id, id),
    CONSTRAINT declaration_notes_declaration_fkey FOREIGN KEY (tenant_id, declaration_id)
        REFERENCES declarations (tenant_id, id) ON DELETE CASCADE
);
"""
DEFINER_VIEW = """
CREATE VIEW declaration_totals AS
    SELECT tenant_id, currency, sum(amount) AS total FROM declarations GROUP BY tenant_id, currency;
"""


def _migrate(tier, database: str, migrations_dir, rls_mode: str, *, create: bool = False):
    """Run the roles on one scratch database; migrations_dir/<database>/NNNN_*.sql are its migrations."""
    roles = ["complianceflow.infra.database_setup"] if create else []
    roles.append("complianceflow.infra.database_schema")
    play = f"""---
- name: Scratch database for a migration attack
  hosts: localhost
  connection: local
  gather_facts: false
  vars_files: [{REPO}/playbooks/vars/postgresql_login.yml]
  module_defaults:
    group/complianceflow.infra.postgresql: "{{{{ postgresql_login_options }}}}"
  vars:
    deployment_plan: {{databases: [{database}]}}
    database_schema_migrations_dir: {migrations_dir}
    database_schema_rls_mode: {rls_mode}
  roles: {roles}
"""
    login = module_args(tier.cluster)
    extra = {"postgresql_login_host": login["login_host"], "postgresql_login_port": login["login_port"],
             "postgresql_login_user": login["login_user"], "postgresql_login_password": login["login_password"],
             "postgresql_ssl_mode": login["ssl_mode"], "postgresql_app_password": tier.app_password}
    return run_playbook(play, extra_vars=extra, env=PLAYBOOK_ENV)


def _failure(run) -> str:
    """Every message of the failed run (loop items included), to look for the object it names."""
    assert run.rc != 0, "the run should have failed"
    return json.dumps(run.data) + run.stderr


@pytest.fixture()
def scratch(attack_tier, tmp_path):
    """A fresh database with the declaration_service baseline, migrated by the collection; yields (name, dir)."""
    name = unique_name("scratch")
    path = tmp_path / name
    shutil.copytree(MIGRATIONS_DIR / "declaration_service", path)
    run = _migrate(attack_tier, name, tmp_path, "enforce", create=True)
    assert run.rc == 0, run.stdout[-4000:] + run.stderr[-2000:]
    yield name, path


def _seed_two_tenants(tier, database: str) -> None:
    conn = connect(tier.cluster, database, user=f"{database}_app", password=tier.app_password)
    for n, tenant in enumerate((ATTACKER, VICTIM)):
        with as_tenant(conn, tenant):
            decl = conn.execute(
                "INSERT INTO declarations (tenant_id, reference, form_key, form_version, declarant_id, isin, declared_on,"
                " quantity, amount, currency) VALUES (%s, %s, 'holding-declaration', 1, gen_random_uuid(),"
                " 'US0378331005', '2026-03-01', 1, %s, 'EUR') RETURNING id", (tenant, f"R-{n}", 100 * (n + 1))).fetchone()[0]
            conn.execute("INSERT INTO declaration_notes (tenant_id, declaration_id, body) VALUES (%s, %s, %s)",
                         (tenant, decl, f"secret of {tenant}"))
    conn.close()


def test_table_added_by_a_later_migration_is_covered_automatically(attack_tier, scratch):
    name, path = scratch
    (path / "0002_declaration_notes.sql").write_text(LATER_TABLE, encoding="utf-8")
    run = _migrate(attack_tier, name, path.parent, "enforce")
    assert run.rc == 0, run.stdout[-4000:]
    assert run.total("changed") >= 1
    _seed_two_tenants(attack_tier, name)
    conn = attack_tier.app(name)
    with as_tenant(conn, ATTACKER):
        notes = conn.execute("SELECT tenant_id::text, body FROM declaration_notes").fetchall()
        assert notes == [(ATTACKER, f"secret of {ATTACKER}")]
        assert conn.execute("UPDATE declaration_notes SET body = 'x' WHERE tenant_id = %s", (VICTIM,)).rowcount == 0
        expect_error(conn, "TRUNCATE declaration_notes", sqlstate="42501")
    with as_tenant(conn, VICTIM):
        assert conn.execute("SELECT body FROM declaration_notes").fetchall() == [(f"secret of {VICTIM}",)]


def test_table_added_without_rls_fails_the_audit_and_is_not_committed(attack_tier, scratch):
    name, path = scratch
    (path / "0002_declaration_notes.sql").write_text(LATER_TABLE, encoding="utf-8")
    failure = _failure(_migrate(attack_tier, name, path.parent, "audit"))
    assert "public.declaration_notes: row level security not enabled" in failure, failure[-3000:]
    assert "rolled back" in failure
    with connect(attack_tier.cluster, name) as conn:
        assert conn.execute("SELECT to_regclass('public.declaration_notes')").fetchone()[0] is None


def test_definer_view_fails_the_audit_and_an_invoker_view_leaks_nothing(attack_tier, scratch):
    """A view created by the owner without security_invoker runs as the owner: the audit must refuse
    it. Enforce makes it security_invoker; then the app role sees only its own tenant through it."""
    name, path = scratch
    (path / "0002_declaration_totals.sql").write_text(DEFINER_VIEW, encoding="utf-8")
    failure = _failure(_migrate(attack_tier, name, path.parent, "audit"))
    assert re.search(r"declaration_totals[^\"]*security_invoker", failure), failure[-3000:]

    (path / "0003_declaration_notes.sql").write_text(LATER_TABLE, encoding="utf-8")
    run = _migrate(attack_tier, name, path.parent, "enforce")
    assert run.rc == 0, run.stdout[-4000:]
    _seed_two_tenants(attack_tier, name)
    conn = attack_tier.app(name)
    with as_tenant(conn, ATTACKER):
        options = conn.execute("SELECT reloptions::text FROM pg_class WHERE relname = 'declaration_totals'").fetchone()[0]
        assert "security_invoker=true" in (options or ""), options
        assert conn.execute("SELECT tenant_id::text, total FROM declaration_totals").fetchall() == [(ATTACKER, 100)]


COMMIT_WRAPPED = "BEGIN;\n" + LATER_TABLE + "COMMIT;\n"
INHERITED = """
CREATE TABLE documents (id uuid NOT NULL DEFAULT gen_random_uuid(), body text NOT NULL);
CREATE TABLE tenant_documents (tenant_id uuid NOT NULL) INHERITS (documents);
"""
SHADOWED = """
CREATE TABLE stash (tenant_id uuid NOT NULL, body text NOT NULL);
CREATE TEMPORARY VIEW pg_class AS SELECT * FROM pg_catalog.pg_class WHERE relname <> 'stash';
"""
OTHER_SCHEMA = """
CREATE SCHEMA archive;
CREATE TABLE archive.declaration_notes (tenant_id uuid NOT NULL, id uuid NOT NULL, PRIMARY KEY (tenant_id, id));
"""


def _absent(tier, database: str, *relations: str) -> None:
    with connect(tier.cluster, database) as conn:
        for relation in relations:
            assert conn.execute("SELECT to_regclass(%s)", (relation,)).fetchone()[0] is None, f"{relation} was committed"


def test_a_migration_that_commits_itself_is_refused_before_anything_is_applied(attack_tier, scratch):
    """A COMMIT in the file would commit the new table before the RLS step, open to every tenant."""
    name, path = scratch
    (path / "0002_declaration_notes.sql").write_text(COMMIT_WRAPPED, encoding="utf-8")
    failure = _failure(_migrate(attack_tier, name, path.parent, "enforce"))
    assert "0002_declaration_notes.sql controls the transaction itself (line 1: BEGIN, line 12: COMMIT)" in failure, failure[-3000:]
    _absent(attack_tier, name, "public.declaration_notes")


@pytest.mark.parametrize("migration, finding, relations", [
    (INHERITED, "public.tenant_documents: inherits from public.documents, which has no tenant column",
     ("public.documents", "public.tenant_documents")),
    (SHADOWED, "public.stash: row level security not enabled", ("public.stash",)),
    (OTHER_SCHEMA, "archive.declaration_notes: is outside schema public", ("archive.declaration_notes",)),
])
def test_a_tenant_table_the_audit_used_to_miss_fails_it_and_is_not_committed(attack_tier, scratch, migration, finding, relations):
    """Rows readable through a parent without row level security; a temporary view shadowing a catalog in the migration's
    own session to hide a table from the audit; a tenant table that GDPR erase and tenant moves would not see."""
    name, path = scratch
    (path / "0002_later.sql").write_text(migration, encoding="utf-8")
    failure = _failure(_migrate(attack_tier, name, path.parent, "audit"))
    assert finding in failure and "rolled back" in failure, failure[-3000:]
    _absent(attack_tier, name, *relations)
