"""Private DNS zones and virtual network links through the real PrivateDnsManagementClient."""
from __future__ import annotations

import pytest
from azure.core.exceptions import HttpResponseError
from azure.mgmt.network import models as nm
from azure.mgmt.privatedns import models as dm

ZONE = "privatelink.postgres.database.azure.com"


def _vnet(network, group, name="vnet-dns"):
    return network.virtual_networks.begin_create_or_update(group, name, nm.VirtualNetwork(
        location="westeurope", address_space=nm.AddressSpace(address_prefixes=["10.30.0.0/16"]))).result()


def test_zone_and_link_lifecycle(network, privatedns, group):
    vnet = _vnet(network, group)
    zone = privatedns.private_zones.begin_create_or_update(group, ZONE, dm.PrivateZone(location="global", tags={"a": "1"})).result()
    assert zone.location == "global" and zone.provisioning_state == "Succeeded"
    link = privatedns.virtual_network_links.begin_create_or_update(group, ZONE, "link-1", dm.VirtualNetworkLink(
        location="global", virtual_network=dm.SubResource(id=vnet.id), registration_enabled=False)).result()
    assert link.id == f"{zone.id}/virtualNetworkLinks/link-1"
    assert link.virtual_network.id == vnet.id and link.virtual_network_link_state == "Completed"
    # A PATCH (VirtualNetworkLinks_Update) merges its properties, with the PUT's checks: another VNet is refused.
    patched = privatedns.virtual_network_links.begin_update(group, ZONE, "link-1", dm.VirtualNetworkLink(
        registration_enabled=True, tags={"b": "1"})).result()
    assert patched.registration_enabled is True and patched.virtual_network.id == vnet.id and patched.tags == {"b": "1"}
    other = _vnet(network, group, "vnet-other")
    with pytest.raises(HttpResponseError, match="cannot be changed"):
        privatedns.virtual_network_links.begin_update(group, ZONE, "link-1", dm.VirtualNetworkLink(
            virtual_network=dm.SubResource(id=other.id))).result()
    assert privatedns.virtual_network_links.get(group, ZONE, "link-1").virtual_network.id == vnet.id
    assert privatedns.private_zones.get(group, ZONE).number_of_virtual_network_links == 1
    updated = privatedns.private_zones.begin_update(group, ZONE, dm.PrivateZone(tags={"a": "2"})).result()
    assert updated.tags == {"a": "2"}

    with pytest.raises(HttpResponseError) as in_use:
        privatedns.private_zones.begin_delete(group, ZONE).result()
    assert in_use.value.status_code == 409 and in_use.value.error.code == "CannotDeleteResource"

    privatedns.virtual_network_links.begin_delete(group, ZONE, "link-1").result()
    privatedns.private_zones.begin_delete(group, ZONE).result()
    assert [z.name for z in privatedns.private_zones.list_by_resource_group(group)] == []


def test_a_vnet_links_once_per_zone_and_must_exist(network, privatedns, group):
    vnet = _vnet(network, group)
    privatedns.private_zones.begin_create_or_update(group, ZONE, dm.PrivateZone(location="global")).result()
    link = dm.VirtualNetworkLink(location="global", virtual_network=dm.SubResource(id=vnet.id))
    privatedns.virtual_network_links.begin_create_or_update(group, ZONE, "l1", link).result()
    with pytest.raises(HttpResponseError) as twice:
        privatedns.virtual_network_links.begin_create_or_update(group, ZONE, "l2", link).result()
    assert twice.value.status_code == 409
    with pytest.raises(HttpResponseError) as gone:
        privatedns.virtual_network_links.begin_create_or_update(group, ZONE, "l3", dm.VirtualNetworkLink(
            location="global", virtual_network=dm.SubResource(id=vnet.id + "-gone"))).result()
    assert gone.value.status_code == 400


