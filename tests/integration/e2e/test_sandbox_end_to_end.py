"""End to end, as a newcomer runs it: scripts/sandbox.sh twice, a second regional deployment beside the first (its
server's own PostgreSQL, the same database names), the teardown refusals, teardown (audit groups kept), sandbox-down.

ONE sandbox deploy (under a temporary SANDBOX_DIR) is shared by every test of this file, in file
order: each test is a step of the same story, so a failing step makes the later ones fail too.
"""
from __future__ import annotations

import json
import os
import re
import shlex
import shutil
import ssl
import subprocess
import urllib.request
from pathlib import Path

import pytest
import yaml
from ansible_run import REPO, run_playbook

pytestmark = pytest.mark.slow

BOTH = [REPO / "inventories" / "westeu-dev-1", REPO / "inventories" / "global-dev"]
RECAP = re.compile(r"^\s+(deploy)\s+(.*)-> changed=(\d+) in total$", re.M)
DEPLOYMENTS = ("global-dev", "westeu-dev-1")
ACME = "c4ac8cf9-3d47-58ca-ab5e-1e8d1c22a3c1"   # a seed tenant (data/seed/tenant_registry.yml)


def _script(name: str, sandbox: Path) -> subprocess.CompletedProcess:
    env = dict(os.environ, SANDBOX_DIR=str(sandbox))
    for key in ("ANSIBLE_STDOUT_CALLBACK", "ANSIBLE_CALLBACK_PLUGINS"):
        env.pop(key, None)
    return subprocess.run(["bash", str(REPO / "scripts" / name)], cwd=REPO, env=env, capture_output=True, text=True,
                          timeout=900, check=False)


def _env(sandbox: Path) -> dict[str, str]:
    pairs = (line.removeprefix("export ").split("=", 1) for line in (sandbox / "env.sh").read_text().splitlines()
             if line.startswith("export "))
    return {key: shlex.split(value)[0] if value else "" for key, value in pairs}


def _resources(env: dict[str, str], deleted_vaults: bool = False) -> list[str]:
    """Ids of what the emulator stores: resources in groups, or the soft-deleted vaults (subscription level). The
    subscription's own role assignments (its Owner, which the sandbox starts with) are not the deployments'."""
    context = ssl.create_default_context(cafile=env["ARM_EMULATOR_CA"])
    with urllib.request.urlopen(env["ARM_EMULATOR_URL"] + "/_emulator/state", context=context, timeout=10) as resp:
        ids = sorted(doc["id"] for doc in json.loads(resp.read())["resources"].values())
    ids = [i for i in ids if "/resourcegroups/" in i.lower() or "/providers/microsoft.authorization/" not in i.lower()]
    return [i for i in ids if ("/deletedvaults/" in i.lower()) == deleted_vaults]


def _writes(env: dict[str, str]) -> int:
    log = Path(env["ARM_EMULATOR_CA"]).parent / "requests.jsonl"
    return sum(1 for line in log.read_text().splitlines() if json.loads(line)["method"] in ("PUT", "PATCH", "DELETE"))


def _sandbox_vars(sandbox: Path) -> dict:
    """What the sandbox gives every playbook (tools/sandbox/services.py writes it)."""
    return yaml.safe_load((sandbox / "ansible-vars.yml").read_text())


def _teardown(sandbox: Path, inventories=None, check: bool = False, limit: str | None = None, **extra):
    variables = _sandbox_vars(sandbox)
    variables.update(extra)
    return run_playbook(REPO / "playbooks" / "teardown.yml", inventory=inventories or BOTH, extra_vars=variables,
                        env=_env(sandbox), timeout=600, check=check, diff=check, limit=limit)


@pytest.fixture(scope="module")
def sandbox():
    # Under the repo's .tmp/ (gitignored): the postgres OS user cannot traverse pytest's tmp_path.
    path = REPO / ".tmp" / f"e2e-sandbox-{os.getpid()}"
    shutil.rmtree(path, ignore_errors=True)
    first = _script("sandbox.sh", path)
    yield path, first
    down = _script("sandbox-down.sh", path)  # whatever happened: stop the services
    if down.returncode != 0:   # a failed teardown keeps them running for a look; here nobody looks and the state goes
        subprocess.run([str(REPO / ".venv" / "bin" / "python"), str(REPO / "tools" / "sandbox" / "services.py"), "down",
                        str(path)], cwd=REPO, capture_output=True, timeout=300, check=False)
    shutil.rmtree(path, ignore_errors=True)


def test_sandbox_deploys_both_deployments_with_seed_and_shows_rls(sandbox):
    path, run = sandbox
    assert run.returncode == 0, run.stdout[-6000:] + run.stderr[-3000:]
    recaps = dict((m[1], int(m[3])) for m in RECAP.finditer(run.stdout))
    assert recaps["deploy"] > 0, run.stdout[-3000:]
    env = _env(path)
    resources = [r.lower() for r in _resources(env)]
    for deployment in DEPLOYMENTS:
        assert f"/resourcegroups/rg-cf-{deployment}" in {r[r.index("/resourcegroups/"):] for r in resources if r.count("/") == 4}
        assert any(r.endswith(f"/virtualnetworks/vnet-cf-{deployment}") for r in resources)
    # The report asked PostgreSQL as user_service_app: each tenant sees only its own users, no tenant sees nothing.
    seen = dict(re.findall(r"^\s+(acme|contoso|\(no tenant set\))\s+sees (\d+) users", run.stdout, re.M))
    assert int(seen["acme"]) > 0 and int(seen["contoso"]) > 0 and seen["(no tenant set)"] == "0", run.stdout[-2000:]
    acme_line = next(line for line in run.stdout.splitlines() if line.strip().startswith("acme "))
    assert "@acme.example" in acme_line and "@contoso.example" not in acme_line
    assert "psql" in run.stdout and "set_config('app.tenant_id'" in run.stdout


