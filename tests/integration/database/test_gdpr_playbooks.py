"""playbooks/gdpr_erase.yml and gdpr_export.yml on a real PostgreSQL 15 with the whole tier seeded (docs/gdpr.md).

One story on a cluster of its own (the erase must not touch the session cluster other tests seed): export acme, the
rows equal what a query as acme returns; erase in check mode predicts the exported counts and deletes nothing; erase
deletes exactly acme's rows (the other tenants keep every row), leaves a tombstone in the registry and a signed record
in the audit trail; a second erase changes nothing.
"""
from __future__ import annotations

import json

import pytest
from ansible_run import run_playbook
from ansible_collections.complianceflow.infra.plugins.module_utils._pg import gdpr
from attack_fixtures import DATABASES, TENANTS
from pg import JSON_CALLBACK_ENV, REPO, connect, module_args, start_cluster

APP_PASSWORD = "app-pw-Gdpr7"
KEY = "k3y-for-the-test-only-0123456789abcdef"
ACME = TENANTS["acme"]
ERASE_TASK = "Erase the tenant's rows in every database of the tier (signed record in the diff, so in the audit trail)"


def latest_migration(database):
    """The schema version a database has after deploy: its last migration file's number."""
    return max(int(f.name[:4]) for f in (REPO / "roles/database_schema/files/migrations" / database).glob("*.sql"))


def tier_vars(cluster, **extra):
    out = {f"postgresql_{k}": v for k, v in module_args(cluster).items()}
    out.update({"postgresql_app_password": APP_PASSWORD, "deployment_plan": {"databases": DATABASES}}, **extra)
    return out


def play(name, cluster, tmp_path, check=False, **extra):
    env = dict(JSON_CALLBACK_ENV, COMPLIANCEFLOW_AUDIT_DIR=str(tmp_path / "audit"))
    return run_playbook(REPO / "playbooks" / name, extra_vars=tier_vars(cluster, **extra), env=env, check=check)


@pytest.fixture(scope="module")
def tier():
    cluster = start_cluster("gdpr")
    try:
        # Check mode before anything exists (a brand-new deployment): nothing to erase, nothing fails.
        run = run_playbook(REPO / "playbooks" / "gdpr_erase.yml", extra_vars=tier_vars(cluster, tenant="acme"),
                           env=JSON_CALLBACK_ENV, check=True)
        assert run.rc == 0 and run.total("changed") == 0, run.stdout[-4000:]
        assert run.result(ERASE_TASK)["erased"] == {} and sorted(run.result(ERASE_TASK)["absent"]) == sorted(DATABASES)
        run = run_playbook(REPO / "playbooks" / "seed.yml", extra_vars=tier_vars(cluster), env=JSON_CALLBACK_ENV)
        assert run.rc == 0, run.stdout[-4000:]
        yield cluster
    finally:
        cluster.stop(remove=True)


def as_tenant(cluster, database, tenant, query, params=()):
    with connect(cluster, database, user=f"{database}_app", password=APP_PASSWORD) as conn, conn.transaction():
        conn.execute("SELECT set_config('app.tenant_id', %s, true)", (tenant,))
        return conn.execute(query, params).fetchall()


def tenant_tables(cluster, database):
    with connect(cluster, database) as conn:
        return [r[0] for r in conn.execute(
            "SELECT c.relname FROM pg_class c JOIN pg_attribute a ON a.attrelid = c.oid AND a.attname = 'tenant_id' "
            "WHERE c.relnamespace = 'public'::regnamespace AND c.relkind IN ('r', 'p') AND NOT c.relispartition ORDER BY 1")]


def counts(cluster):
    """{tenant: {database.table: rows}} as each tenant sees them through row level security."""
    out = {}
    for database in DATABASES:
        tables = tenant_tables(cluster, database)
        with connect(cluster, database, user=f"{database}_app", password=APP_PASSWORD) as conn:
            for slug, tenant in TENANTS.items():
                with conn.transaction():
                    conn.execute("SELECT set_config('app.tenant_id', %s, true)", (tenant,))
                    for table in tables:
                        out.setdefault(slug, {})[f"{database}.{table}"] = conn.execute(f"SELECT count(*) FROM {table}").fetchone()[0]
    return out


