"""Issue 16 item 2, done when: in the sandbox, acme is moved from westeu-dev-1's shared databases to its own server,
the attack suite's reads find no acme row left in the shared databases, acme's data is complete on its server, and
the other tenants are untouched (docs/tenant-migration.md).

Reuses the sandbox fixture and helpers of test_sandbox_end_to_end.py (one sandbox for this file; run it alone, e.g.
python -m pytest -q -p no:cacheprovider tests/integration/e2e/test_sandbox_tenant_migrate.py). Needs role
complianceflow.infra.tenant_server (issue 16 item 1) in the checkout.
"""
from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest
import yaml
from ansible_run import run_playbook

sys.path.insert(0, str(Path(__file__).resolve().parent))
from test_sandbox_end_to_end import BOTH, _env, _playbook, _server, _state, _teardown, sandbox  # noqa: E402,F401  # pylint: disable=unused-import

pytestmark = pytest.mark.slow

TENANTS = {"acme": "c4ac8cf9-3d47-58ca-ab5e-1e8d1c22a3c1"}   # data/seed/tenant_registry.yml
SHARED, REGISTRY = "psql-cf-westeu-dev-1", "psql-cf-global-dev"
TENANT_SERVER = "psql-cf-westeu-dev-1-tenant-acme"         # filter tenant_server_plan (fits in 63 characters)
READ_TENANT_SERVER = f"""---
- name: Read the tenant server
  hosts: localhost
  connection: local
  gather_facts: false
  module_defaults:
    group/complianceflow.infra.azure: "{{{{ azure_auth | default({{}}) }}}}"
  tasks:
    - name: read the tenant server
      complianceflow.infra.postgresql_flexible_server_info:
        resource_group: rg-cf-westeu-dev-1
        name: {TENANT_SERVER}
"""


def _app(path: Path, server: dict, database: str):
    import psycopg  # pylint: disable=import-outside-toplevel
    return psycopg.connect(**server, dbname=database, user=f"{database}_app", autocommit=True,
                           password=(path / "app.password").read_text().strip())


def _databases(path: Path, server: dict) -> list[str]:
    with _app(path, server, "user_service") as conn:
        return [r[0] for r in conn.execute("SELECT datname FROM pg_database WHERE datname LIKE '%%\\_service' ORDER BY 1")]


# The tenant tables of a database (those with a tenant_id column); partitions are counted through their parent.
TENANT_TABLES = ("SELECT c.relname FROM pg_class c JOIN pg_attribute a ON a.attrelid = c.oid AND a.attname = 'tenant_id' "
                 "WHERE c.relnamespace = 'public'::regnamespace AND c.relkind IN ('r', 'p') AND NOT c.relispartition")


def _rows(path: Path, server: dict, databases: list[str], tenant: str | None) -> dict:
    """{database.table: count} as `tenant` sees it through row level security (None: no tenant set)."""
    out = {}
    for database in databases:
        with _app(path, server, database) as conn, conn.transaction():
            if tenant:
                conn.execute("SELECT set_config('app.tenant_id', %s, true)", (tenant,))
            for (table,) in conn.execute(TENANT_TABLES).fetchall():
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
                for (table,) in conn.execute(TENANT_TABLES).fetchall():
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

    # The tenant's key (docs/tenant-servers.md): rotation moves the server to a new key version; revocation makes it
    # Inaccessible (refused without the typed confirmation); restore brings it back.
    westeu = [BOTH[0]]

    def acme_server() -> dict:
        """The server as Azure's GET reports it (state and data encryption), read by the collection's info module."""
        read = run_playbook(READ_TENANT_SERVER, extra_vars=yaml.safe_load((path / "ansible-vars.yml").read_text()),
                            env=env)
        assert read.rc == 0, read.stdout[-4000:] + read.stderr[-2000:]
        return read.result("read the tenant server")["server"]

    old_key = acme_server()["data_encryption"]["primary_key_uri"]
    # --check predicts both changes (a new key version, the server moved to it) and makes neither
    dry_rotate = _playbook(path, "tenant_key_rotate.yml", westeu, check=True, json_output=False, tenant="acme")
    assert dry_rotate.rc == 0, dry_rotate.stdout[-6000:] + dry_rotate.stderr[-2000:]
    assert f"{TENANT_SERVER} would move from {old_key} to the new version" in dry_rotate.stdout, dry_rotate.stdout[-4000:]
    assert "(a new version, made by the real run)" in dry_rotate.stdout
    assert acme_server()["data_encryption"]["primary_key_uri"] == old_key
    rotate = _playbook(path, "tenant_key_rotate.yml", westeu, tenant="acme")
    assert rotate.rc == 0, rotate.stdout[-6000:] + rotate.stderr[-2000:]
    new_key = acme_server()["data_encryption"]["primary_key_uri"]
    assert new_key != old_key and new_key.rsplit("/", 1)[0] == old_key.rsplit("/", 1)[0], (old_key, new_key)
    refused = _playbook(path, "tenant_key_revoke.yml", westeu, tenant="acme")
    assert refused.rc != 0 and acme_server()["state"] == "Ready"
    revoke = _playbook(path, "tenant_key_revoke.yml", westeu, tenant="acme", confirm_revoke="acme")
    assert revoke.rc == 0 and acme_server()["state"] == "Inaccessible", revoke.stdout[-6000:]
    restore = _playbook(path, "tenant_key_revoke.yml", westeu, tenant="acme", restore=True)
    assert restore.rc == 0 and acme_server()["state"] == "Ready", restore.stdout[-6000:]


