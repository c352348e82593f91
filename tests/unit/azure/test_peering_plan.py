"""The peering planner where the contract cannot reach: a Disconnected side is written again, a changed address space is a
warning, another remote network is refused, overlapping prefixes are found before any write."""
from __future__ import annotations

import pytest

from ansible_collections.complianceflow.infra.plugins.module_utils._azure.values import AzureInputError
from ansible_collections.complianceflow.infra.plugins.module_utils._azure.virtual_network_peering import overlapping, plan_peering

REMOTE = "/subscriptions/s/resourceGroups/rg-b/providers/Microsoft.Network/virtualNetworks/vnet-b"
PARAMS = {"name": "a-to-b", "allow_forwarded_traffic": True}


def _existing(state="Connected", sync="FullyInSync", remote=REMOTE):
    return {"id": "/x/a-to-b", "name": "a-to-b", "properties": {
        "remoteVirtualNetwork": {"id": remote}, "allowVirtualNetworkAccess": True, "allowForwardedTraffic": True,
        "allowGatewayTransit": False, "useRemoteGateways": False, "peeringState": state, "peeringSyncLevel": sync}}


def test_a_disconnected_side_is_written_again_and_a_connected_one_is_left_alone():
    plan = plan_peering(_existing("Disconnected"), PARAMS, REMOTE, back_state=None)
    assert plan.action == "put" and (plan.before["peering_state"], plan.after["peering_state"]) == ("Disconnected", "Initiated")
    assert plan.body["properties"]["remoteVirtualNetwork"] == {"id": REMOTE} and plan.body["properties"]["allowForwardedTraffic"]
    assert plan_peering(_existing(), PARAMS, REMOTE.upper()).action == "none"   # ids compare without case


def test_a_changed_address_space_is_a_warning_another_remote_is_refused():
    plan = plan_peering(_existing(sync="RemoteNotInSync"), PARAMS, REMOTE)
    assert plan.action == "none" and "RemoteNotInSync" in plan.notes[0] and "syncRemoteAddressSpace=true" in plan.notes[0]
    with pytest.raises(AzureInputError, match="delete it \\(state=absent\\) to peer with another virtual network"):
        plan_peering(_existing(), PARAMS, REMOTE.replace("vnet-b", "vnet-c"))


def test_a_new_peering_is_initiated_or_connected_and_overlaps_are_found():
    assert plan_peering(None, {"name": "a-to-b"}, REMOTE).after["peering_state"] == "Initiated"
    created = plan_peering(None, {"name": "a-to-b"}, REMOTE, back_state="Initiated")
    assert created.action == "create" and created.after["peering_state"] == "Connected"
    assert created.body["properties"]["allowVirtualNetworkAccess"] is True and created.body["properties"]["allowForwardedTraffic"] is False
    assert overlapping(["10.30.0.0/16"], ["10.31.0.0/16", "10.30.128.0/17"]) == [("10.30.0.0/16", "10.30.128.0/17")]
    assert overlapping(["10.30.0.0/16"], ["10.31.0.0/16"]) == []
