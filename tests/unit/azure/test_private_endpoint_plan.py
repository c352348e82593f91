"""Private endpoint plans: what the contract test cannot reach (zone group changes, fixed subnet and target, no PATCH)."""
from __future__ import annotations

import pytest

from ansible_collections.complianceflow.infra.plugins.module_utils._azure.ids import ResourceId
from ansible_collections.complianceflow.infra.plugins.module_utils._azure.private_endpoint import (
    endpoint_body, plan_endpoint, validate_endpoint, zone_ids)
from ansible_collections.complianceflow.infra.plugins.module_utils._azure.values import AzureInputError

SUB, RG = "00000000-0000-0000-0000-000000000001", "rg-cf-westeu-dev-1"
GROUP = f"/subscriptions/{SUB}/resourceGroups/{RG}"
SUBNET = f"{GROUP}/providers/Microsoft.Network/virtualNetworks/vnet/subnets/st"
VAULT = f"{GROUP}/providers/Microsoft.KeyVault/vaults/kv-cf-westeu-dev-1-5n8o"
ZONE = f"{GROUP}/providers/Microsoft.Network/privateDnsZones/privatelink.vaultcore.azure.net"
RID = ResourceId.parse(f"{GROUP}/providers/Microsoft.Network/privateEndpoints/pe-kv")


def params(**over):
    base = {"resource_group": RG, "name": "pe-kv", "location": "westeurope", "subnet": "vnet/st", "target": VAULT,
            "group_id": "vault", "connection_name": None, "private_dns_zones": None, "tags": None, "purge_tags": True,
            "state": "present"}
    base.update(over)
    return base


def wanted(zones=None, subnet=SUBNET, group="vault"):
    return {"subnet": subnet, "target": VAULT, "group": group, "zones": zones, "connection_name": "pe-kv"}


def existing(tags=None):
    doc = endpoint_body("westeurope", tags or {}, SUBNET.upper(), VAULT, "vault", "pe-kv")
    doc.update(id=str(RID), name="pe-kv")
    return doc


def zone_group(*zones):
    return {"properties": {"privateDnsZoneConfigs": [{"name": "z", "properties": {"privateDnsZoneId": z}} for z in zones]}}


@pytest.mark.parametrize("over, message", [
    ({"group_id": "blob"}, "'blob' is not a group id of Microsoft.KeyVault/vaults; valid: vault"),
    ({"target": f"{GROUP}/providers/Microsoft.Network/virtualNetworks/vnet"}, "private endpoints of this module connect to"),
    ({"subnet": "st"}, "neither a subnet id nor <virtual network>/<subnet>"),
    ({"private_dns_zones": ["localhost"]}, "is not a DNS zone name"),
])
def test_bad_input_is_refused_naming_the_value(over, message):
    with pytest.raises(AzureInputError, match=message):
        validate_endpoint(params(**over))


def test_group_id_is_spelled_as_azure_offers_it():
    target = f"{GROUP}/providers/Microsoft.Cache/redisEnterprise/redis-cf-westeu-dev-1"
    assert validate_endpoint(params(target=target, group_id="redisenterprise"))[1] == "redisEnterprise"


def test_unchanged_endpoint_and_zones_plan_nothing_and_ids_compare_without_case():
    plan = plan_endpoint(existing(), zone_group(ZONE.lower()), params(private_dns_zones=["x"]), RID, wanted([ZONE]))
    assert plan.action == "none" and not plan.children


def test_zone_group_written_when_zones_differ_and_deleted_with_an_empty_list():
    plan = plan_endpoint(existing(), None, params(), RID, wanted([ZONE]))
    assert plan.action == "none" and [(c.method, c.resource_id.name) for c in plan.children] == [("PUT", "default")]
    assert plan.children[0].body == {"properties": {"privateDnsZoneConfigs": [
        {"name": "privatelink-vaultcore-azure-net", "properties": {"privateDnsZoneId": ZONE}}]}}
    plan = plan_endpoint(existing(), zone_group(ZONE), params(), RID, wanted([]))
    assert [c.method for c in plan.children] == ["DELETE"] and plan.before["private_dns_zones"] == [ZONE]


def test_tags_change_is_a_put_of_the_whole_endpoint_as_it_is():
    plan = plan_endpoint(existing({"a": "1"}), None, params(tags={"a": "2"}), RID, wanted())
    assert plan.action == "put" and plan.body["tags"] == {"a": "2"}
    assert plan.body["properties"]["subnet"]["id"] == SUBNET.upper()   # as Azure has it, not re-spelled


@pytest.mark.parametrize("change, message", [
    ({"subnet": SUBNET.replace("/st", "/redis")}, "subnet: private endpoint 'pe-kv' exists with subnet"),
    ({"group": "vaultx"}, "group_id: private endpoint 'pe-kv' exists with group id vault"),
])
def test_subnet_and_connection_of_an_existing_endpoint_are_not_moved(change, message):
    with pytest.raises(AzureInputError, match=message):
        plan_endpoint(existing(), None, params(), RID, dict(wanted(), **change))


def test_create_needs_location_and_subnet():
    with pytest.raises(AzureInputError, match="subnet is needed to create it"):
        plan_endpoint(None, None, params(subnet=None), RID, wanted(subnet=None))
    assert zone_ids(["privatelink.vaultcore.azure.net", ZONE.upper()], SUB, RG) == [ZONE]