def test_gdpr_export_and_erase_reach_a_moved_tenant_on_its_own_server(sandbox):
    """After the move, acme's rows are on its own server only: the GDPR export writes them from there (the shared
    databases give none), and the erase, in check mode, counts them there; nothing is erased by the check."""
    path, _first = sandbox
    env = _env(path)
    server = _server(env, TENANT_SERVER)
    databases = _databases(path, _server(env, SHARED))
    on_its_server = _rows(path, server, databases, TENANTS["acme"])
    total = sum(on_its_server.values())
    assert total > 0
    out = path / "gdpr-export"
    export = _playbook(path, "gdpr_export.yml", BOTH, tenant="acme", gdpr_export_dir=str(out))
    assert export.rc == 0, export.stdout[-6000:] + export.stderr[-2000:]
    own = [json.loads(f.read_text()) for f in (out / "westeu-dev-1" / TENANT_SERVER).glob("*.json")]
    assert len(own) == len(databases)
    assert f"on its own server {TENANT_SERVER}, tenant acme {total} rows exported" in export.stdout, export.stdout[-4000:]
    erase = _playbook(path, "gdpr_erase.yml", BOTH, check=True, tenant="acme")
    assert erase.rc == 0, erase.stdout[-6000:] + erase.stderr[-2000:]
    said = [line for line in erase.stdout.splitlines() if "on its own server" in line]
    assert any(f"on its own server {TENANT_SERVER}, tenant acme would lose {total} rows" in line for line in said), said
    assert _rows(path, server, databases, TENANTS["acme"]) == on_its_server


def test_teardown_exports_a_tier_3_tenant_from_its_own_server_before_deleting_it(sandbox):
    """After the move, acme's rows live on its own server only: teardown exports that server's databases (and checks
    them) before it deletes anything, so no row of acme is lost; the shared export holds none of acme's rows."""
    path, _first = sandbox
    env = _env(path)
    server = _server(env, TENANT_SERVER)
    databases = _databases(path, _server(env, SHARED))
    on_its_server = _rows(path, server, databases, TENANTS["acme"])
    assert sum(on_its_server.values()) > 0
    run = _teardown(path)
    assert run.rc == 0, run.stdout[-6000:] + run.stderr[-2000:]
    (export,) = (path / "exports" / "westeu-dev-1").iterdir()
    exported = {m.parent.name: json.loads(m.read_text())["rows"]
                for m in (export / "tenant-acme").glob(f"*/{TENANTS['acme']}.manifest.json")}
    assert sorted(exported) == sorted(databases)
    assert sum(exported.values()) == sum(on_its_server.values())
    shared = sum(json.loads(m.read_text())["rows"] for m in export.glob(f"*/{TENANTS['acme']}.manifest.json"))
    assert shared == 0
