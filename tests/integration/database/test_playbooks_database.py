"""playbooks/seed.yml, export.yml and import.yml with the real migrations and seed files."""
from __future__ import annotations

import json

import pytest
import yaml
from ansible_run import run_playbook
from pg import JSON_CALLBACK_ENV, REPO, connect, module_args, start_cluster

DATABASES = ["tenant_registry", "declaration_service", "case_service"]
TENANTS = [row["id"] for row in yaml.safe_load((REPO / "data/seed/tenant_registry.yml").read_text())
           ["tables"][0]["rows"]]


def tier_vars(cluster, **extra):
    args = module_args(cluster)
    out = {f"postgresql_{k}": v for k, v in args.items()}
    out.update({"postgresql_app_password": "app-pw-Play9", "deployment_plan": {"databases": DATABASES}}, **extra)
    return out


def play(name, cluster, check=False, **extra):
    return run_playbook(REPO / "playbooks" / name, extra_vars=tier_vars(cluster, **extra), env=JSON_CALLBACK_ENV, check=check)


@pytest.fixture(scope="module")
def second_cluster():
    cluster = start_cluster("import")
    yield cluster
    cluster.stop(remove=True)


def test_seed_export_import_round_trip(pg_cluster, second_cluster, tmp_path):
    assert len(TENANTS) >= 3
    run = play("seed.yml", pg_cluster)
    assert run.rc == 0, run.stdout[-4000:]
    assert run.total("changed") == 3  # databases, migrations, seed
    run = play("seed.yml", pg_cluster)
    assert run.rc == 0 and run.total("changed") == 0, run.stdout[-4000:]

    first, second = tmp_path / "first", tmp_path / "second"
    run = play("export.yml", pg_cluster, export_dir=str(first), export_tenants=TENANTS)
    assert run.rc == 0, run.stdout[-4000:]
    rows = sum(json.loads(m.read_text())["rows"] for m in first.glob("*/*.manifest.json"))
    assert rows > 50 and sorted(p.name for p in first.iterdir()) == sorted(DATABASES)

    # Check mode on an empty server: every step predicts a change, nothing is created (the databases three at once).
    run = play("seed.yml", second_cluster, check=True, database_setup_databases_at_once=3, database_schema_databases_at_once=3,
               database_seed_databases_at_once=3)
    assert run.rc == 0 and run.total("changed") == 3, run.stdout[-4000:]
    with connect(second_cluster) as conn:
        assert conn.execute("SELECT count(*) FROM pg_database WHERE datname = ANY(%s)", (DATABASES,)).fetchone() == (0,)

    # The second server gets the schema only (made and migrated three databases at once), then the import, then the same export.
    run = play("seed.yml", second_cluster, database_seed_databases=[], database_setup_databases_at_once=3,
               database_schema_databases_at_once=3)
    assert run.rc == 0, run.stdout[-4000:]
    run = play("import.yml", second_cluster, import_dir=str(first))
    assert run.rc == 0 and run.total("changed") == 1, run.stdout[-4000:]
    run = play("export.yml", second_cluster, export_dir=str(second), export_tenants=TENANTS)
    assert run.rc == 0
    files = sorted(p.relative_to(first) for p in first.rglob("*.pgcopy"))
    assert files == sorted(p.relative_to(second) for p in second.rglob("*.pgcopy")) and len(files) == 3 * (len(TENANTS) + 1)
    for rel in files:
        assert (first / rel).read_bytes() == (second / rel).read_bytes(), rel


def test_playbooks_refuse_missing_inputs(pg_cluster):
    run = run_playbook(REPO / "playbooks" / "seed.yml", extra_vars={"postgresql_login_host": "127.0.0.1"}, env=JSON_CALLBACK_ENV)
    assert run.rc != 0 and "deployment_plan.databases" in run.stdout
    run = play("export.yml", pg_cluster)
    assert run.rc != 0 and "give export_dir" in run.stdout
    # A bad value for the second role is refused before the first one makes anything (the range itself, from the
    # module, is tested in test_modules_lists.py).
    run = play("seed.yml", pg_cluster, database_schema_databases_at_once=9)
    check = run.result("Check the roles' variables (-e) before any database is made")
    assert run.rc != 0 and check["failed"], run.stdout[-3000:]
    assert check["problems"] == ["value of database_schema_databases_at_once must be one of: 1, 2, 3, 4, 5, 6, 7, 8, got: 9 "
                                 "(role database_schema)"]
    nothing_ran = {"changed": 0, "failures": 1, "ignored": 0, "ok": 1, "rescued": 0, "skipped": 0, "unreachable": 0}
    assert run.stats["localhost"] == nothing_ran   # ok 1: the tier's assert; the check failed; no role task ran