def test_second_sandbox_run_changes_nothing(sandbox):
    path, _first = sandbox
    env = _env(path)
    writes = _writes(env)
    run = _script("sandbox.sh", path)
    assert run.returncode == 0, run.stdout[-6000:] + run.stderr[-3000:]
    recaps = dict((m[1], int(m[3])) for m in RECAP.finditer(run.stdout))
    assert recaps == {"deploy": 0}, run.stdout[-3000:]
    assert _writes(env) == writes, "a no-change run sent PUT/PATCH/DELETE to the emulator"


def _server(env: dict[str, str], name: str) -> dict:
    """libpq settings of a Flexible Server's own cluster (per-server sandbox: servers/<server>/cluster.json)."""
    (doc,) = [d for d in _state(env).values() if d.get("type") == "Microsoft.DBforPostgreSQL/flexibleServers" and d["name"] == name]
    cluster = json.loads((Path(env["SANDBOX_PG_SERVERS"]) / doc["_backing"]["cluster"] / "cluster.json").read_text())
    return {"host": cluster["host"], "port": cluster["port"], "sslmode": "require", "connect_timeout": 10}


def _admin_password(env: dict[str, str], deployment: str) -> str:
    return _vault_secret(env, deployment, "postgresql-admin-password")


def _vault_secret(env: dict[str, str], deployment: str, name: str) -> str:
    (vault,) = [d for d in _state(env).values() if d.get("type") == "Microsoft.KeyVault/vaults" and d.get("tags", {}).get("Deployment") == deployment]
    return vault["_secrets"][name][-1]["value"]


# What a real deployment leaves unset (the sandbox gives it, for its psql examples): deploy.yml then generates the app
# roles' password once in the deployment's vault.
APP_PASSWORD_GIVEN = ("postgresql_app_password",)


def test_a_second_regional_deployment_keeps_the_seeds_database_names_on_its_own_server(sandbox):
    """eastus-dev-1 beside westeu-dev-1 in one sandbox: deploy + seed, each server's databases in its own cluster (the
    same names and admin login, different roles and rows), a re-run changes nothing, teardown leaves westeu-dev-1 whole.
    eastus-dev-1 is deployed without postgresql_app_password, as a real deployment is: its app roles' password is made
    once in its vault, and is theirs."""
    import psycopg  # pylint: disable=import-outside-toplevel

    path, _first = sandbox
    env = _env(path)
    second = [REPO / "inventories" / "eastus-dev-1"]
    run = _playbook(path, "deploy.yml", second, drop=APP_PASSWORD_GIVEN)
    assert run.rc == 0, run.stdout[-6000:] + run.stderr[-2000:]
    assert run.total("changed") > 0
    west, east = _server(env, "psql-cf-westeu-dev-1"), _server(env, "psql-cf-eastus-dev-1")
    assert west["port"] != east["port"]
    app = {"user": "user_service_app", "password": (path / "app.password").read_text().strip(), "dbname": "user_service"}
    east_app = dict(app, password=_vault_secret(env, "eastus-dev-1", "postgresql-app-password"))
    assert east_app["password"] != app["password"] and east_app["password"] not in run.stdout + run.stderr
    with pytest.raises(psycopg.OperationalError, match="password authentication failed"):
        psycopg.connect(**east, **app)   # the sandbox's app password is not eastus-dev-1's
    for server, login in ((west, app), (east, east_app)):   # the seed's database, seeded on both
        with psycopg.connect(**server, **login) as conn:
            conn.execute("SELECT set_config('app.tenant_id', %s, true)", (ACME,))
            assert conn.execute("SELECT count(*) FROM users").fetchone()[0] > 0
    # One admin login (the seed's psqladmin) per server, each with its own password: a role of its own cluster.
    with psycopg.connect(**east, user="psqladmin", password=_admin_password(env, "eastus-dev-1"), dbname="user_service") as conn:
        assert conn.execute("SELECT current_setting('port')").fetchone()[0] == str(east["port"])
    with pytest.raises(psycopg.OperationalError, match="password authentication failed"):
        psycopg.connect(**west, user="psqladmin", password=_admin_password(env, "eastus-dev-1"), dbname="user_service")
    # The new server's password was made before its vault existed and stored after it: never printed on the way.
    assert _admin_password(env, "eastus-dev-1") not in run.stdout + run.stderr
    again = _playbook(path, "deploy.yml", second, drop=APP_PASSWORD_GIVEN)
    assert again.rc == 0 and again.total("changed") == 0, again.stdout[-4000:]
    assert _vault_secret(env, "eastus-dev-1", "postgresql-app-password") == east_app["password"]   # made once, kept
    _the_next_run_heals_a_lost_admin_secret(path, env, second, east)
    # A row written on one server is not on the other.
    before = _acme_users(path)
    with psycopg.connect(**east, **east_app) as conn:
        conn.execute("SELECT set_config('app.tenant_id', %s, true)", (ACME,))
        conn.execute("INSERT INTO users (tenant_id, email, display_name) VALUES (%s, 'only-in-eastus@acme.example', 'East')", (ACME,))
    assert _acme_users(path) == before
    down = _teardown(path, second, teardown_delete_audit=True)
    assert down.rc == 0, down.stdout[-6000:] + down.stderr[-2000:]
    assert not (Path(env["SANDBOX_PG_SERVERS"]) / "psql-cf-eastus-dev-1").exists()   # its cluster went with the server
    assert _acme_users(path) == before


