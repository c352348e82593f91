"""Bastion host and public IP plans: the refusals the contract does not reach (before any call)."""
from __future__ import annotations

import pytest

from ansible_collections.complianceflow.infra.plugins.module_utils._azure.bastion_host import plan_bastion_host, validate_bastion_host
from ansible_collections.complianceflow.infra.plugins.module_utils._azure.public_ip_address import plan_public_ip, validate_public_ip
from ansible_collections.complianceflow.infra.plugins.module_utils._azure.values import AzureInputError

SUB, RG = "00000000-0000-0000-0000-000000000001", "rg-cf-westeu-dev-1"
SUBNET = f"/subscriptions/{SUB}/resourceGroups/{RG}/providers/Microsoft.Network/virtualNetworks/vnet/subnets/AzureBastionSubnet"
PIP = f"/subscriptions/{SUB}/resourceGroups/{RG}/providers/Microsoft.Network/publicIPAddresses/pip"


def host_params(**over):
    params = {"resource_group": RG, "name": "bas", "location": "westeurope", "sku": None, "subnet": "vnet/AzureBastionSubnet",
              "public_ip_address": "pip", "scale_units": None, "state": "present", "tags": None, "purge_tags": True}
    params.update(over)
    return params


def existing_host(sku="Standard", units=3):
    return {"id": "x", "name": "bas", "location": "westeurope", "sku": {"name": sku}, "tags": {}, "properties": {
        "scaleUnits": units, "ipConfigurations": [{"properties": {"subnet": {"id": SUBNET}, "publicIPAddress": {"id": PIP}}}]}}


@pytest.mark.parametrize("over, message", [
    ({"subnet": f"/subscriptions/{SUB}/resourceGroups/rg-other/providers/Microsoft.Network/virtualNetworks/v/subnets/AzureBastionSubnet"},
     "must be in the bastion host's resource group"),
    ({"subnet": "vnet/azurebastionsubnet"}, "named exactly AzureBastionSubnet"),
    ({"sku": "Basic", "scale_units": 4}, "needs sku=Standard"),
    ({"sku": "Standard", "scale_units": 51}, "out of range 2-50"),
    ({"public_ip_address": None}, "public_ip_address is required"),
])
def test_bastion_host_refusals_name_the_option(over, message):
    with pytest.raises(AzureInputError, match=message):
        validate_bastion_host(host_params(**over), SUB)


def test_bastion_host_downgrade_refused_and_an_unchanged_host_plans_nothing():
    params = host_params(sku="Basic")
    with pytest.raises(AzureInputError, match="does not downgrade a SKU"):
        plan_bastion_host(existing_host(), params, validate_bastion_host(params, SUB))
    same = host_params(sku="Standard")
    assert plan_bastion_host(existing_host(), same, validate_bastion_host(same, SUB)).action == "none"
    new = plan_bastion_host(None, same, validate_bastion_host(same, SUB))
    assert new.action == "create" and new.body["properties"]["ipConfigurations"][0]["properties"]["subnet"]["id"] == SUBNET


def test_scale_units_alone_scale_an_existing_standard_host_and_are_refused_for_a_basic_or_new_one():
    """The existing host's SKU decides when the task does not repeat sku."""
    scale = host_params(scale_units=5)
    plan = plan_bastion_host(existing_host(), scale, validate_bastion_host(scale, SUB))
    assert plan.changed and plan.body["properties"]["scaleUnits"] == 5 and plan.body["sku"] == {"name": "Standard"}
    with pytest.raises(AzureInputError, match="needs sku=Standard .*bastion host 'bas' is Basic, which runs 2"):
        plan_bastion_host(existing_host(sku="Basic", units=None), scale, validate_bastion_host(scale, SUB))
    with pytest.raises(AzureInputError, match="is Basic \\(it does not exist yet\\)"):
        plan_bastion_host(None, scale, validate_bastion_host(scale, SUB))


def test_public_ip_refusals_and_immutable_zones():
    base = {"resource_group": RG, "name": "pip", "location": "westeurope", "sku": None, "tier": None, "allocation_method": None,
            "ip_version": None, "idle_timeout_in_minutes": None, "zones": None, "tags": None, "purge_tags": True}
    with pytest.raises(AzureInputError, match="retired on 30 September 2025"):
        validate_public_ip(dict(base, sku="Basic"))
    with pytest.raises(AzureInputError, match="out of range 4-30"):
        validate_public_ip(dict(base, idle_timeout_in_minutes=2))
    existing = {"id": PIP, "name": "pip", "location": "westeurope", "tags": {}, "sku": {"name": "Standard", "tier": "Regional"},
                "zones": ["1"], "properties": {"publicIPAllocationMethod": "Static", "publicIPAddressVersion": "IPv4"}}
    with pytest.raises(AzureInputError, match="set when the address is created"):
        plan_public_ip(existing, dict(base, zones=["1", "2"]))
    assert plan_public_ip(existing, dict(base, sku="Standard", zones=["1"])).action == "none"
