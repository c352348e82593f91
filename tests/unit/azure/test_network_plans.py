"""Virtual network, NSG and private DNS plans: validation before any call, only user-set fields compared."""
from __future__ import annotations

import copy

import pytest

from ansible_collections.complianceflow.infra.plugins.module_utils._azure.ids import ResourceId
from ansible_collections.complianceflow.infra.plugins.module_utils._azure.values import AzureInputError
from ansible_collections.complianceflow.infra.plugins.module_utils._azure.private_dns_zone import plan_private_dns_zone, validate_zone_name
from ansible_collections.complianceflow.infra.plugins.module_utils._azure.virtual_network import plan_virtual_network, validate_virtual_network
from ansible_collections.complianceflow.infra.plugins.module_utils._azure.network_security_group import normalize_rules, plan_network_security_group

SUB, RG = "00000000-0000-0000-0000-000000000001", "rg-cf-westeu-dev-1"
VNET_ID = f"/subscriptions/{SUB}/resourceGroups/{RG}/providers/Microsoft.Network/virtualNetworks/vnet"
NSG_ID = f"/subscriptions/{SUB}/resourceGroups/{RG}/providers/Microsoft.Network/networkSecurityGroups/nsg-db"


def vnet_spec(**over):
    spec = {"name": "vnet", "location": "westeurope", "address_prefixes": ["10.10.0.0/16"], "dns_servers": None,
            "subnets": [{"name": "apps", "address_prefix": "10.10.1.0/24", "delegations": ["Microsoft.App/environments"]},
                        {"name": "db", "address_prefix": "10.10.2.0/24", "network_security_group": "nsg-db"}],
            "purge_subnets": False, "tags": {"Deployment": "westeu-dev-1"}, "purge_tags": True}
    spec.update(over)
    return validate_virtual_network(spec)


@pytest.mark.parametrize("name", ["v", "v" * 65, "-vnet", "vnet-"])
def test_a_vnet_name_outside_azures_2_to_64_characters_is_refused(name):
    """resource-name-rules: virtualNetworks (and privateEndpoints) take 2-64 characters, not the other network names' 80."""
    with pytest.raises(AzureInputError, match=r"name: .* is not a valid name; Azure allows 2-64 characters"):
        vnet_spec(name=name)
    assert vnet_spec(name="v" * 64)["name"] == "v" * 64


def as_azure_returns(body):
    """What ARM answers after a PUT of `body`: ids, states, a route table someone else attached to db."""
    doc = copy.deepcopy(body)
    doc.update(id=VNET_ID, name="vnet", type="Microsoft.Network/virtualNetworks", etag='W/"1"')
    doc["properties"]["provisioningState"] = "Succeeded"
    for subnet in doc["properties"]["subnets"]:
        subnet["id"] = f"{VNET_ID}/subnets/{subnet['name']}"
        subnet["properties"].update(provisioningState="Succeeded", privateEndpointNetworkPolicies="Disabled")
        for delegation in subnet["properties"].get("delegations", []):
            delegation["properties"]["actions"] = ["Microsoft.Network/virtualNetworks/subnets/join/action"]
        if "networkSecurityGroup" in subnet["properties"]:
            subnet["properties"]["networkSecurityGroup"]["id"] = subnet["properties"]["networkSecurityGroup"]["id"].upper()
    return doc


def test_create_body_has_subnets_delegation_and_nsg_id_from_name():
    plan = plan_virtual_network(None, vnet_spec(), SUB, RG)
    assert plan.changed and plan.action != "tags" and plan.before == {}
    subnets = plan.body["properties"]["subnets"]
    assert subnets[0]["properties"]["delegations"] == [{"name": "Microsoft.App.environments", "properties": {"serviceName": "Microsoft.App/environments"}}]
    assert subnets[1]["properties"]["networkSecurityGroup"] == {"id": NSG_ID}


def test_second_run_is_no_change_even_with_azure_defaults_and_id_case():
    created = as_azure_returns(plan_virtual_network(None, vnet_spec(), SUB, RG).body)
    plan = plan_virtual_network(created, vnet_spec(), SUB, RG)
    assert not plan.changed


def test_tag_change_alone_is_tags_only():
    created = as_azure_returns(plan_virtual_network(None, vnet_spec(), SUB, RG).body)
    plan = plan_virtual_network(created, vnet_spec(tags={"Deployment": "westeu-dev-1", "Owner": "DevOps"}), SUB, RG)
    assert plan.changed and plan.action == "tags"
    assert plan.before["tags"] == {"Deployment": "westeu-dev-1"} and plan.after["tags"]["Owner"] == "DevOps"