def _the_next_run_heals_a_lost_admin_secret(path: Path, env: dict[str, str], inventories, server: dict) -> None:
    """A run that stops between a new server's create and its secret's write (or a secret deleted and purged by hand)
    leaves the server without its password in the vault: the next deploy makes one and gives it to the server."""
    import psycopg  # pylint: disable=import-outside-toplevel

    old = _admin_password(env, "eastus-dev-1")
    (vault,) = [d for d in _state(env).values() if d.get("type") == "Microsoft.KeyVault/vaults"
                and d.get("tags", {}).get("Deployment") == "eastus-dev-1"]
    gone = run_playbook(f"""- hosts: localhost
  gather_facts: false
  vars: {{ansible_connection: local, ansible_python_interpreter: "{{{{ ansible_playbook_python }}}}"}}
  module_defaults:
    group/complianceflow.infra.azure: "{{{{ azure_auth | default({{}}) }}}}"
  tasks:
    - complianceflow.infra.key_vault_secret:
        vault_uri: {vault["properties"]["vaultUri"]}
        name: postgresql-admin-password
        state: absent
        purge: true
""", extra_vars=_sandbox_vars(path), env=env)
    assert gone.rc == 0 and gone.total("changed") == 1, gone.stdout[-3000:]
    healed = _playbook(path, "deploy.yml", inventories, drop=APP_PASSWORD_GIVEN)
    assert healed.rc == 0, healed.stdout[-6000:] + healed.stderr[-2000:]
    new = _admin_password(env, "eastus-dev-1")
    assert new != old and new not in healed.stdout + healed.stderr
    with psycopg.connect(**server, user="psqladmin", password=new, dbname="postgres") as conn:
        assert conn.execute("SELECT 1").fetchone() == (1,)
    with pytest.raises(psycopg.OperationalError, match="password authentication failed"):
        psycopg.connect(**server, user="psqladmin", password=old, dbname="postgres")


NAMESPACE = "/resourcegroups/rg-cf-global-dev/providers/microsoft.eventhub/namespaces/evhns-cf-global-dev"
# The seed's global topics (event hub: partitions).
SEED_HUBS = {"tenant-events": 4, "masterdata-events": 2, "file-ingestion-events": 4}
ROLE_IDS = {"2b629674-e913-4c01-ae53-ef4638d8f975": "sender", "a638d3c7-ab3a-418d-83e6-5f17a39d4fde": "receiver"}


def test_westeu_dev_1_subscribes_to_every_hub_of_global_dev_and_its_identity_may_send_and_receive(sandbox):
    path, _first = sandbox
    state = _state(_env(path))
    hubs = {i.rsplit("/", 1)[1]: d["properties"]["partitionCount"] for i, d in state.items()
            if i.rsplit("/", 1)[0].endswith(NAMESPACE + "/eventhubs")}
    assert hubs == SEED_HUBS
    groups = sorted(i.split(NAMESPACE + "/eventhubs/", 1)[1] for i in state if NAMESPACE + "/eventhubs/" in i and "/consumergroups/" in i)
    assert groups == sorted(f"{h}/consumergroups/westeu-dev-1" for h in SEED_HUBS), groups   # none of global-dev's own
    identities = {d["name"]: d["properties"]["principalId"] for d in state.values()
                  if d.get("type") == "Microsoft.ManagedIdentity/userAssignedIdentities"}
    assert set(identities) == {f"id-cf-{d}" for d in DEPLOYMENTS}
    on_namespace = [d["properties"] for i, d in state.items() if NAMESPACE + "/providers/microsoft.authorization/roleassignments/" in i]
    for name, principal in identities.items():
        roles = sorted(ROLE_IDS[p["roleDefinitionId"].rsplit("/", 1)[1]] for p in on_namespace if p["principalId"] == principal)
        assert roles == ["receiver", "sender"], (name, roles)
    # Each deployment reaches the namespace through its own private endpoint (no peering), and has its budget.
    endpoints = {d["name"] for d in state.values() if d.get("type") == "Microsoft.Network/privateEndpoints"}
    assert {f"pe-cf-{d}-evhns" for d in DEPLOYMENTS} <= endpoints
    budgets = {d["name"]: (d["properties"]["amount"], sorted(n["threshold"] for n in d["properties"]["notifications"].values()))
               for d in state.values() if d.get("type") == "Microsoft.Consumption/budgets"}
    assert budgets == {"budget-cf-global-dev": (150, [50, 80, 100]), "budget-cf-westeu-dev-1": (200, [50, 80, 100])}


