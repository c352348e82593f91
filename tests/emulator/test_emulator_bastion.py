"""Public IP addresses and Azure Bastion hosts in the emulator, through azure-mgmt-network 33.1 (2026-03-01)."""
from __future__ import annotations

import pytest
from azure.core.exceptions import HttpResponseError

PIP = {"location": "westeurope", "sku": {"name": "Standard"}, "properties": {"publicIPAllocationMethod": "Static"}}


@pytest.fixture
def estate(emu, network, group):
    """A VNet with an AzureBastionSubnet /26, a /27 one elsewhere and a management subnet, and a Standard static IP."""
    network.virtual_networks.begin_create_or_update(group, "vnet-bas", {"location": "westeurope", "properties": {
        "addressSpace": {"addressPrefixes": ["10.9.0.0/16"]},
        "subnets": [{"name": "AzureBastionSubnet", "properties": {"addressPrefix": "10.9.11.0/26"}},
                    {"name": "snet-mgmt", "properties": {"addressPrefix": "10.9.10.0/24"}}]}}).result()
    network.virtual_networks.begin_create_or_update(group, "vnet-small", {"location": "westeurope", "properties": {
        "addressSpace": {"addressPrefixes": ["10.8.0.0/16"]},
        "subnets": [{"name": "AzureBastionSubnet", "properties": {"addressPrefix": "10.8.11.0/27"}}]}}).result()
    pip = network.public_ip_addresses.begin_create_or_update(group, "pip-bas", PIP).result()
    base = f"/subscriptions/{emu.subscription_id}/resourceGroups/{group}/providers/Microsoft.Network/virtualNetworks/"
    return {"group": group, "pip": pip.id, "subnet": base + "vnet-bas/subnets/AzureBastionSubnet",
            "mgmt": base + "vnet-bas/subnets/snet-mgmt", "small": base + "vnet-small/subnets/AzureBastionSubnet"}


def _host(subnet, pip, sku="Basic", **props):
    return {"location": "westeurope", "sku": {"name": sku}, "properties": dict(props, ipConfigurations=[
        {"name": "IpConf", "properties": {"subnet": {"id": subnet}, "publicIPAddress": {"id": pip}}}])}


def test_public_ip_is_standard_and_static(network, group):
    pip = network.public_ip_addresses.begin_create_or_update(group, "pip-ok", PIP).result()
    assert (pip.sku.name, pip.sku.tier, pip.public_ip_allocation_method) == ("Standard", "Regional", "Static")
    assert pip.ip_address and pip.ip_address.startswith("203.0.113.")
    assert network.public_ip_addresses.update_tags(group, "pip-ok", {"tags": {"a": "b"}}).tags == {"a": "b"}
    with pytest.raises(HttpResponseError, match="IPv4BasicSkuPublicIpCountLimitReached"):
        network.public_ip_addresses.begin_create_or_update(group, "pip-basic", dict(PIP, sku={"name": "Basic"})).result()
    with pytest.raises(HttpResponseError, match="must have AllocationMethod set to Static"):
        network.public_ip_addresses.begin_create_or_update(group, "pip-dyn", dict(PIP, properties={
            "publicIPAllocationMethod": "Dynamic"})).result()


def test_bastion_host_in_its_subnet_with_its_ip_and_what_azure_refuses(network, estate):
    group = estate["group"]
    host = network.bastion_hosts.begin_create_or_update(group, "bas-1", _host(estate["subnet"], estate["pip"])).result()
    assert (host.sku.name, host.scale_units, host.provisioning_state) == ("Basic", 2, "Succeeded")
    assert host.dns_name.endswith(".bastion.azure.com")
    assert network.public_ip_addresses.get(group, "pip-bas").ip_configuration.id == host.ip_configurations[0].id
    # the subnet and the address are the host's now
    with pytest.raises(HttpResponseError, match="PublicIPAddressCannotBeDeleted"):
        network.public_ip_addresses.begin_delete(group, "pip-bas").result()
    with pytest.raises(HttpResponseError, match="InUseSubnetCannotBeDeleted"):
        network.subnets.begin_delete(group, "vnet-bas", "AzureBastionSubnet").result()
    # a subnet of another name, a /27, a second host in the same subnet, a Basic host with scaling, a downgrade
    with pytest.raises(HttpResponseError, match="SubnetNameMustBeAzureBastionSubnet.*can only be created in subnet with name .AzureBastionSubnet"):
        network.bastion_hosts.begin_create_or_update(group, "bas-2", _host(estate["mgmt"], estate["pip"])).result()
    other = network.public_ip_addresses.begin_create_or_update(group, "pip-2", PIP).result()
    with pytest.raises(HttpResponseError, match="must be /26 or larger"):
        network.bastion_hosts.begin_create_or_update(group, "bas-2", _host(estate["small"], other.id)).result()
    with pytest.raises(HttpResponseError, match="can't contain other resources"):
        network.bastion_hosts.begin_create_or_update(group, "bas-2", _host(estate["subnet"], other.id)).result()
    with pytest.raises(HttpResponseError, match="needs the Standard SKU"):
        network.bastion_hosts.begin_create_or_update(group, "bas-1", _host(estate["subnet"], estate["pip"], scaleUnits=4)).result()
    with pytest.raises(HttpResponseError, match="scaleUnits|InvalidRequestContent|maximum"):   # the spec's 2-50
        network.bastion_hosts.begin_create_or_update(group, "bas-1", _host(estate["subnet"], estate["pip"], "Standard",
                                                                           scaleUnits=60)).result()
    up = network.bastion_hosts.begin_create_or_update(group, "bas-1", _host(estate["subnet"], estate["pip"], "Standard",
                                                                            scaleUnits=3)).result()
    assert (up.sku.name, up.scale_units) == ("Standard", 3)
    with pytest.raises(HttpResponseError, match="downgrading the SKU"):
        network.bastion_hosts.begin_create_or_update(group, "bas-1", _host(estate["subnet"], estate["pip"])).result()
    assert network.bastion_hosts.begin_update(group, "bas-1", {"tags": {"t": "1"}}).result().tags == {"t": "1"}
    # deleting the host frees its address and subnet
    network.bastion_hosts.begin_delete(group, "bas-1").result()
    network.public_ip_addresses.begin_delete(group, "pip-bas").result()
    network.subnets.begin_delete(group, "vnet-bas", "AzureBastionSubnet").result()


def test_bastion_host_refuses_a_missing_public_ip(network, estate):
    group = estate["group"]
    missing = estate["pip"].replace("pip-bas", "pip-none")
    with pytest.raises(HttpResponseError, match="InvalidResourceReference"):
        network.bastion_hosts.begin_create_or_update(group, "bas-3", _host(estate["subnet"], missing)).result()
