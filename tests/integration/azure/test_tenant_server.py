"""Tier 3 against the emulator, by real ansible-playbook runs of roles/tenant_server: --check on a brand-new tenant predicts
without failing or writing; acme's server is created with its customer-managed key, a re-run changes nothing, a key
rotation shows the new version on the server, a revocation makes it Inaccessible, and state=absent removes it all."""
from __future__ import annotations

from azure_play import arm_id, resource, task
from emulator import CONTROLLER_ADDRESS

from ansible_collections.complianceflow.infra.plugins.module_utils._deployment.plan import build_plan
from ansible_collections.complianceflow.infra.plugins.module_utils._deployment.tenant_server import tenant_server_plan

DEPLOYMENT = "westeu-stg-1"
WRITES = ("PUT", "PATCH", "DELETE", "POST")


def _writes(emu, since: int) -> list:
    return [r for r in emu.requests(since=since) if r["method"] in WRITES and "/_emulator/" not in r["path"] and "token" not in r["path"]]


def _deployment_tasks(plan: dict) -> list:
    """What a deployed regional deployment gives Tier 3: the group, the VNet (database subnet delegated), the
    deployment's private DNS zone for PostgreSQL, and its vault (the controller let in, Key Vault Secrets Officer)."""
    rg, names = plan["names"]["resource_group"], plan["names"]
    subnets = [{k: v for k, v in tier["subnet"].items() if k != "network_security_group"} for tier in plan["subnet_tiers"].values()]
    vault = dict(task("deployment vault", "key_vault", resource_group=rg, name=names["key_vault"], location=plan["location"],
                      network_acls={"default_action": "Deny", "ip_rules": [CONTROLLER_ADDRESS]}), register="kv")
    return [task("group", "resource_group", name=rg, location=plan["location"]),
            task("vnet", "virtual_network", resource_group=rg, name=names["virtual_network"], location=plan["location"],
                 address_prefixes=[plan["vnet_cidr"]], subnets=subnets),
            task("zone", "private_dns_zone", resource_group=rg, name=plan["private_dns_zones"]["postgresql"]),
            vault, task("grant", "role_assignment", scope="{{ kv.key_vault.id }}", role="Key Vault Secrets Officer")]


def _role(tasks_from: str = "main", **extra) -> dict:
    return {"ansible.builtin.include_role": {"name": "complianceflow.infra.tenant_server", "tasks_from": tasks_from}, "vars": extra}