def test_every_evidence_source_of_each_deployment_is_wired_and_kept_7_years(sandbox):
    """SOC 2 / ISO 27001 evidence, read from the emulator's stored documents (not from the modules): Key Vault audit
    and PostgreSQL logs (pgaudit loaded and logging) into the deployment's own workspace, the activity log into its
    environment's workspace, the VNet flow log into its own storage account, and every audit table kept 2556 days."""
    path, _first = sandbox
    state = _state(_env(path))

    def one(kind: str, deployment: str) -> dict:
        found = [d for d in state.values() if d.get("type", "").lower() == kind.lower()
                 and d.get("tags", {}).get("Deployment") == deployment]
        assert len(found) == 1, (kind, deployment, [d["id"] for d in found])
        return found[0]

    def settings_of(resource_id: str) -> list:
        prefix = resource_id.lower() + "/providers/microsoft.insights/diagnosticsettings/"
        return [d for d in state.values() if d["id"].lower().startswith(prefix)]

    workspaces = {d: one("Microsoft.OperationalInsights/workspaces", d)["id"].lower() for d in DEPLOYMENTS}
    for deployment in DEPLOYMENTS:
        workspace = workspaces[deployment]
        assert f"/resourcegroups/rg-cf-{deployment}-audit/" in workspace   # kept by teardown
        for table in ("AzureActivity", "AZKVAuditLogs", "PGSQLServerLogs", "AzureDiagnostics"):
            assert state[f"{workspace}/tables/{table.lower()}"]["properties"]["totalRetentionInDays"] == 2556, table
        for kind, category in (("Microsoft.KeyVault/vaults", "AuditEvent"),
                               ("Microsoft.DBforPostgreSQL/flexibleServers", "PostgreSQLLogs")):
            resource = one(kind, deployment)["id"]
            wired = [s["properties"] for s in settings_of(resource)
                     if str(s["properties"].get("workspaceId", "")).lower() == workspace]
            assert any(log.get("category") == category and log.get("enabled") for props in wired for log in props["logs"]), (
                resource, settings_of(resource))
            assert all(props.get("logAnalyticsDestinationType") == "Dedicated" for props in wired)
        # pgaudit active: loaded (applied, no restart pending) and logging (the emulator keeps parameters on the server).
        parameters = one("Microsoft.DBforPostgreSQL/flexibleServers", deployment)["_configurations"]
        assert "pgaudit" in parameters["shared_preload_libraries"]["value"].split(",")
        assert not parameters["shared_preload_libraries"].get("isConfigPendingRestart")
        assert parameters["pgaudit.log"]["value"] == "read,write,ddl,role"
        vnet = one("Microsoft.Network/virtualNetworks", deployment)["id"].lower()
        storage = one("Microsoft.Storage/storageAccounts", deployment)["id"].lower()
        flow_logs = [d["properties"] for d in state.values() if d.get("type", "").lower() == "microsoft.network/networkwatchers/flowlogs"
                     and d["properties"]["targetResourceId"].lower() == vnet]
        assert len(flow_logs) == 1 and flow_logs[0]["storageId"].lower() == storage and flow_logs[0]["enabled"], flow_logs
    # One activity-log setting per environment (Azure allows five per scope), made by global-dev into its workspace.
    subscription = workspaces["global-dev"].split("/resourcegroups/")[0]
    (activity,) = settings_of(subscription)
    assert activity["properties"]["workspaceId"].lower() == workspaces["global-dev"]
    assert {"Administrative", "Security", "Policy"} <= {log["category"] for log in activity["properties"]["logs"] if log.get("enabled")}


def _playbook(sandbox: Path, name: str, inventories, check: bool = False, verbosity: int = 0, json_output: bool = True,
              drop: tuple[str, ...] = (), **extra):
    """A playbook run with the sandbox's variables, but those named in `drop`, and `extra`."""
    variables = {key: value for key, value in _sandbox_vars(sandbox).items() if key not in drop}
    variables.update(extra)
    return run_playbook(REPO / "playbooks" / name, inventory=inventories, extra_vars=variables, env=_env(sandbox),
                        check=check, verbosity=verbosity, json_output=json_output, timeout=600)


def _state(env: dict[str, str]) -> dict:
    context = ssl.create_default_context(cafile=env["ARM_EMULATOR_CA"])
    with urllib.request.urlopen(env["ARM_EMULATOR_URL"] + "/_emulator/state", context=context, timeout=10) as resp:
        return {doc["id"].lower(): doc for doc in json.loads(resp.read())["resources"].values()}


# The inventory's overrides as extra vars replace the group_vars' ones, so the budget contacts are given again.
DAY_TWO = {"deployment_overrides": {"tags": {"DataClass": "internal"},
                                    "sizing": {"postgresql": {"storage_mb": 65536, "backup_retention_days": 14}},
                                    "budget": {"amount": 260, "contact_emails": ["platform-team@complianceflow.example"]}}}


OFFICE = "203.0.113.0/24"   # a documentation range let through the vaults' firewall on day two: data, never reached


