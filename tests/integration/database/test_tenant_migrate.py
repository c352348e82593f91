"""Module postgresql_tenant_migrate on real PostgreSQL 15: acme moves from a seeded shared tier to a second cluster
standing in for its dedicated server (docs/tenant-migration.md).

One story, in file order, on two clusters of its own (the shared tier is seeded by playbooks/seed.yml; the tenant
server gets the same databases, roles and migrations, no data): the dry run predicts acme's rows per table and
changes nothing; a copy killed after some tables, then a copy whose verification finds a tampered row, each resume
to a verified copy without duplicates; nothing is deleted before routing; routing and the delete are idempotent and
resumable per database; at the end acme's rows are complete on its server (same checksums as before), the attack
suite's reads find no acme row in the shared databases from any tenant context, and contoso and fabrikam are untouched.
"""
from __future__ import annotations

import psycopg
import pytest
from psycopg import sql

from attack_fixtures import ACME, CONTOSO, FABRIKAM, NOBODY, REGIONAL_DATABASES, TENANTS, Tier, as_tenant
from pg import JSON_CALLBACK_ENV, REPO, connect, module_args, run_module, start_cluster
from ansible_run import run_playbook

APP_PASSWORD = "app-pw-Migrate7"
SERVER = "psql-cf-westeu-dev-1-tenant-acme"
DBS = [{"name": name} for name in REGIONAL_DATABASES]
PREPARE_TARGET = f"""
- hosts: localhost
  connection: local
  gather_facts: false
  vars_files: [{REPO}/playbooks/vars/postgresql_login.yml]
  module_defaults:
    group/complianceflow.infra.postgresql: "{{{{ postgresql_login_options }}}}"
  roles:
    - complianceflow.infra.database_setup
    - complianceflow.infra.database_schema
"""


def login_vars(cluster, databases):
    out = {f"postgresql_{k}": v for k, v in module_args(cluster).items()}
    return {**out, "postgresql_app_password": APP_PASSWORD, "deployment_plan": {"databases": databases}}


@pytest.fixture(scope="module")
def pair():
    source, target = start_cluster("migrate-shared"), start_cluster("migrate-tenant")
    try:
        run = run_playbook(REPO / "playbooks" / "seed.yml", env=JSON_CALLBACK_ENV,
                           extra_vars=login_vars(source, ["tenant_registry"] + REGIONAL_DATABASES))
        assert run.rc == 0, run.stdout[-4000:]
        run = run_playbook(PREPARE_TARGET, env=JSON_CALLBACK_ENV, extra_vars=login_vars(target, REGIONAL_DATABASES))
        assert run.rc == 0, run.stdout[-4000:]
        shared, tenant = Tier(source, APP_PASSWORD), Tier(target, APP_PASSWORD)
        before = {slug: {db: shared.snapshot(db, tid) for db in REGIONAL_DATABASES} for slug, tid in TENANTS.items()}
        yield {"source": source, "target": target, "shared": shared, "tenant": tenant, "before": before}
        shared.close()
        tenant.close()
    finally:
        source.stop(remove=True)
        target.stop(remove=True)


def migrate(pair, phase, check=False, **args):
    target = module_args(pair["target"])
    full = {**module_args(pair["source"]), **{f"target_{k}": v for k, v in target.items()}, "phase": phase,
            "tenant": "acme", "databases": DBS, **args}
    if phase in ("copy", "delete"):
        full.setdefault("tenant_id", ACME)
    if phase == "route":
        full.update(deployment="westeu-dev-1", server=SERVER)
    if phase == "status":
        full.pop("databases")
    return run_module("postgresql_tenant_migrate", full, check=check, diff=True)


def journal(pair, database):
    with connect(pair["target"], database) as conn:
        if not conn.execute("SELECT to_regclass('cf_migration.journal')").fetchone()[0]:
            return []
        return conn.execute("SELECT step, table_name FROM cf_migration.journal WHERE migrated_tenant = %s "
                            "ORDER BY done_at, step, table_name", (ACME,)).fetchall()


def tenant_rows(pair, which, tenant):
    return {db: pair[which].snapshot(db, tenant) for db in REGIONAL_DATABASES}


def test_bad_slug_is_refused_before_any_connection(pair):
    run, result = run_module("postgresql_tenant_migrate", {
        "login_host": "nowhere.invalid", "login_user": "x", "login_password": "secret-never-shown", "phase": "status",
        "tenant": "Acme!"})
    assert run.rc != 0 and "invalid tenant slug 'Acme!'" in result["msg"] and "3-40 characters" in result["msg"]
    assert "secret-never-shown" not in run.stdout


