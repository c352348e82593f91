"""Issue 16 item 2, done when: in the sandbox, acme is moved from westeu-dev-1's shared databases to its own server,
the attack suite's reads find no acme row left in the shared databases, acme's data is complete on its server, and
the other tenants are untouched (docs/tenant-migration.md).

Reuses the sandbox fixture and helpers of test_sandbox_end_to_end.py (one sandbox for this file; run it alone, e.g.
python -m pytest -q -p no:cacheprovider tests/integration/e2e/test_sandbox_tenant_migrate.py). Needs role
complianceflow.infra.tenant_server (issue 16 item 1) in the checkout.
"""
from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))
from test_sandbox_end_to_end import BOTH, _env, _playbook, _server, _state, sandbox  # noqa: E402,F401  # pylint: disable=unused-import

pytestmark = pytest.mark.slow

TENANTS = {"acme": "c4ac8cf9-3d47-58ca-ab5e-1e8d1c22a3c1"}   # data/seed/tenant_registry.yml
SHARED, REGISTRY = "psql-cf-westeu-dev-1", "psql-cf-global-dev"
TENANT_SERVER = "psql-cf-westeu-dev-1-tenant-acme"         # filter tenant_server_plan (fits in 63 characters)


def _app(path: Path, server: dict, database: str):
    import psycopg  # pylint: disable=import-outside-toplevel
    return psycopg.connect(**server, dbname=database, user=f"{database}_app", autocommit=True,
                           password=(path / "app.password").read_text().strip())


def _databases(path: Path, server: dict) -> list[str]:
    with _app(path, server, "user_service") as conn:
        return [r[0] for r in conn.execute("SELECT datname FROM pg_database WHERE datname LIKE '%%\\_service' ORDER BY 1")]


def _rows(path: Path, server: dict, databases: list[str], tenant: str | None) -> dict:
    """{database.table: count} as `tenant` sees it through row level security (None: no tenant set)."""
    out = {}
    for database in databases:
        with _app(path, server, database) as conn, conn.transaction():
            if tenant:
                conn.execute("SELECT set_config('app.tenant_id', %s, true)", (tenant,))
            tables = [r[0] for r in conn.execute(
                "SELECT c.relname FROM pg_class c JOIN pg_attribute a ON a.attrelid = c.oid AND a.attname = 'tenant_id' "
                "WHERE c.relnamespace = 'public'::regnamespace AND c.relkind IN ('r', 'p') AND NOT c.relispartition")]
            for table in tables:
                out[f"{database}.{table}"] = conn.execute(f'SELECT count(*) FROM "{table}"').fetchone()[0]
    return out


def test_acme_moves_to_its_own_server_and_nothing_of_it_stays_in_the_shared_databases(sandbox):
    path, first = sandbox
    assert first.returncode == 0, first.stdout[-6000:] + first.stderr[-3000:]
    env = _env(path)
    shared = _server(env, SHARED)
    databases = _databases(path, shared)
    with _app(path, _server(env, REGISTRY), "tenant_registry") as conn:
        tenants = dict(conn.execute("SELECT slug, id::text FROM tenants").fetchall())
    before = {slug: _rows(path, shared, databases, tid) for slug, tid in tenants.items()}
    assert sum(before["acme"].values()) > 0 and tenants["acme"] == TENANTS["acme"]

    dry = _playbook(path, "tenant_migrate.yml", BOTH, check=True, tenant="acme")
    assert dry.rc == 0, dry.stdout[-6000:] + dry.stderr[-2000:]
    assert _rows(path, shared, databases, tenants["acme"]) == before["acme"]

    run = _playbook(path, "tenant_migrate.yml", BOTH, tenant="acme")
    assert run.rc == 0, run.stdout[-6000:] + run.stderr[-2000:]
    # every password in the vaults (both deployments' admins, the tenant server's admin, the app roles')
    secrets = [(path / "app.password").read_text().strip()] + [
        versions[-1]["value"] for doc in _state(env).values() if doc.get("type") == "Microsoft.KeyVault/vaults"
        for name, versions in doc.get("_secrets", {}).items() if "password" in name]
    assert len(secrets) >= 4 and not [s for s in secrets if s in dry.stdout + run.stdout], "a password was printed"

    # acme's data complete on its server, as acme sees it there
    assert _rows(path, _server(env, TENANT_SERVER), databases, tenants["acme"]) == before["acme"]
    # the attack suite's reads on the shared databases: no acme row from any tenant context, or none
    for context in [*tenants.values(), "00000000-0000-0000-0000-00000badc0de", None]:
        for database in databases:
            with _app(path, shared, database) as conn, conn.transaction():
                if context:
                    conn.execute("SELECT set_config('app.tenant_id', %s, true)", (context,))
                tables = [r[0] for r in conn.execute(
                    "SELECT c.relname FROM pg_class c JOIN pg_attribute a ON a.attrelid = c.oid AND a.attname = 'tenant_id' "
                    "WHERE c.relnamespace = 'public'::regnamespace AND c.relkind IN ('r', 'p')")]
                for table in tables:
                    found = conn.execute(f'SELECT count(*) FROM "{table}" WHERE tenant_id = %s', (tenants["acme"],)).fetchone()[0]
                    assert found == 0, (database, table, context)
    # the other tenants untouched
    for slug in set(tenants) - {"acme"}:
        assert _rows(path, shared, databases, tenants[slug]) == before[slug], slug
    # routing switched in global-dev's registry
    with _app(path, _server(env, REGISTRY), "tenant_registry") as conn:
        assert conn.execute("SELECT deployment, tier, server_name FROM tenant_placements WHERE id = %s",
                            (tenants["acme"],)).fetchall() == [("westeu-dev-1", 3, TENANT_SERVER)]

    again = _playbook(path, "tenant_migrate.yml", BOTH, tenant="acme")
    assert again.rc == 0 and again.total("changed") == 0, again.stdout[-6000:]