def _vault_ip_rules(env: dict[str, str]) -> dict[str, list[str]]:
    return {d["name"]: sorted(rule["value"] for rule in d["properties"]["networkAcls"]["ipRules"])
            for d in _state(env).values() if d.get("type") == "Microsoft.KeyVault/vaults"}


def test_day_two_a_new_tag_bigger_sizes_and_a_firewall_rule_converge_secrets_stay_and_a_verbose_rerun_prints_none(sandbox):
    """A user adds a tag, grows the server and lets an office range through the vaults' firewall in the inventory,
    then re-runs deploy.yml: everything converges."""
    path, _first = sandbox
    env = _env(path)
    before = _state(env)
    secrets = {i: [v["version"] for v in d["_secrets"].get("postgresql-admin-password", [])]
               for i, d in before.items() if d.get("type") == "Microsoft.KeyVault/vaults"}
    day_two = dict(DAY_TWO, key_vault_ip_rules=[*_sandbox_vars(path)["key_vault_ip_rules"], OFFICE])
    run = _playbook(path, "deploy.yml", BOTH, **day_two)
    assert run.rc == 0, run.stdout[-6000:] + run.stderr[-2000:]
    assert run.total("changed") > 0
    after = _state(env)
    tagged = [d for d in after.values() if d.get("tags", {}).get("Deployment") in DEPLOYMENTS]
    assert tagged and all(d["tags"].get("DataClass") == "internal" for d in tagged), [d["id"] for d in tagged if "DataClass" not in d["tags"]]
    servers = [d for d in after.values() if d.get("type") == "Microsoft.DBforPostgreSQL/flexibleServers"]
    assert len(servers) == 2
    assert all((s["properties"]["storage"]["storageSizeGB"], s["properties"]["backup"]["backupRetentionDays"]) == (64, 14) for s in servers)
    budgets = {d["name"]: d["properties"]["amount"] for d in after.values() if d.get("type") == "Microsoft.Consumption/budgets"}
    assert budgets == {f"budget-cf-{d}": 260 for d in DEPLOYMENTS}
    rules = _vault_ip_rules(env)
    assert len(rules) == 2 and all(OFFICE in vault_rules and len(vault_rules) == 2 for vault_rules in rules.values()), rules
    for vault_id, versions in secrets.items():   # tags changed on the secret's current version; no new version
        assert [v["version"] for v in after[vault_id]["_secrets"]["postgresql-admin-password"]] == versions
        assert after[vault_id]["_secrets"]["postgresql-admin-password"][-1]["tags"].get("DataClass") == "internal"
    # The converged re-run, at -vvv (one deploy for two checks: it is the longest test): nothing changes, and no
    # secret value (both admin passwords and both Application Insights connection strings in Key Vault, the app roles'
    # password, and the instrumentation keys inside the connection strings) is printed.
    values = [v["value"] for d in after.values() if d.get("type") == "Microsoft.KeyVault/vaults"
              for versions in d["_secrets"].values() for v in versions]
    values.append((path / "app.password").read_text().strip())   # the sandbox gives the app roles' password
    assert len(values) == 5
    values += re.findall(r"InstrumentationKey=([0-9a-f-]{36})", " ".join(values))
    assert len(values) == 7
    again = _playbook(path, "deploy.yml", BOTH, verbosity=3, json_output=False, **day_two)
    assert again.rc == 0, again.stdout[-4000:]
    recap = re.findall(r"^(global-dev|westeu-dev-1)\s+: ok=\d+\s+changed=(\d+)", again.stdout, re.M)
    assert sorted(recap) == [("global-dev", "0"), ("westeu-dev-1", "0")], again.stdout[-3000:]
    leaked = [v for v in values if v in again.stdout + again.stderr]
    assert not leaked, f"{len(leaked)} secret value(s) printed at -vvv"


def test_day_two_a_firewall_rule_taken_out_of_the_inventory_leaves_both_vaults_and_nothing_else_changes(sandbox):
    """Removing an address must take its access away: the vaults' firewall is the inventory's list, not a union."""
    path, _first = sandbox
    env = _env(path)
    assert all(OFFICE in vault_rules for vault_rules in _vault_ip_rules(env).values())   # the step before added it
    run = _playbook(path, "deploy.yml", BOTH, **DAY_TWO)
    assert run.rc == 0, run.stdout[-6000:] + run.stderr[-2000:]
    changed = sorted((host, task["task"]["name"]) for play in run.data["plays"] for task in play["tasks"]
                     for host, result in task["hosts"].items() if result.get("changed"))
    assert [host for host, _name in changed] == list(DEPLOYMENTS), changed
    assert all(name.startswith("complianceflow.infra.key_vault : Key Vault with RBAC, soft delete and a deny-by-default firewall")
               for _host, name in changed), changed
    rules = _vault_ip_rules(env)
    assert len(rules) == 2 and all(OFFICE not in vault_rules and len(vault_rules) == 1 for vault_rules in rules.values()), rules