def test_dry_run_reports_each_table_it_would_move_and_changes_nothing(pair):
    run, status = migrate(pair, "status")
    assert run.rc == 0 and status["tenant_id"] == ACME and status["tier"] == 2 and status["placement"] is None
    run, result = migrate(pair, "copy", check=True)
    assert run.rc == 0 and result["changed"], run.stdout[-3000:]
    for db in REGIONAL_DATABASES:
        seen = pair["before"]["acme"][db]
        assert result["moved"][db] and all(count == len(seen[t]) for t, count in result["moved"][db].items()), db
    assert sum(sum(t.values()) for t in result["moved"].values()) > 20
    assert all(journal(pair, db) == [] for db in REGIONAL_DATABASES)
    # a tenant server whose database exists but is not migrated yet (a real run migrates it first): predicted, not failed
    bare = start_cluster("migrate-bare")
    try:
        with connect(bare) as conn:
            conn.execute("CREATE DATABASE user_service")
        run, bare_result = run_module("postgresql_tenant_migrate", {
            **module_args(pair["source"]), **{f"target_{k}": v for k, v in module_args(bare).items()}, "phase": "copy",
            "tenant": "acme", "tenant_id": ACME, "databases": [{"name": "user_service"}]}, check=True)
        assert run.rc == 0 and bare_result["moved"]["user_service"] == result["moved"]["user_service"], run.stdout[-2000:]
        assert "the same migrations come first" in bare_result["databases"][0]["note"]
    finally:
        bare.stop(remove=True)
    assert tenant_rows(pair, "tenant", ACME) == {db: dict.fromkeys(pair["before"]["acme"][db], []) for db in REGIONAL_DATABASES}


def test_a_copy_killed_after_some_tables_resumes_without_duplicates(pair):
    run, result = migrate(pair, "copy", stop_after_tables=3)
    assert run.rc != 0 and "stopped before copying" in result["msg"], run.stdout[-3000:]
    copied = [table for db in REGIONAL_DATABASES for step, table in journal(pair, db) if step == "copied"]
    assert len(copied) == 3
    # nothing may be routed or deleted while the copy is not verified
    run, result = migrate(pair, "route")
    assert run.rc != 0 and "not verified" in result["msg"]
    run, result = migrate(pair, "delete")
    assert run.rc != 0 and "not routed" in result["msg"]
    assert tenant_rows(pair, "shared", ACME) == pair["before"]["acme"]
    # resume, and stop again in the middle of the tier
    run, result = migrate(pair, "copy", stop_after_tables=8)
    assert run.rc != 0 and "stopped" in result["msg"]
    run, result = migrate(pair, "copy")
    assert run.rc == 0 and result["changed"] and set(result["states"].values()) == {"verified"}, run.stdout[-3000:]
    assert tenant_rows(pair, "tenant", ACME) == pair["before"]["acme"]


def test_a_verification_mismatch_stops_before_routing_and_a_rerun_copies_again(pair):
    db = "case_service"
    conn = pair["tenant"].app(db)
    table = next(t for t, rows in pair["before"]["acme"][db].items() if rows)
    with as_tenant(conn, ACME):
        conn.execute(sql.SQL("DELETE FROM {} WHERE id = (SELECT id FROM {} ORDER BY id LIMIT 1)").format(sql.Identifier(table), sql.Identifier(table)))
    run, result = migrate(pair, "copy")
    assert run.rc != 0 and "verification failed" in result["msg"] and table in result["msg"], run.stdout[-3000:]
    assert ("verified", "") not in journal(pair, db)
    run, result = migrate(pair, "copy")
    assert run.rc == 0 and result["changed"] and result["moved"][db] and table in result["moved"][db]
    assert tenant_rows(pair, "tenant", ACME) == pair["before"]["acme"]
    run, result = migrate(pair, "copy")
    assert run.rc == 0 and not result["changed"], result


def test_routing_then_a_delete_killed_between_databases_resume_and_a_second_run_changes_nothing(pair):
    run, result = migrate(pair, "route", check=True)
    assert run.rc == 0 and result["changed"] and result["diff"]["after"]["placement"]["server"] == SERVER
    run, result = migrate(pair, "route")
    assert run.rc == 0 and result["changed"] and set(result["states"].values()) == {"routed"}
    with connect(pair["source"], "tenant_registry") as conn:
        assert conn.execute("SELECT deployment, tier, server_name FROM tenant_placements WHERE id = %s",
                            (ACME,)).fetchall() == [("westeu-dev-1", 3, SERVER)]
    run, result = migrate(pair, "route")
    assert run.rc == 0 and not result["changed"]
    # a routed database is never copied again
    run, result = migrate(pair, "copy")
    assert run.rc == 0 and not result["changed"] and set(result["states"].values()) == {"routed"}
    run, result = migrate(pair, "delete", check=True)
    assert run.rc == 0 and result["deleted"][REGIONAL_DATABASES[0]]
    assert tenant_rows(pair, "shared", ACME) == pair["before"]["acme"]
    # killed after two databases: they are done, the others follow on the re-run
    run, result = migrate(pair, "delete", databases=DBS[:2])
    assert run.rc == 0 and result["changed"]
    run, result = migrate(pair, "delete")
    assert run.rc == 0 and result["changed"] and set(result["states"].values()) == {"deleted"}
    assert set(result["deleted"]) == set(REGIONAL_DATABASES[2:])
    for phase in ("copy", "route", "delete"):
        run, result = migrate(pair, phase)
        assert run.rc == 0 and not result["changed"], (phase, result)