def test_acme_server_with_cmk_created_rotated_revoked_and_removed(ansible, emu):
    plan = build_plan(DEPLOYMENT)
    acme = tenant_server_plan(plan, "acme")
    server_id = arm_id(emu, acme["resource_group"], f"Microsoft.DBforPostgreSQL/flexibleServers/{acme['server_name']}")
    role_vars = {"deployment_plan": plan, "tenant_server_tenant": "acme", "tenant_server_ip_rules": [CONTROLLER_ADDRESS],
                 "tenant_server_rbac_delay": 1}
    try:
        run = ansible.play(_deployment_tasks(plan), vars_=role_vars)
        assert run.rc == 0, run.stdout[-4000:] + run.stderr[-2000:]

        # --check on a brand-new tenant: predicted, nothing written, exists false.
        mark = emu.request_count()
        run = ansible.play([_role(), {"name": "fact", "ansible.builtin.debug": {"var": "tenant_server"}}], check=True, vars_=role_vars)
        assert run.rc == 0, run.stdout[-4000:] + run.stderr[-2000:]
        assert run.result("fact")["tenant_server"]["exists"] is False
        assert not _writes(emu, mark), "check mode wrote"

        run = ansible.play([_role(), {"name": "fact", "ansible.builtin.debug": {"var": "tenant_server"}}], vars_=role_vars)
        assert run.rc == 0, run.stdout[-4000:] + run.stderr[-2000:]
        fact = run.result("fact")["tenant_server"]
        assert fact["exists"] and fact["state"] == "Ready" and fact["key_status"] == "Valid"
        assert fact["key_id"].startswith(f"https://{acme['key_vault_name']}.vault.localhost:") and "/keys/postgresql-cmk/" in fact["key_id"]
        assert fact["databases"] == plan["databases"] and fact["admin_password_secret"] == "postgresql-tenant-acme-admin-password"
        stored = resource(emu, server_id)
        assert stored["properties"]["dataEncryption"]["type"] == "AzureKeyVault" and stored["tags"]["tier"] == "3"
        assert stored["tags"]["tenant"] == "acme" and stored["tags"]["Deployment"] == DEPLOYMENT
        assert "administratorLoginPassword" not in run.stdout

        # A re-run changes nothing and writes nothing; login.yml logs the database modules in to the server.
        mark = emu.request_count()
        logged_in = {"name": "login", "ansible.builtin.assert": {"that": [
            "postgresql_login_host == tenant_server.fqdn", "postgresql_login_user == 'psqladmin'",
            "postgresql_login_password | length == 32", "tenant_server_libpq_env.PGHOSTADDR == '127.0.0.1'"]}}
        run = ansible.play([_role(), _role("login"), logged_in], vars_=role_vars)
        changed = [t["task"]["name"] for play in run.data.get("plays", []) for t in play.get("tasks", [])
                   if any(h.get("changed") for h in t["hosts"].values())]
        assert run.rc == 0 and not changed, changed
        assert not _writes(emu, mark), _writes(emu, mark)

        # Rotation: a new version, the server moved to it and reporting it.
        run = ansible.play([_role("rotate"), {"name": "rotation", "ansible.builtin.debug": {"var": "tenant_server_rotation"}}],
                           vars_=role_vars)
        assert run.rc == 0, run.stdout[-4000:] + run.stderr[-2000:]
        rotation = run.result("rotation")["tenant_server_rotation"]
        assert rotation["old"] == fact["key_id"] and rotation["new"] != rotation["old"]
        assert resource(emu, server_id)["properties"]["dataEncryption"]["primaryKeyURI"] == rotation["new"]

        # Revocation: the key disabled, the server Inaccessible; restore brings it back.
        check = task("server state", "postgresql_flexible_server_info", resource_group=acme["resource_group"], name=acme["server_name"])
        run = ansible.play([_role("revoke"), check], vars_=role_vars)
        assert run.rc == 0, run.stdout[-4000:] + run.stderr[-2000:]
        assert run.result("server state")["server"]["state"] == "Inaccessible"
        run = ansible.play([_role("revoke", tenant_server_restore=True), check], vars_=role_vars)
        assert run.rc == 0 and run.result("server state")["server"]["state"] == "Ready", run.stdout[-4000:]

        # Teardown's removal: acme's server found by its tag tier=3 (the seed's other tenants have none; contoso named
        # explicitly is read and skipped): the server, the identity and its role gone, the vault soft-deleted; then
        # state=absent changes nothing.
        listing = task("tier 3", "postgresql_flexible_server_info", resource_group=acme["resource_group"], tags={"tier": "3"})
        run = ansible.play([listing, _role("teardown", tenant_server_teardown_tenants=["contoso"])], vars_=role_vars)
        assert run.rc == 0, run.stdout[-4000:] + run.stderr[-2000:]
        assert [s["name"] for s in run.result("tier 3")["servers"]] == [acme["server_name"]]
        assert resource(emu, server_id) is None
        assert resource(emu, arm_id(emu, acme["resource_group"], f"Microsoft.KeyVault/vaults/{acme['key_vault_name']}")) is None
        run = ansible.play([_role(tenant_server_state="absent")], vars_=role_vars)
        assert run.rc == 0 and run.total("changed") == 0, run.stdout[-4000:]
    finally:
        ansible.play([task("remove", "resource_group", name=plan["names"]["resource_group"], state="absent")])
