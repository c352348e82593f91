"""Microsoft.Network DDoS protection plans in the emulator, through azure-mgmt-network (what the users named)."""
from __future__ import annotations

import pytest
from azure.core.exceptions import HttpResponseError


def _vnet(plan_id=None, enable=True):
    props = {"addressSpace": {"addressPrefixes": ["10.30.0.0/16"]}}
    if plan_id:
        props.update(ddosProtectionPlan={"id": plan_id}, enableDdosProtection=enable)
    elif enable:
        props["enableDdosProtection"] = True
    return {"location": "westeurope", "properties": props}   # a dict body is sent as JSON unchanged


def test_plan_lists_its_networks_and_is_not_deleted_while_used(network, group):
    plan = network.ddos_protection_plans.begin_create_or_update(group, "ddos-emu-1", {"location": "westeurope"}).result()
    assert plan.properties.virtual_networks == [] and plan.properties.resource_guid
    network.virtual_networks.begin_create_or_update(group, "vnet-emu-1", _vnet(plan.id)).result()
    plan = network.ddos_protection_plans.get(group, "ddos-emu-1")
    assert [v.id.rsplit("/", 1)[-1] for v in plan.properties.virtual_networks] == ["vnet-emu-1"]
    with pytest.raises(HttpResponseError, match="InUseDdosProtectionPlanCannotBeDeleted"):
        network.ddos_protection_plans.begin_delete(group, "ddos-emu-1").result()
    with pytest.raises(HttpResponseError, match="one DDoS protection plan is allowed per region"):
        network.ddos_protection_plans.begin_create_or_update(group, "ddos-emu-2", {"location": "westeurope"}).result()
    network.virtual_networks.begin_delete(group, "vnet-emu-1").result()
    assert network.ddos_protection_plans.get(group, "ddos-emu-1").properties.virtual_networks == []
    network.ddos_protection_plans.begin_delete(group, "ddos-emu-1").result()


def test_vnet_reference_to_a_missing_plan_is_refused(emu, network, group):
    missing = f"/subscriptions/{emu.subscription_id}/resourceGroups/{group}/providers/Microsoft.Network/ddosProtectionPlans/none"
    with pytest.raises(HttpResponseError, match="InvalidResourceReference"):
        network.virtual_networks.begin_create_or_update(group, "vnet-emu-2", _vnet(missing)).result()
    with pytest.raises(HttpResponseError, match="DdosProtectionPlanRequired"):
        network.virtual_networks.begin_create_or_update(group, "vnet-emu-2", _vnet()).result()
