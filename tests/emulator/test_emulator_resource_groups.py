"""Resource groups through the real ResourceManagementClient, including the cascading delete."""
from __future__ import annotations

import pytest
from azure.core.exceptions import HttpResponseError, ResourceNotFoundError
from azure.mgmt.network import models as nm
from azure.mgmt.privatedns import models as dm


def test_create_get_update_list_and_delete(resources):
    rgs = resources.resource_groups
    created = rgs.create_or_update("rg-crud", {"location": "westeurope", "tags": {"Environment": "dev"}})
    assert created.id.endswith("/resourceGroups/rg-crud")
    assert created.properties.provisioning_state == "Succeeded"
    assert rgs.get("RG-CRUD").tags == {"Environment": "dev"}  # names are case-insensitive
    updated = rgs.update("rg-crud", {"tags": {"Environment": "dev", "Owner": "platform"}})
    assert updated.tags == {"Environment": "dev", "Owner": "platform"}
    assert "rg-crud" in [g.name for g in rgs.list()]
    assert rgs.check_existence("rg-crud") is True
    rgs.begin_delete("rg-crud").result()
    assert rgs.check_existence("rg-crud") is False
    with pytest.raises(ResourceNotFoundError) as err:
        rgs.get("rg-crud")
    assert err.value.error.code == "ResourceGroupNotFound"


def test_an_existing_group_cannot_move_location(resources, group):
    with pytest.raises(HttpResponseError) as err:
        resources.resource_groups.create_or_update(group, {"location": "northeurope"})
    assert err.value.error.code == "InvalidResourceGroupLocation"


def test_an_invalid_group_name_is_refused(resources):
    with pytest.raises(HttpResponseError) as err:
        resources.resource_groups.create_or_update("bad name.", {"location": "westeurope"})
    assert err.value.error.code == "InvalidResourceGroupName"


def test_delete_cascades_to_everything_inside_as_a_long_running_operation(emu, resources, network, privatedns, group):
    nsg = network.network_security_groups.begin_create_or_update(
        group, "nsg-a", nm.NetworkSecurityGroup(location="westeurope")).result()
    vnet = network.virtual_networks.begin_create_or_update(group, "vnet-a", nm.VirtualNetwork(
        location="westeurope", address_space=nm.AddressSpace(address_prefixes=["10.9.0.0/16"]),
        subnets=[nm.Subnet(name="s1", address_prefix="10.9.1.0/24", network_security_group=nm.NetworkSecurityGroup(id=nsg.id))],
    )).result()
    zone = privatedns.private_zones.begin_create_or_update(group, "privatelink.vaultcore.azure.net",
                                                           dm.PrivateZone(location="global")).result()
    privatedns.virtual_network_links.begin_create_or_update(group, zone.name, "link-a", dm.VirtualNetworkLink(
        location="global", virtual_network=dm.SubResource(id=vnet.id), registration_enabled=False)).result()
    assert len(list(resources.resources.list_by_resource_group(group))) == 4
    vnets = list(resources.resources.list(filter="resourceType eq 'Microsoft.Network/virtualNetworks'"))
    assert vnet.id in [r.id for r in vnets]
    assert {r.type for r in vnets} == {"Microsoft.Network/virtualNetworks"}

    emu.set_latency({"Microsoft.Resources/resourceGroups": 0.5})
    since = emu.request_count()
    poller = resources.resource_groups.begin_delete(group)
    assert not poller.done()
    assert resources.resource_groups.get(group).properties.provisioning_state == "Deleting"
    poller.result()

    assert resources.resource_groups.check_existence(group) is False
    first = emu.requests(since, method="DELETE")[0]
    assert first["status"] == 202 and first["async_operation"]
    polls = emu.requests(since, operation="Microsoft.Resources/locations/operations/read")
    assert polls, "the SDK poller followed Azure-AsyncOperation"
    assert vnet.name not in [v.name for v in network.virtual_networks.list_all()]
    assert nsg.name not in [n.name for n in network.network_security_groups.list_all()]
    with pytest.raises(ResourceNotFoundError) as err:
        network.virtual_networks.get(group, "vnet-a")
    assert err.value.error.code == "ResourceGroupNotFound"
