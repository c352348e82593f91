"""Microsoft.Network virtual network peerings in the emulator, through azure-mgmt-network (docs/emulator.md lists the sources)."""
from __future__ import annotations

import pytest
from azure.core.exceptions import HttpResponseError


def _vnet(network, group, name, prefix):
    body = {"location": "westeurope", "properties": {"addressSpace": {"addressPrefixes": [prefix]}}}
    return network.virtual_networks.begin_create_or_update(group, name, body).result()


def _peer(network, group, vnet, name, remote_id, **props):
    body = {"properties": dict({"remoteVirtualNetwork": {"id": remote_id}, "allowVirtualNetworkAccess": True}, **props)}
    return network.virtual_network_peerings.begin_create_or_update(group, vnet, name, body).result()


def _state(network, group, vnet, name):
    return network.virtual_network_peerings.get(group, vnet, name).peering_state


def test_initiated_until_peered_back_then_connected_and_disconnected_when_one_side_goes(network, group):
    a, b = _vnet(network, group, "vnet-a", "10.30.0.0/16"), _vnet(network, group, "vnet-b", "10.31.0.0/16")
    assert _peer(network, group, "vnet-a", "a-to-b", b.id).peering_state == "Initiated"
    back = _peer(network, group, "vnet-b", "b-to-a", a.id, allowForwardedTraffic=True)
    assert back.peering_state == "Connected" and _state(network, group, "vnet-a", "a-to-b") == "Connected"
    assert back.remote_address_space.address_prefixes == ["10.30.0.0/16"] and back.allow_forwarded_traffic
    # The VNet's own GET shows the peering inline, with its live state; a VNet PUT without peerings keeps them.
    _vnet(network, group, "vnet-a", "10.30.0.0/16")
    assert [(p.name, p.peering_state) for p in network.virtual_networks.get(group, "vnet-a").virtual_network_peerings] == [("a-to-b", "Connected")]

    network.virtual_network_peerings.begin_delete(group, "vnet-b", "b-to-a").result()
    assert _state(network, group, "vnet-a", "a-to-b") == "Disconnected"   # the other side stays, Disconnected
    with pytest.raises(HttpResponseError, match="RemotePeeringIsDisconnected"):
        _peer(network, group, "vnet-b", "b-to-a", a.id)
    assert _peer(network, group, "vnet-a", "a-to-b", b.id).peering_state == "Initiated"   # an update brings it back
    assert _peer(network, group, "vnet-b", "b-to-a", a.id).peering_state == "Connected"

    network.virtual_networks.begin_delete(group, "vnet-b").result()
    assert _state(network, group, "vnet-a", "a-to-b") == "Disconnected"


def test_refusals_overlap_missing_remote_and_remote_gateways(emu, network, group):
    a = _vnet(network, group, "vnet-c", "10.40.0.0/16")
    same = _vnet(network, group, "vnet-d", "10.40.128.0/17")
    with pytest.raises(HttpResponseError, match="VnetAddressSpacesOverlap") as err:
        _peer(network, group, "vnet-c", "c-to-d", same.id)
    assert "10.40.0.0/16" in str(err.value)
    missing = f"/subscriptions/{emu.subscription_id}/resourceGroups/{group}/providers/Microsoft.Network/virtualNetworks/none"
    with pytest.raises(HttpResponseError, match="InvalidGlobalResourceReference"):
        _peer(network, group, "vnet-c", "c-to-none", missing)
    e = _vnet(network, group, "vnet-e", "10.41.0.0/16")
    with pytest.raises(HttpResponseError, match="RemoteVnetHasNoGateways"):
        _peer(network, group, "vnet-c", "c-to-e", e.id, useRemoteGateways=True)
    # A VNet overlapping one already peered with the remote VNet (transitive overlap).
    _peer(network, group, "vnet-e", "e-to-c", a.id)
    with pytest.raises(HttpResponseError, match="VnetAddressSpaceOverlapsWithAlreadyPeeredVnet"):
        _peer(network, group, "vnet-d", "d-to-e", e.id)
    assert network.virtual_network_peerings.get(group, "vnet-e", "e-to-c").peering_state == "Initiated"