def test_subnet_change_keeps_fields_the_user_did_not_set():
    created = as_azure_returns(plan_virtual_network(None, vnet_spec(), SUB, RG).body)
    created["properties"]["subnets"][1]["properties"]["routeTable"] = {"id": "/rt"}
    spec = vnet_spec(subnets=[{"name": "db", "address_prefix": "10.10.2.0/24", "delegations": ["Microsoft.DBforPostgreSQL/flexibleServers"]}])
    plan = plan_virtual_network(created, spec, SUB, RG)
    db = next(s for s in plan.body["properties"]["subnets"] if s["name"] == "db")
    assert plan.changed and plan.action != "tags"
    assert db["properties"]["routeTable"] == {"id": "/rt"}
    assert db["properties"]["networkSecurityGroup"]["id"].lower() == NSG_ID.lower()
    assert plan.before["subnets"] == [{"name": "db", "address_prefix": "10.10.2.0/24", "delegations": []}]
    assert plan.after["subnets"][0]["delegations"] == ["Microsoft.DBforPostgreSQL/flexibleServers"]
    # apps is not listed: kept without purge_subnets
    assert [s["name"] for s in plan.body["properties"]["subnets"]] == ["db", "apps"]


def test_purge_subnets_removes_unlisted_and_shows_them_in_before():
    created = as_azure_returns(plan_virtual_network(None, vnet_spec(), SUB, RG).body)
    spec = vnet_spec(subnets=[{"name": "db", "address_prefix": "10.10.2.0/24"}], purge_subnets=True)
    plan = plan_virtual_network(created, spec, SUB, RG)
    assert [s["name"] for s in plan.body["properties"]["subnets"]] == ["db"]
    assert [s["name"] for s in plan.before["subnets"]] == ["db", "apps"]


def test_empty_nsg_detaches():
    created = as_azure_returns(plan_virtual_network(None, vnet_spec(), SUB, RG).body)
    plan = plan_virtual_network(created, vnet_spec(subnets=[{"name": "db", "address_prefix": "10.10.2.0/24", "network_security_group": ""}]), SUB, RG)
    db = next(s for s in plan.body["properties"]["subnets"] if s["name"] == "db")
    assert plan.changed and "networkSecurityGroup" not in db["properties"]


@pytest.mark.parametrize("over, message", [
    ({"subnets": [{"name": "x", "address_prefix": "10.11.1.0/24"}]}, r"subnets\[x\].address_prefix: 10.11.1.0/24 is outside the address space 10.10.0.0/16"),
    ({"subnets": [{"name": "a", "address_prefix": "10.10.1.0/24"}, {"name": "b", "address_prefix": "10.10.1.128/25"}]}, "overlaps subnet 'a'"),
    ({"subnets": [{"name": "a", "address_prefix": "10.10.1.0/24"}, {"name": "A", "address_prefix": "10.10.2.0/24"}]}, "listed twice"),
    ({"subnets": [{"name": "-bad", "address_prefix": "10.10.1.0/24"}]}, "'-bad' is not a valid name"),
    ({"subnets": [{"name": "a", "address_prefix": "10.10.1.0/24", "delegations": ["postgres"]}]}, "'postgres' is not a service name"),
    ({"address_prefixes": ["10.10.0.0/16", "10.10.128.0/17"]}, "overlap"),
    ({"dns_servers": ["dns.example"]}, "'dns.example' is not an IP address"),
])
def test_bad_input_is_refused_before_any_call(over, message):
    with pytest.raises(AzureInputError, match=message):
        vnet_spec(**over)


def test_creating_without_address_space_says_what_is_missing():
    with pytest.raises(AzureInputError, match="address_prefixes is needed to create it"):
        plan_virtual_network(None, vnet_spec(address_prefixes=None), SUB, RG)


def test_location_cannot_change():
    created = as_azure_returns(plan_virtual_network(None, vnet_spec(), SUB, RG).body)
    with pytest.raises(AzureInputError, match="cannot move it to northeurope"):
        plan_virtual_network(created, vnet_spec(location="northeurope"), SUB, RG)


RULES = [{"name": "allow-pg", "priority": 100, "protocol": "tcp", "source_address_prefixes": ["10.10.1.0/24"],
          "destination_port_ranges": ["5432"]},
         {"name": "deny-all", "priority": 4096, "access": "Deny"}]


def nsg_as_azure(body):
    doc = copy.deepcopy(body)
    doc.update(id=NSG_ID, name="nsg-db")
    for rule in doc["properties"]["securityRules"]:
        props = rule["properties"]
        # ARM answers both forms: the singular set, the plural empty.
        for single, plural in (("sourceAddressPrefix", "sourceAddressPrefixes"), ("sourcePortRange", "sourcePortRanges"),
                               ("destinationAddressPrefix", "destinationAddressPrefixes"), ("destinationPortRange", "destinationPortRanges")):
            props.setdefault(plural, [])
        props["provisioningState"] = "Succeeded"
    return doc


