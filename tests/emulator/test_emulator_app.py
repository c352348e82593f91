"""Microsoft.App managed environments in the emulator, through ARM's generic resource operations (azure-mgmt-resource)."""
from __future__ import annotations

import uuid

import pytest
from azure.core.exceptions import HttpResponseError

API = "2026-07-01"
NET = "2026-03-01"


def _env(emu, group, name):
    return f"/subscriptions/{emu.subscription_id}/resourceGroups/{group}/providers/Microsoft.App/managedEnvironments/{name}"


def _subnet_properties(prefix, delegation):
    properties = {"addressPrefix": prefix}
    if delegation:
        properties["delegations"] = [{"name": "d", "properties": {"serviceName": delegation}}]
    return properties


def _vnet(emu, resources, group, subnets):
    rid = f"/subscriptions/{emu.subscription_id}/resourceGroups/{group}/providers/Microsoft.Network/virtualNetworks/vnet"
    resources.resources.begin_create_or_update_by_id(rid, api_version=NET, parameters={
        "location": "westeurope", "properties": {"addressSpace": {"addressPrefixes": ["10.40.0.0/16"]}, "subnets": [
            {"name": n, "properties": _subnet_properties(p, d)} for n, p, d in subnets]}}).result()
    return rid


def _body(subnet, **props):
    return {"location": "westeurope", "properties": dict({
        "vnetConfiguration": {"internal": True, "infrastructureSubnetId": subnet},
        "workloadProfiles": [{"name": "Consumption", "workloadProfileType": "Consumption"}],
        "appLogsConfiguration": {"destination": "azure-monitor"}}, **props)}


def _put(resources, rid, body):
    return resources.resources.begin_create_or_update_by_id(rid, api_version=API, parameters=body).result()


def test_internal_workload_profiles_environment_in_its_subnet(emu, resources, group):
    vnet = _vnet(emu, resources, group, [("apps", "10.40.1.0/24", "Microsoft.App/environments"),
                                         ("small", "10.40.2.0/28", "Microsoft.App/environments"),
                                         ("plain", "10.40.3.0/24", None)])
    rid = _env(emu, group, f"cae-{uuid.uuid4().hex[:8]}")
    # A name outside the rule: Azure's code and message (azure-cli-extensions#5555).
    with pytest.raises(HttpResponseError, match="The environment name cae_bad_name is invalid") as refused:
        _put(resources, _env(emu, group, "cae_bad_name"), _body(f"{vnet}/subnets/apps"))
    assert refused.value.error.code == "ManagedEnvironmentInvalidName"
    for subnet, why in ((f"{vnet}/subnets/plain", "ManagedEnvironmentSubnetDelegationError.*must be delegated to the service"),
                        (f"{vnet}/subnets/small", "at least /27"),
                        (f"{vnet}/subnets/nowhere", "ManagedEnvironmentInvalidNetworkConfiguration.*could not be found")):
        with pytest.raises(HttpResponseError, match=why):
            _put(resources, rid, _body(subnet))
    with pytest.raises(HttpResponseError, match="needs infrastructureSubnetId"):
        _put(resources, rid, {"location": "westeurope", "properties": {"vnetConfiguration": {"internal": True}}})
    with pytest.raises(HttpResponseError, match="destination"):
        _put(resources, rid, _body(f"{vnet}/subnets/apps", appLogsConfiguration={"destination": "splunk"}))
    with pytest.raises(HttpResponseError, match="staticIp"):   # read-only in the spec
        _put(resources, rid, _body(f"{vnet}/subnets/apps", staticIp="10.40.1.9"))
    created = _put(resources, rid, _body(f"{vnet}/subnets/apps", zoneRedundant=False))
    assert created.properties["environmentMode"] == "WorkloadProfiles"
    assert created.properties["staticIp"].startswith("10.40.1.")   # internal: an address of its subnet
    # Set at creation only: the network and zone redundancy
    with pytest.raises(HttpResponseError, match="zoneRedundant cannot be changed"):
        _put(resources, rid, _body(f"{vnet}/subnets/apps", zoneRedundant=True))
    with pytest.raises(HttpResponseError, match="internal cannot be changed"):
        resources.resources.begin_update_by_id(rid, api_version=API, parameters={
            "location": "westeurope", "properties": {"vnetConfiguration": {"internal": False}}}).result()
    # The PATCH body is a ManagedEnvironment: location is required
    with pytest.raises(HttpResponseError, match="location"):
        resources.resources.begin_update_by_id(rid, api_version=API, parameters={"tags": {"a": "1"}}).result()
    patched = resources.resources.begin_update_by_id(rid, api_version=API, parameters={
        "location": "westeurope", "tags": {"a": "1"}, "properties": {"workloadProfiles": [
            {"name": "Consumption", "workloadProfileType": "Consumption"}, {"name": "d4", "workloadProfileType": "D4",
                                                                            "minimumCount": 1, "maximumCount": 2}]}}).result()
    assert len(patched.properties["workloadProfiles"]) == 2 and patched.tags == {"a": "1"}
    # The subnet is in use while the environment is there
    with pytest.raises(HttpResponseError, match="InUseSubnetCannotBeDeleted"):
        resources.resources.begin_delete_by_id(f"{vnet}/subnets/apps", api_version=NET).result()
    resources.resources.begin_delete_by_id(rid, api_version=API).result()
    resources.resources.begin_delete_by_id(f"{vnet}/subnets/apps", api_version=NET).result()