def test_export_then_erase_acme_everywhere_signed_and_a_second_erase_changes_nothing(tier, tmp_path):
    before = counts(tier)
    assert sum(before["acme"].values()) > 20 and sum(before["contoso"].values()) > 20

    # Export: one file per database; each table's rows are exactly what acme's own query returns.
    out = tmp_path / "export"
    run = play("gdpr_export.yml", tier, tmp_path, tenant="acme", gdpr_export_dir=str(out), gdpr_deployment="westeu-dev-1")
    assert run.rc == 0, run.stdout[-4000:]
    files = sorted((out / "westeu-dev-1").glob("*.json"))
    assert [f.stem for f in files] == sorted(DATABASES)
    for path in files:
        doc = json.loads(path.read_text())
        assert (doc["format"], doc["tenant"], doc["database"], doc["schema_version"]) == (
            gdpr.EXPORT_FORMAT, {"slug": "acme", "id": ACME}, path.stem, latest_migration(path.stem))
        assert path.stat().st_mode & 0o077 == 0
        for table in tenant_tables(tier, path.stem):
            seen = [r[0] for r in as_tenant(tier, path.stem, ACME, f"SELECT to_jsonb(t) FROM {table} t")]
            assert sorted(json.dumps(r, sort_keys=True) for r in doc["tables"][table]) == sorted(json.dumps(r, sort_keys=True) for r in seen), table
            assert len(doc["tables"][table]) == before["acme"][f"{path.stem}.{table}"]
    assert json.loads((out / "westeu-dev-1" / "tenant_registry.json").read_text())["tables"]["tenants"][0]["slug"] == "acme"
    again = play("gdpr_export.yml", tier, tmp_path, tenant="acme", gdpr_export_dir=str(out), gdpr_deployment="westeu-dev-1")
    assert again.rc == 0 and again.total("changed") == 0, again.stdout[-3000:]

    # Check mode: the counts it would delete, nothing deleted.
    run = play("gdpr_erase.yml", tier, tmp_path, check=True, tenant="acme")
    assert run.rc == 0, run.stdout[-4000:]
    predicted = run.result(ERASE_TASK)
    assert {f"{db}.{t}": n for db, tables in predicted["erased"].items() for t, n in tables.items()} == before["acme"]
    assert predicted["tombstoned"] == ["tenant_registry"] and "record" not in predicted
    assert counts(tier) == before

    # The erase: every acme row, nobody else's; the registry keeps a tombstone; the record is signed and in the trail.
    run = play("gdpr_erase.yml", tier, tmp_path, tenant="acme", gdpr_signing_key=KEY, gdpr_signing_key_id="test-key")
    assert run.rc == 0, run.stdout[-4000:]
    result = run.result(ERASE_TASK)
    assert result["changed"] and result["tenant_id"] == ACME
    record, signature = result["record"], result["record_hmac_sha256"]
    assert {f"{d['database']}.{d['table']}": d["count"] for d in record["deleted"]} == before["acme"]
    assert (record["tenant"], record["deployment"], record["key_id"], record["tombstoned"][0]["database"]) == (
        "acme", "localhost", "test-key", "tenant_registry")
    assert gdpr.verify(record, signature, KEY)
    assert not gdpr.verify({**record, "rows": record["rows"] - 1}, signature, KEY)
    assert not gdpr.verify(record, signature, KEY + "x")
    assert KEY not in run.stdout
    after = counts(tier)
    assert set(after["acme"].values()) == {0}
    assert {slug: rows for slug, rows in after.items() if slug != "acme"} == {
        slug: rows for slug, rows in before.items() if slug != "acme"}
    with connect(tier, "tenant_registry") as conn:
        conn.execute("SET ROLE tenant_registry_owner")
        assert conn.execute("SELECT slug, name, status FROM tenants WHERE id = %s", (ACME,)).fetchall() == [
            ("acme", "acme", "offboarded")]
    trail = [json.loads(line) for path in (tmp_path / "audit" / "localhost").glob("*.jsonl") for line in path.read_text().splitlines()]
    erased = [r for r in trail if r["module"].endswith("postgresql_tenant_erase")]
    assert len(erased) == 1 and erased[0]["after"]["record"] == record
    # The record names the run of its trail line (the callback exports its run id to the tasks).
    assert record["run_id"] == erased[0]["run_id"]
    assert gdpr.verify(erased[0]["after"]["record"], erased[0]["after"]["record_hmac_sha256"], KEY)

    # A second erase: nothing left, nothing changed, counts 0.
    run = play("gdpr_erase.yml", tier, tmp_path, tenant="acme", gdpr_signing_key=KEY)
    assert run.rc == 0 and run.total("changed") == 0, run.stdout[-3000:]
    result = run.result(ERASE_TASK)
    assert {n for tables in result["erased"].values() for n in tables.values()} == {0} and "record" not in result


@pytest.mark.parametrize("extra, message", [
    ({"tenant": "Acme;DROP"}, "invalid tenant slug Acme;DROP: use 3-40 characters"),
    ({"tenant": "acme", "tenant_id": "nope"}, "invalid tenant_id nope: expected a uuid"),
    ({"tenant": "acme", "gdpr_deployment": "westeu-prod-1"}, "-e confirm_erase=westeu-prod-1"),
    ({"tenant": "acme", "gdpr_deployment": "westeu-prod-1", "confirm_erase": "westeu-prod-2"}, "-e confirm_erase=westeu-prod-1"),
])
def test_erase_refuses_bad_input_and_unconfirmed_prod_before_any_database_call(tmp_path, extra, message):
    # A login nothing listens on: a refusal that reached the database would fail with a connection error instead.
    variables = {"postgresql_login_host": "127.0.0.1", "postgresql_login_port": 1, "postgresql_login_user": "nobody",
                 "postgresql_login_password": "x", "postgresql_ssl_mode": "disable", "gdpr_signing_key": KEY,
                 "deployment_plan": {"databases": DATABASES}, **extra}
    run = run_playbook(REPO / "playbooks" / "gdpr_erase.yml", extra_vars=variables,
                       env=dict(JSON_CALLBACK_ENV, COMPLIANCEFLOW_AUDIT_DIR=str(tmp_path)))
    assert run.rc != 0 and message in run.stdout, run.stdout[-3000:]
    assert "cannot connect" not in run.stdout


def test_a_prod_inventory_is_refused_before_azure_is_called(tmp_path):
    for name in ("gdpr_erase.yml", "gdpr_export.yml"):
        run = run_playbook(REPO / "playbooks" / name, inventory=[REPO / "inventories" / "westeu-prod-1"],
                           extra_vars={"tenant": "acme"}, env=dict(JSON_CALLBACK_ENV, COMPLIANCEFLOW_AUDIT_DIR=str(tmp_path)))
        action = name[len("gdpr_"):-len(".yml")]
        assert run.rc != 0 and f"-e confirm_{action}=westeu-prod-1" in run.stdout, run.stdout[-3000:]
        assert "Find the Key Vault" not in run.stdout