def test_day_two_a_tag_taken_out_of_the_inventory_leaves_every_resource_and_secret(sandbox):
    """The other half of the tag case: the deployment's tags are the inventory's, so a tag removed there goes from every
    resource of both deployments (the secrets' current versions included) in one run, and nothing else changes."""
    path, _first = sandbox
    env = _env(path)
    tagged = [d for d in _state(env).values() if d.get("tags", {}).get("Deployment") in DEPLOYMENTS]
    assert tagged and all(d["tags"].get("DataClass") == "internal" for d in tagged)   # the steps before added it
    untagged = {"deployment_overrides": {key: value for key, value in DAY_TWO["deployment_overrides"].items() if key != "tags"}}
    run = _playbook(path, "deploy.yml", BOTH, **untagged)
    assert run.rc == 0, run.stdout[-6000:] + run.stderr[-2000:]
    after = _state(env)
    left = [d["id"] for d in after.values() if "DataClass" in (d.get("tags") or {})]
    assert not left, left
    secrets = [versions[-1] for d in after.values() if d.get("type") == "Microsoft.KeyVault/vaults"
               for versions in d["_secrets"].values()]
    assert secrets and not [s for s in secrets if "DataClass" in (s.get("tags") or {})]
    servers = [d for d in after.values() if d.get("type") == "Microsoft.DBforPostgreSQL/flexibleServers"]
    assert all(s["properties"]["storage"]["storageSizeGB"] == 64 for s in servers)   # the sizes the step kept


def test_day_two_a_misspelt_server_parameter_fails_before_the_server_grows(sandbox):
    """A bigger server and a misspelt parameter in one change: the run fails naming the parameter, and the server keeps
    its size (its storage could not shrink back once grown)."""
    path, _first = sandbox
    env = _env(path)
    overrides = {key: value for key, value in DAY_TWO["deployment_overrides"].items() if key != "tags"}
    overrides["sizing"] = {"postgresql": dict(overrides["sizing"]["postgresql"], storage_mb=131072)}
    run = _playbook(path, "deploy.yml", BOTH, deployment_overrides=overrides,
                    postgresql_server_extra_parameters={"pgaudit.logg": "ddl"})
    assert run.rc != 0
    failures = [result["msg"] for play in run.data["plays"] for task in play["tasks"]
                for result in task["hosts"].values() if result.get("failed")]
    assert failures and all("the server has no parameter(s) pgaudit.logg" in msg for msg in failures), failures
    servers = [d for d in _state(env).values() if d.get("type") == "Microsoft.DBforPostgreSQL/flexibleServers"]
    assert len(servers) == 2 and all(s["properties"]["storage"]["storageSizeGB"] == 64 for s in servers)


def test_preflight_on_the_deployed_sandbox_is_clear_and_says_the_trail_stays_local(sandbox):
    """The sandbox ships no audit trail (COMPLIANCEFLOW_AUDIT_SHIP=false): the preflight used to report the missing
    upload right on the audit container as a gap and exit 2, on every deployed sandbox."""
    path, _first = sandbox
    env = _env(path)
    writes = _writes(env)
    run = _playbook(path, "preflight.yml", BOTH, json_output=False)
    assert run.rc == 0, run.stdout[-6000:] + run.stderr[-2000:]
    assert "does not ship it (COMPLIANCEFLOW_AUDIT_SHIP=false" in run.stdout
    assert _writes(env) == writes


def test_seed_playbook_reads_the_deployments_and_changes_nothing_seeded(sandbox):
    path, _first = sandbox
    env = _env(path)
    writes = _writes(env)
    run = _playbook(path, "seed.yml", BOTH)
    assert run.rc == 0, run.stdout[-6000:] + run.stderr[-2000:]
    assert run.total("changed") == 0, run.stdout[-4000:]
    assert _writes(env) == writes, "seed.yml sent PUT/PATCH/DELETE to the emulator"
    assert _acme_users(path) > 0


def test_seed_playbook_refuses_sample_data_outside_dev(sandbox):
    path, _first = sandbox
    env = _env(path)
    before = len(_requests(env))
    run = _playbook(path, "seed.yml", [REPO / "inventories" / "westeu-prod-1", *BOTH])
    assert run.rc != 0
    assert "-e confirm_seed=westeu-prod-1" in run.stdout
    assert len(_requests(env)) == before, "a refused seed run reached Azure"


def _changed_tasks(run) -> str:
    return " | ".join(task["task"]["name"] for play in run.data.get("plays", []) for task in play.get("tasks", [])
                      if any(result.get("changed") for result in task["hosts"].values()))


def _changed_items(run, task_name: str) -> list:
    """The loop items a task reports changed (or would change, in check mode)."""
    return [item["item"] for play in run.data.get("plays", []) for task in play.get("tasks", [])
            if task["task"]["name"] == task_name for result in task["hosts"].values()
            for item in result.get("results", []) if item.get("changed")]