def test_rules_are_normalised_with_defaults():
    rules = normalize_rules(RULES)
    assert rules[0]["protocol"] == "Tcp" and rules[0]["direction"] == "Inbound" and rules[0]["access"] == "Allow"
    assert rules[1]["destination_port_ranges"] == ["*"]


def test_nsg_second_run_is_no_change_and_purge_removes_foreign_rules():
    spec = {"name": "nsg-db", "location": "westeurope", "rules": RULES, "purge_rules": False, "tags": None, "purge_tags": True}
    created = nsg_as_azure(plan_network_security_group(None, spec).body)
    assert created["properties"]["securityRules"][0]["properties"]["destinationPortRange"] == "5432"
    assert not plan_network_security_group(created, spec).changed
    created["properties"]["securityRules"].append({"name": "foreign", "properties": {"priority": 200, "direction": "Inbound", "access": "Allow",
                                                                                     "protocol": "*", "sourceAddressPrefix": "*"}})
    assert not plan_network_security_group(created, spec).changed
    purged = plan_network_security_group(created, dict(spec, purge_rules=True))
    assert purged.changed and [r["name"] for r in purged.body["properties"]["securityRules"]] == ["allow-pg", "deny-all"]
    assert purged.before["rules"][-1]["name"] == "foreign"


def test_nsg_port_change_is_a_change():
    spec = {"name": "nsg-db", "location": "westeurope", "rules": RULES, "purge_rules": False, "tags": None, "purge_tags": True}
    created = nsg_as_azure(plan_network_security_group(None, spec).body)
    changed = [dict(RULES[0], destination_port_ranges=["5432", "6432"]), RULES[1]]
    plan = plan_network_security_group(created, dict(spec, rules=changed))
    assert plan.changed
    assert plan.body["properties"]["securityRules"][0]["properties"]["destinationPortRanges"] == ["5432", "6432"]


@pytest.mark.parametrize("rule, message", [
    ({"name": "r", "priority": 99}, "must be an integer from 100 to 4096"),
    ({"name": "r", "priority": 100, "destination_port_ranges": ["70000"]}, "'70000' is not a port"),
    ({"name": "r", "priority": 100, "destination_port_ranges": ["20-10"]}, "'20-10' is not a port"),
    ({"name": "r", "priority": 100, "source_address_prefixes": ["10.0.0.1/8"]}, "has host bits set"),
    ({"name": "r", "priority": 100, "protocol": "sctp"}, "'sctp' is not one of Tcp"),
])
def test_bad_rules_name_the_value(rule, message):
    with pytest.raises(AzureInputError, match=message):
        normalize_rules([rule])


def test_an_ipv6_prefix_spelt_otherwise_than_python_prints_it_is_taken_and_host_bits_are_still_refused():
    rules = normalize_rules([{"name": "r", "priority": 100, "source_address_prefixes": ["FD00::/48", "fd00:0:0:1::/64"]}])
    assert rules[0]["source_address_prefixes"] == ["FD00::/48", "fd00:0:0:1::/64"]
    with pytest.raises(AzureInputError, match="'FD00::1/48' has host bits set; the network is fd00::/48"):
        normalize_rules([{"name": "r", "priority": 100, "source_address_prefixes": ["FD00::1/48"]}])


def test_duplicate_priority_in_one_direction():
    with pytest.raises(AzureInputError, match="100 is already used by Inbound rule 'a'"):
        normalize_rules([{"name": "a", "priority": 100}, {"name": "b", "priority": 100}])
    assert len(normalize_rules([{"name": "a", "priority": 100}, {"name": "b", "priority": 100, "direction": "Outbound"}])) == 2


def test_zone_names():
    assert validate_zone_name("privatelink.postgres.database.azure.com") == "privatelink.postgres.database.azure.com"
    assert validate_zone_name(".".join(["a"] * 34)) == ".".join(["a"] * 34)
    with pytest.raises(AzureInputError, match="use 2-34 labels"):
        validate_zone_name(".".join(["a"] * 35))
    with pytest.raises(AzureInputError, match="is not a DNS zone name"):
        validate_zone_name("localhost")
    with pytest.raises(AzureInputError, match="is not a DNS zone name"):
        validate_zone_name("bad_label.example.com")