def test_acme_is_complete_on_its_server_gone_from_the_shared_tier_and_the_others_untouched(pair):
    assert tenant_rows(pair, "tenant", ACME) == pair["before"]["acme"]
    for slug in ("contoso", "fabrikam"):
        assert tenant_rows(pair, "shared", TENANTS[slug]) == pair["before"][slug], slug
        assert all(not rows for db in tenant_rows(pair, "tenant", TENANTS[slug]).values() for rows in db.values())
    # the attack suite's reads, from every tenant context: no acme row is reachable in the shared databases
    shared = pair["shared"]
    for db in REGIONAL_DATABASES:
        conn = shared.app(db)
        for context in (ACME, CONTOSO, FABRIKAM, NOBODY, None):
            with as_tenant(conn, context):
                for table in shared.tenant_tables(db):
                    count = sql.SQL("SELECT count(*) FROM {} WHERE tenant_id = %s").format(sql.Identifier(table))
                    assert conn.execute(count, (ACME,)).fetchone()[0] == 0, (db, table, context)
        with as_tenant(conn, ACME):
            for table in shared.tenant_tables(db):
                assert conn.execute(sql.SQL("SELECT count(*) FROM {}").format(sql.Identifier(table))).fetchone()[0] == 0
    # the journal is out of the app's reach on the tenant server
    with pytest.raises(psycopg.errors.InsufficientPrivilege):
        pair["tenant"].app(REGIONAL_DATABASES[0]).execute("SELECT * FROM cf_migration.journal")


def test_a_target_login_that_reaches_the_shared_server_is_refused(pair):
    source = module_args(pair["source"])
    run, result = run_module("postgresql_tenant_migrate", {
        **source, **{f"target_{k}": v for k, v in source.items()}, "phase": "delete", "tenant": "contoso",
        "tenant_id": CONTOSO, "databases": DBS})
    assert run.rc != 0 and "reaches the shared server itself" in result["msg"], run.stdout[-2000:]
    assert source["login_password"] not in run.stdout
    assert tenant_rows(pair, "shared", CONTOSO) == pair["before"]["contoso"]


def test_a_table_keyed_by_a_sequence_is_refused_before_anything_is_copied(pair):
    # The tenant server's sequence would restart below the copied ids: refused rather than left to collide later.
    for cluster in (pair["source"], pair["target"]):
        with connect(cluster) as conn:
            conn.execute("CREATE DATABASE seq_service")
        with connect(cluster, "seq_service") as conn:
            conn.execute("CREATE TABLE items (tenant_id uuid NOT NULL, id bigint GENERATED ALWAYS AS IDENTITY, "
                         "PRIMARY KEY (tenant_id, id))")
    run, result = migrate(pair, "copy", databases=[{"name": "seq_service"}])
    assert run.rc != 0 and "items.id take values from a sequence" in result["msg"], run.stdout[-2000:]
    assert journal(pair, "seq_service") == []


@pytest.mark.parametrize("inventories, tenant, message", [
    (["global-dev", "westeu-dev-1"], "Acme!", "invalid tenant slug Acme!: use 3-40 characters"),
    (["global-prod", "westeu-prod-1"], "acme", "westeu-prod-1 is a prod deployment: refusing to move tenant acme"),
    (["westeu-dev-1"], "acme", "(regional: westeu-dev-1; global: none)"),
], ids=["bad-slug", "prod-unconfirmed", "no-registry"])
def test_the_playbook_refuses_before_reading_anything(inventories, tenant, message):
    run = run_playbook(REPO / "playbooks" / "tenant_migrate.yml", inventory=[REPO / "inventories" / i for i in inventories],
                       extra_vars={"tenant": tenant}, json_output=False)
    assert run.rc != 0 and message in run.stdout, run.stdout[-3000:]
    assert "Read the tenant in the registry" not in run.stdout


def test_a_tenant_the_registry_does_not_know_is_refused(pair):
    run, result = migrate(pair, "status", tenant="nobody-here")
    assert run.rc != 0 and "tenant 'nobody-here' is not in tenant_registry.tenants: nothing to move" in result["msg"], result