def test_check_mode_on_a_new_prod_deployment_predicts_every_resource_without_writing(sandbox):
    path, _first = sandbox
    env = _env(path)
    writes = _writes(env)
    run = _playbook(path, "deploy.yml", [REPO / "inventories" / "westeu-prod-1"], check=True)
    assert run.rc == 0, run.stdout[-6000:] + run.stderr[-2000:]
    predicted = _changed_tasks(run)
    for name in ("rg-cf-westeu-prod-1", "budget-cf-westeu-prod-1", "log-cf-westeu-prod-1", "acrcfwesteuprod1", "stcfwesteuprod1",
                 "rg-cf-prod-westeu-ddos", "ddos-cf-prod-westeu", "vnet-cf-westeu-prod-1", "apim-cf-westeu-prod-1",
                 "kv-cf-westeu-prod-1-", "cae-cf-westeu-prod-1", "redis-cf-westeu-prod-1", "appi-cf-westeu-prod-1",
                 "id-cf-westeu-prod-1"):
        assert name in predicted, f"{name} not predicted: {predicted}"
    # Every private DNS zone of the plan, Event Hubs' among them, by the network role's loop.
    zones = {item["value"] for item in _changed_items(run, "complianceflow.infra.network : Start the private DNS zones")}
    assert {"privatelink.servicebus.windows.net", "privatelink.vaultcore.azure.net", "privatelink.azurecr.io"} <= zones, zones
    # What needs a resource that does not exist yet is named, not written: the endpoints, the server, global-prod's hubs.
    assert "server psql-cf-westeu-prod-1 does not exist yet" in run.stdout
    assert "it would get AcrPull, Key Vault Secrets User, Azure Event Hubs Data Sender, Azure Event Hubs Data Receiver" in run.stdout
    assert _writes(env) == writes, "check mode sent PUT/PATCH/DELETE to the emulator"
    assert not [r for r in _resources(env) if "prod" in r.lower()]


GDPR_ERASE_TASK = "Erase the tenant's rows in every database of the tier (signed record in the diff, so in the audit trail)"


def test_gdpr_export_and_erase_of_a_tenant_in_both_deployments(sandbox):
    """Issue 16: fabrikam (acme stays for the teardown steps) is exported, then erased: each deployment's record counts
    exactly the exported rows and its Key Vault key verifies it. (That a second erase changes nothing is
    tests/integration/database/test_gdpr_playbooks.py's: one more run here would cost ~20 s.) docs/gdpr.md."""
    from ansible_collections.complianceflow.infra.plugins.module_utils._pg import gdpr  # pylint: disable=import-outside-toplevel

    path, _first = sandbox
    out = path / "gdpr"
    run = _playbook(path, "gdpr_export.yml", BOTH, tenant="fabrikam", gdpr_export_dir=str(out))
    assert run.rc == 0, run.stdout[-6000:] + run.stderr[-2000:]
    docs = {f"{p.parent.name}/{p.stem}": json.loads(p.read_text()) for p in out.glob("*/*.json")}
    assert len(docs) == 11 and docs["westeu-dev-1/user_service"]["tables"]["users"], sorted(docs)
    run = _playbook(path, "gdpr_erase.yml", BOTH, tenant="fabrikam")
    assert run.rc == 0, run.stdout[-6000:] + run.stderr[-2000:]
    keys = {d["tags"]["Deployment"]: d["_secrets"]["gdpr-signing-key"][-1]["value"] for d in _state(_env(path)).values()
            if d.get("type") == "Microsoft.KeyVault/vaults"}
    for result in run.task_results(GDPR_ERASE_TASK):
        record = result["record"]
        exported = {(d, t): len(rows) for (dep, d), doc in ((k.split("/"), v) for k, v in docs.items())
                    if dep == record["deployment"] for t, rows in doc["tables"].items() if t != "tenants"}
        assert {(e["database"], e["table"]): e["count"] for e in record["deleted"]} == exported
        assert gdpr.verify(record, result["record_hmac_sha256"], keys[record["deployment"]])


def _requests(env: dict[str, str]) -> list[str]:
    return (Path(env["ARM_EMULATOR_CA"]).parent / "requests.jsonl").read_text().splitlines()


def test_teardown_in_check_mode_predicts_the_deletes_and_writes_nothing(sandbox):
    """What a careful operator runs first: --check --diff of the teardown. It used to stop at the export's completeness
    check (check mode writes no export), as if the export had failed."""
    path, _first = sandbox
    env = _env(path)
    before, writes = _resources(env), _writes(env)
    exports = sorted((path / "exports").rglob("*")) if (path / "exports").exists() else []
    run = _teardown(path, check=True)
    assert run.rc == 0, run.stdout[-6000:] + run.stderr[-2000:]
    assert all(run.stats[d]["changed"] > 0 for d in DEPLOYMENTS), run.stats
    assert _resources(env) == before and _writes(env) == writes, "check mode deleted something"
    assert (sorted((path / "exports").rglob("*")) if (path / "exports").exists() else []) == exports, "check mode wrote an export"
    assert _acme_users(path) > 0, "check mode dropped rows"


def test_a_global_deployment_stays_while_a_regional_one_of_its_run_was_not_torn_down(sandbox):
    """The seed's order holds when a regional teardown did not happen: here --limit leaves westeu-dev-1 out (a failed
    regional teardown beside one that passed is the same case), and global-dev, whose Event Hubs namespace westeu-dev-1
    still uses, is refused before anything of it is deleted."""
    path, _first = sandbox
    env = _env(path)
    before, writes = _resources(env), _writes(env)
    run = _teardown(path, limit="global-dev")
    assert run.rc != 0
    assert _resources(env) == before and _writes(env) == writes, "global-dev was torn down before westeu-dev-1"
    assert "westeu-dev-1 of this run was not torn down: global-dev stays" in run.stdout, run.stdout[-3000:]


