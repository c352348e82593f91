"""Roles resource_group + network build a deployment's group, VNet, subnets, NSGs and DNS zones from its plan."""
from __future__ import annotations

from azure_play import arm_id, resource

ROLES = [{"role": "complianceflow.infra.resource_group"}, {"role": "complianceflow.infra.network"}]
PLAN = {"deployment_plan": "{{ deployment_name | complianceflow.infra.deployment }}"}


def play_roles(ansible, name, **kw):
    return ansible.play([], roles=ROLES, extra_vars={"deployment_name": name}, vars_=PLAN, **kw)


def test_westeu_dev_1_is_built_and_a_second_run_changes_nothing(ansible, emu):
    run = play_roles(ansible, "westeu-dev-1")
    assert run.rc == 0, run.stdout[-4000:] + run.stderr[-2000:]
    rg = "rg-cf-westeu-dev-1"
    group = resource(emu, arm_id(emu, rg))
    assert group["location"] == "westeurope" and group["tags"]["Deployment"] == "westeu-dev-1" and group["tags"]["Ephemeral"] == "true"

    vnet = resource(emu, arm_id(emu, rg, "Microsoft.Network/virtualNetworks/vnet-cf-westeu-dev-1"))
    assert vnet["properties"]["addressSpace"]["addressPrefixes"] == ["10.10.0.0/16"]
    subnets = {s["name"]: s["properties"] for s in vnet["properties"]["subnets"]}
    assert {n: p["addressPrefix"] for n, p in subnets.items()} == {
        "snet-cf-westeu-dev-1-apps": "10.10.1.0/24", "snet-cf-westeu-dev-1-db": "10.10.2.0/24",
        "snet-cf-westeu-dev-1-redis": "10.10.3.0/24", "snet-cf-westeu-dev-1-st": "10.10.4.0/24",
        "snet-cf-westeu-dev-1-mgmt": "10.10.10.0/24"}
    delegations = {n: [d["properties"]["serviceName"] for d in p.get("delegations") or []] for n, p in subnets.items()}
    assert delegations["snet-cf-westeu-dev-1-apps"] == ["Microsoft.App/environments"]
    assert delegations["snet-cf-westeu-dev-1-db"] == ["Microsoft.DBforPostgreSQL/flexibleServers"]
    assert delegations["snet-cf-westeu-dev-1-redis"] == []
    for name, props in subnets.items():
        assert props["networkSecurityGroup"]["id"].lower().endswith("/nsg-cf-westeu-dev-1-" + name.rsplit("-", 1)[-1])

    db_nsg = resource(emu, arm_id(emu, rg, "Microsoft.Network/networkSecurityGroups/nsg-cf-westeu-dev-1-db"))
    rules = {r["name"]: r["properties"] for r in db_nsg["properties"]["securityRules"]}
    allow = [p for p in rules.values() if p["access"] == "Allow"]
    assert all(p.get("destinationPortRange") == "5432" and p.get("destinationAddressPrefix") == "10.10.2.0/24" for p in allow)
    assert {p["sourceAddressPrefix"] for p in allow} == {"10.10.1.0/24", "10.10.10.0/24", "10.10.2.0/24"}
    assert rules["deny-all-inbound"]["priority"] == 4096 and rules["deny-all-inbound"]["access"] == "Deny"

    for zone, link in (("privatelink.postgres.database.azure.com", "pdnslink-cf-westeu-dev-1-psql"),
                       ("privatelink.redis.cache.windows.net", "pdnslink-cf-westeu-dev-1-redis"),
                       ("privatelink.blob.core.windows.net", "pdnslink-cf-westeu-dev-1-blob"),
                       ("privatelink.vaultcore.azure.net", "pdnslink-cf-westeu-dev-1-kv")):
        doc = resource(emu, arm_id(emu, rg, f"Microsoft.Network/privateDnsZones/{zone}/virtualNetworkLinks/{link}"))
        assert doc["properties"]["virtualNetwork"]["id"].lower() == vnet["id"].lower()

    mark = emu.request_count()
    run = play_roles(ansible, "westeu-dev-1")
    assert run.rc == 0 and run.total("changed") == 0
    assert not [r for r in emu.requests(since=mark) if r["method"] in ("PUT", "PATCH", "DELETE")]


def test_prod_plan_adds_the_api_management_subnet_check_mode_writes_nothing(ansible, emu):
    mark = emu.request_count()
    run = play_roles(ansible, "westeu-prod-1", check=True)
    assert run.rc == 0, run.stdout[-4000:]
    subnets = run.result("complianceflow.infra.network : Virtual network with all its subnets vnet-cf-westeu-prod-1")["virtual_network"]["subnets"]
    assert {s["name"]: s["address_prefix"] for s in subnets}["snet-cf-westeu-prod-1-apim"] == "10.30.5.0/24"
    assert len(subnets) == 6
    assert not [r for r in emu.requests(since=mark) if r["method"] in ("PUT", "PATCH", "DELETE")]
    assert resource(emu, arm_id(emu, "rg-cf-westeu-prod-1")) is None