def test_zones_are_global_and_need_a_dotted_name(privatedns, group):
    with pytest.raises(HttpResponseError) as regional:
        privatedns.private_zones.begin_create_or_update(group, ZONE, dm.PrivateZone(location="westeurope")).result()
    assert regional.value.error.code == "LocationNotAvailableForResourceType"
    with pytest.raises(HttpResponseError) as bad:
        privatedns.private_zones.begin_create_or_update(group, "nodots", dm.PrivateZone(location="global")).result()
    assert bad.value.error.code == "BadRequest" and "does not have enough labels" in bad.value.error.message   # Azure's
    with pytest.raises(HttpResponseError) as deep:   # at most 34 labels (Microsoft Learn, private-dns-privatednszone)
        privatedns.private_zones.begin_create_or_update(group, ".".join(["a"] * 35), dm.PrivateZone(location="global")).result()
    assert deep.value.error.code == "InvalidResourceName"


def test_a_vnet_cannot_link_two_zones_of_the_same_name(network, privatedns, group, resources):
    """Why each deployment has its own PostgreSQL zone: a hub VNet linked to one deployment's
    privatelink.postgres.database.azure.com cannot be linked to another deployment's zone of that name."""
    hub = _vnet(network, group, "vnet-hub")
    other_group = group + "-other"
    resources.resource_groups.create_or_update(other_group, {"location": "westeurope"})
    link = dm.VirtualNetworkLink(location="global", virtual_network=dm.SubResource(id=hub.id))
    try:
        for rg in (group, other_group):
            for zone in (ZONE, f"{rg}.private.postgres.database.azure.com"):
                privatedns.private_zones.begin_create_or_update(rg, zone, dm.PrivateZone(location="global")).result()
        privatedns.virtual_network_links.begin_create_or_update(group, ZONE, "hub", link).result()
        with pytest.raises(HttpResponseError) as same_name:
            privatedns.virtual_network_links.begin_create_or_update(other_group, ZONE, "hub", link).result()
        assert same_name.value.status_code == 400 and "overlapping namespaces" in same_name.value.error.message
        for rg in (group, other_group):   # per-deployment names: siblings, both linked to the hub
            zone = f"{rg}.private.postgres.database.azure.com"
            privatedns.virtual_network_links.begin_create_or_update(rg, zone, "hub", link).result()
    finally:
        resources.resource_groups.begin_delete(other_group).result()


def test_a_zone_refuses_a_sixteenth_tag(privatedns, group):
    """Azure's 15-tag limit of private (and public) DNS zones, on a PUT and on the tags PATCH (docs/emulator.md)."""
    fifteen = {f"Tag{i}": "x" for i in range(15)}
    zone = privatedns.private_zones.begin_create_or_update(group, "example.internal", {"location": "global", "tags": fifteen}).result()
    assert len(zone.tags) == 15
    with pytest.raises(HttpResponseError, match="A maximum of 15 tags are allowed") as refused:
        privatedns.private_zones.begin_create_or_update(group, "example.internal", {"location": "global",
                                                                                    "tags": dict(fifteen, Tag15="x")}).result()
    assert refused.value.error.code == "BadRequest"
    with pytest.raises(HttpResponseError, match="A maximum of 15 tags are allowed"):   # the tags PATCH too
        privatedns.private_zones.begin_update(group, "example.internal", {"tags": dict(fifteen, Tag15="x")}).result()


def test_a_zone_drops_tags_whose_names_azure_does_not_keep(privatedns, group):
    """Azure answers the write and drops a tag whose name has a colon or a space (docs/emulator.md)."""
    zone = privatedns.private_zones.begin_create_or_update(group, "drop.internal", {
        "location": "global", "tags": {"ms:usage": "a", "Cost Center": "b", "Owner": "platform"}}).result()
    assert zone.tags == {"Owner": "platform"}
    patched = privatedns.private_zones.begin_update(group, "drop.internal", {"tags": {"Owner": "platform", "a b": "c"}}).result()
    assert patched.tags == {"Owner": "platform"}