def test_prod_teardown_is_refused_without_its_name(sandbox):
    path, _first = sandbox
    env = _env(path)
    writes = _writes(env)
    prod = [REPO / "inventories" / "westeu-prod-1", *BOTH]
    for confirm in (None, "westeu-prod-2"):
        run = _teardown(path, prod, **({"confirm_teardown": confirm} if confirm else {}))
        assert run.rc != 0
        assert "-e confirm_teardown=westeu-prod-1" in run.stdout
    assert _writes(env) == writes, "a refused teardown deleted something"


def test_teardown_keeps_everything_when_the_export_fails(sandbox):
    path, _first = sandbox
    env = _env(path)
    blocker = path / "not-a-directory"
    blocker.write_text("the export cannot create directories under a file\n")
    before, writes = _resources(env), _writes(env)
    run = _teardown(path, [REPO / "inventories" / "westeu-dev-1"], teardown_export_dir=str(blocker))
    assert run.rc != 0
    assert _resources(env) == before and _writes(env) == writes
    assert _acme_users(path) > 0, "the databases lost their rows"


def _acme_users(path: Path) -> int:
    import psycopg  # pylint: disable=import-outside-toplevel

    with psycopg.connect(**_server(_env(path), "psql-cf-westeu-dev-1"), dbname="user_service", user="user_service_app",
                         password=(path / "app.password").read_text().strip()) as conn:
        conn.execute("SELECT set_config('app.tenant_id', %s, true)", (ACME,))
        return conn.execute("SELECT count(*) FROM users").fetchone()[0]


def test_teardown_keeps_only_the_audit_groups_and_the_exports_on_disk(sandbox):
    path, _first = sandbox
    env = _env(path)
    logged = len(_requests(env))
    run = _teardown(path)
    assert run.rc == 0, run.stdout[-6000:] + run.stderr[-2000:]
    deletes = [json.loads(line)["path"].lower() for line in _requests(env)[logged:] if json.loads(line)["method"] == "DELETE"]
    global_group = next(n for n, p in enumerate(deletes) if p.split("?")[0].endswith("/resourcegroups/rg-cf-global-dev"))
    unsubscribed = [n for n, p in enumerate(deletes) if "/consumergroups/westeu-dev-1" in p]
    assert len(unsubscribed) == len(SEED_HUBS) and max(unsubscribed) < global_group, deletes
    # The evidence kept 7 years outlives the deployment: its audit group is left, and the region's Network Watcher (shared
    # by every VNet of the region, as Azure's own) without the deployments' flow logs.
    left = {i.lower().split("/resourcegroups/")[1].split("/")[0] for i in _resources(env)}
    assert left == {f"rg-cf-{d}-audit" for d in DEPLOYMENTS} | {"networkwatcherrg"}, _resources(env)
    assert not [i for i in _resources(env) if "/flowlogs/" in i.lower()]
    assert "kept rg-cf-westeu-dev-1-audit" in run.stdout and "-e teardown_delete_audit=true" in run.stdout
    # Key Vaults are soft-deleted (the seed: "soft-delete protects secrets"); a re-deploy recovers them.
    assert sorted(v.rsplit("/", 1)[-1][:len("kv-cf-global-dev")] for v in _resources(env, deleted_vaults=True)) == [
        "kv-cf-eastus-dev", "kv-cf-global-dev", "kv-cf-westeu-dev"]   # eastus-dev-1's from its own teardown above
    for deployment, databases in (("global-dev", 3), ("westeu-dev-1", 8)):
        exports = list((path / "exports" / deployment).iterdir())
        assert len(exports) == 1
        manifests = list(exports[0].glob("*/*.manifest.json"))
        assert len({m.parent.name for m in manifests}) == databases
        assert all(m.with_name(m.name.replace(".manifest.json", ".pgcopy")).is_file() for m in manifests)
    users = exports_rows(path, "westeu-dev-1", "user_service")
    assert users > 0


def exports_rows(path: Path, deployment: str, database: str) -> int:
    (export,) = (path / "exports" / deployment).iterdir()
    return sum(json.loads(m.read_text())["rows"] for m in (export / database).glob("*.manifest.json"))


def test_second_teardown_deletes_only_the_audit_groups_and_sandbox_down_keeps_the_exports(sandbox):
    path, _first = sandbox
    down = _script("sandbox-down.sh", path)  # teardown.yml once more (-e teardown_delete_audit=true), then the services stop
    assert down.returncode == 0, down.stdout[-3000:] + down.stderr[-2000:]
    recap = re.findall(r"^(global-dev|westeu-dev-1)\s+: ok=\d+\s+changed=(\d+)\s+unreachable=0\s+failed=(\d+)", down.stdout, re.M)
    # The one change per deployment is its audit group's delete: the rest was gone already.
    assert sorted(recap) == [("global-dev", "1", "0"), ("westeu-dev-1", "1", "0")], down.stdout[-3000:]
    changes = re.findall(r"^changed: \[([\w-]+)\] => \(item=(\S+) absent\)", down.stdout, re.M)
    assert sorted(changes) == [(d, f"rg-cf-{d}-audit") for d in DEPLOYMENTS], down.stdout[-3000:]
    assert not (path / "env.sh").exists() and not (path / "postgres").exists()
    assert list((path / "exports").glob("*/*/*/*.manifest.json"))