def test_zone_links_by_name_and_purge():
    zone = {"id": "/z", "name": "privatelink.blob.core.windows.net", "tags": {"a": "1"}}
    links = [{"name": "l1", "properties": {"virtualNetwork": {"id": VNET_ID.upper()}, "registrationEnabled": False}},
             {"name": "old", "properties": {"virtualNetwork": {"id": "/other"}, "registrationEnabled": False}}]
    spec = {"name": zone["name"], "virtual_network_links": [{"name": "l1", "virtual_network": "vnet"}],
            "purge_virtual_network_links": False, "tags": {"a": "1"}, "purge_tags": True}
    zone_id = ResourceId.build(SUB, RG, "Microsoft.Network/privateDnsZones", zone["name"])
    plan = plan_private_dns_zone(zone, links, dict(spec), zone_id)
    assert not plan.changed
    plan = plan_private_dns_zone(zone, links, dict(spec, purge_virtual_network_links=True), zone_id)
    assert plan.changed and [(c.method, c.resource_id.name) for c in plan.children] == [("DELETE", "old")]
    registering = [{"name": "l1", "virtual_network": "vnet", "registration_enabled": True}]
    plan = plan_private_dns_zone(zone, links, dict(spec, virtual_network_links=registering), zone_id)
    puts = [c for c in plan.children if c.method == "PUT"]
    assert [c.resource_id.name for c in puts] == ["l1"] and puts[0].body["properties"]["virtualNetwork"]["id"] == VNET_ID
    moved = [{"name": "old", "virtual_network": "vnet"}]   # link "old" joins /other: its network is set when made
    with pytest.raises(AzureInputError, match=r"virtual_network_links\[old\]: the link of zone .* already joins /other"):
        plan_private_dns_zone(zone, links, dict(spec, virtual_network_links=moved), zone_id)


def test_a_zone_takes_at_most_15_tags_counting_those_kept():
    """Azure refuses a 16th tag on a private DNS zone (400 BadRequest): refused before any call, with purge_tags=false
    counting the zone's own tags it would keep."""
    zone = {"id": "/z", "name": "privatelink.blob.core.windows.net", "tags": {f"Old{i}": "x" for i in range(5)}}
    zone_id = ResourceId.build(SUB, RG, "Microsoft.Network/privateDnsZones", zone["name"])
    ten = {f"New{i}": "x" for i in range(10)}
    spec = {"name": zone["name"], "virtual_network_links": None, "purge_virtual_network_links": False, "purge_tags": True}
    assert len(plan_private_dns_zone(zone, [], dict(spec, tags=ten), zone_id).body["tags"]) == 10
    with pytest.raises(AzureInputError, match="a private DNS zone would have 16 tags; Azure allows at most 15"):
        plan_private_dns_zone(None, [], dict(spec, tags=dict(ten, **{f"More{i}": "x" for i in range(6)})), zone_id)
    with pytest.raises(AzureInputError, match="a private DNS zone would have 16 tags"):   # 5 kept + 11 given
        plan_private_dns_zone(zone, [], dict(spec, tags=dict(ten, Extra="x"), purge_tags=False), zone_id)


@pytest.mark.parametrize("key", ["Cost Center", "ms:usage", "Team(Platform)", "1stLine"])
def test_a_zone_refuses_tag_names_azure_drops_before_any_call(key):
    """A private DNS zone drops a tag whose name has a colon or a space (the tag would change on every run)."""
    zone_id = ResourceId.build(SUB, RG, "Microsoft.Network/privateDnsZones", "privatelink.blob.core.windows.net")
    spec = {"name": zone_id.name, "virtual_network_links": None, "purge_virtual_network_links": False, "purge_tags": True}
    with pytest.raises(AzureInputError, match=r"cannot be tag names of a private DNS zone: Azure drops a name with a space or a colon"):
        plan_private_dns_zone(None, [], dict(spec, tags={key: "x", "Owner": "platform"}), zone_id)
    assert plan_private_dns_zone(None, [], dict(spec, tags={"Cost-Center": "x", "team_1.a": "y"}), zone_id).body["tags"]
    # A control character is refused for every resource first (Azure's own rule, values.validate_tags).
    with pytest.raises(AzureInputError, match="or control characters"):
        plan_private_dns_zone(None, [], dict(spec, tags={"tab\there": "x"}), zone_id)


@pytest.mark.parametrize("prefixes", [["VirtualNetwork", "10.0.0.0/24"], ["*", "10.0.0.1"], ["Internet", "AzureLoadBalancer"]])
def test_a_service_tag_or_star_mixed_with_other_prefixes_is_refused(prefixes):
    with pytest.raises(AzureInputError, match="must stand alone"):
        normalize_rules([{"name": "r", "priority": 100, "source_address_prefixes": prefixes}])
    assert normalize_rules([{"name": "r", "priority": 100, "source_address_prefixes": ["10.0.0.0/24", "10.0.1.5"]}])
