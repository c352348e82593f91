"""Request bodies are checked against the vendored OpenAPI excerpts of the api-version they carry.

Each kind of refusal (required, non-extensible enum, type, range, pattern) and what passes
(extensible enums, read-only values, unknown properties, api-versions without a vendored spec).
Rules, codes and their sources: docs/emulator.md, "Request bodies checked against the spec".
"""
from __future__ import annotations

import pytest
from azure.core.exceptions import HttpResponseError

NET, LA = "2026-03-01", "2025-07-01"


def _ids(emu, group):
    base = f"/subscriptions/{emu.subscription_id}/resourceGroups/{group}/providers"
    return {"nsg": f"{base}/Microsoft.Network/networkSecurityGroups/nsg-1",
            "vnet": f"{base}/Microsoft.Network/virtualNetworks/vnet-1",
            "ws": f"{base}/Microsoft.OperationalInsights/workspaces/ws-openapi"}


def _put(resources, resource_id, version, body):
    return resources.resources.begin_create_or_update_by_id(resource_id, api_version=version, parameters=body).result()


def _refused(resources, resource_id, version, body, code, target, method="put"):
    call = resources.resources.begin_create_or_update_by_id if method == "put" else resources.resources.begin_update_by_id
    with pytest.raises(HttpResponseError) as info:
        call(resource_id, api_version=version, parameters=body).result()
    assert info.value.status_code == 400
    assert info.value.error.code == code, info.value.message
    assert target in [d.target for d in info.value.error.details], info.value.message
    return info.value


RULE = {"protocol": "Tcp", "access": "Allow", "priority": 200, "direction": "Inbound", "sourcePortRange": "*",
        "destinationPortRange": "443", "sourceAddressPrefix": "*", "destinationAddressPrefix": "*"}


def test_missing_required_properties_are_refused(emu, resources, group):
    ids = _ids(emu, group)
    _put(resources, ids["nsg"], NET, {"location": "westeurope"})
    rule = {k: v for k, v in RULE.items() if k != "access"}
    _refused(resources, ids["nsg"] + "/securityRules/r1", NET, {"properties": rule}, "InvalidRequestContent", "properties.access")
    # SecurityRulePropertiesFormat.required holds inside an NSG PUT too
    _refused(resources, ids["nsg"], NET, {"location": "westeurope", "properties": {"securityRules": [{"name": "r1", "properties": rule}]}},
             "InvalidRequestContent", "properties.securityRules[0].properties.access")
    # Workspace: TrackedResource.location (common-types v5) and Identity.type
    _refused(resources, ids["ws"], LA, {"properties": {"retentionInDays": 30}}, "InvalidRequestContent", "location")
    _refused(resources, ids["ws"], LA, {"location": "westeurope", "identity": {}}, "InvalidRequestContent", "identity.type")
    _refused(resources, ids["ws"], LA, {"location": "westeurope", "properties": {"sku": {"capacityReservationLevel": 100}}},
             "InvalidRequestContent", "properties.sku.name")
    # VNet: VirtualNetworkEncryption.enabled
    _refused(resources, ids["vnet"], NET, {"location": "westeurope", "properties": {
        "addressSpace": {"addressPrefixes": ["10.9.0.0/16"]}, "encryption": {"enforcement": "AllowUnencrypted"}}},
        "InvalidRequestContent", "properties.encryption.enabled")


def test_values_outside_a_non_extensible_enum_are_refused(emu, resources, group):
    ids = _ids(emu, group)
    error = _refused(resources, ids["ws"], LA, {"location": "westeurope", "identity": {"type": "Bogus"}},
                     "InvalidRequestContent", "identity.type")
    assert "SystemAssigned, UserAssigned, None" in error.message
    _put(resources, ids["ws"], LA, {"location": "westeurope"})
    _refused(resources, ids["ws"], LA, {"identity": {"type": "Everything"}}, "InvalidRequestContent", "identity.type", method="patch")
    # enums compare case-insensitively, as the RPs' deserializers do
    assert _put(resources, ids["ws"], LA, {"location": "westeurope", "identity": {"type": "none"}}).location == "westeurope"


def test_wrong_types_are_refused(emu, resources, group):
    ids = _ids(emu, group)
    _put(resources, ids["nsg"], NET, {"location": "westeurope"})
    error = _refused(resources, ids["nsg"] + "/securityRules/r1", NET, {"properties": dict(RULE, priority="high")},
                     "InvalidRequestFormat", "properties.priority")
    assert "Cannot parse the request." in error.message
    _refused(resources, ids["ws"], LA, {"location": "westeurope", "properties": {"retentionInDays": "thirty"}},
             "InvalidRequestContent", "properties.retentionInDays")


def test_values_out_of_range_are_refused(emu, resources, group):
    ids = _ids(emu, group)
    _put(resources, ids["ws"], LA, {"location": "westeurope"})
    table = ids["ws"] + "/tables/AzureActivity"
    for body, target in (({"retentionInDays": 3}, "properties.retentionInDays"), ({"retentionInDays": 731}, "properties.retentionInDays"),
                         ({"totalRetentionInDays": 4384}, "properties.totalRetentionInDays")):
        _refused(resources, table, LA, {"properties": body}, "InvalidRequestContent", target, method="patch")
    # -1 is allowed by the spec's own text ("Setting this property to -1 will default to ...")
    assert resources.resources.begin_update_by_id(table, api_version=LA, parameters={"properties": {"totalRetentionInDays": -1}}).result()
    # VNet: a route's ECMP next hop needs 2-64 addresses (RouteNextHopEcmp.minItems)
    route = {"name": "r", "properties": {"nextHopType": "VirtualApplianceEcmp", "nextHop": {"nextHopIpAddresses": ["10.9.0.4"]}}}
    _refused(resources, ids["vnet"], NET, {"location": "westeurope", "properties": {
        "addressSpace": {"addressPrefixes": ["10.9.0.0/16"]},
        "subnets": [{"name": "s1", "properties": {"addressPrefix": "10.9.0.0/24", "routeTable": {"properties": {"routes": [route]}}}}]}},
        "InvalidRequestContent", "properties.subnets[0].properties.routeTable.properties.routes[0].properties.nextHop.nextHopIpAddresses")


def test_patterns_are_checked():
    """None of the vendored bodies has a pattern (see docs); the rule runs on the common-types v5 one."""
    from tools.arm_emulator.openapi import Operation, Validator  # pylint: disable=import-outside-toplevel
    validator = Validator()
    op = Operation("microsoft.test", "v5", "PUT", "/x", None,
                   {"$ref": "#/definitions/ResourceModelWithAllowedPropertySet"}, "common-types/resource-management/v5/types.json")
    found = validator.validate(op, {"location": "westeurope", "kind": "bad kind!"})
    assert [(v.rule, v.target) for v in found] == [("pattern", "kind")]
    assert validator.validate(op, {"location": "westeurope", "kind": "Api_App-1"}) == []


def test_extensible_enums_read_only_and_unknown_properties_pass(emu, resources, group):
    ids = _ids(emu, group)
    ws = _put(resources, ids["ws"], LA, {"location": "westeurope", "properties": {
        "publicNetworkAccessForIngestion": "SomethingNew",        # PublicNetworkAccessType: modelAsString true
        "customerId": "not-a-guid", "provisioningState": "Bogus",  # read-only: ignored
        "futureSetting": {"x": 1}}})                               # unknown: not refused (docs)
    assert ws.properties["publicNetworkAccessForIngestion"] == "SomethingNew"
    table = resources.resources.begin_update_by_id(ids["ws"] + "/tables/AzureActivity", api_version=LA,
                                                   parameters={"properties": {"plan": "Premium", "retentionInDays": 60}}).result()
    assert table.properties["retentionInDays"] == 60
    vnet = _put(resources, ids["vnet"], NET, {"location": "westeurope", "etag": 'W/"x"', "properties": {
        "addressSpace": {"addressPrefixes": ["10.9.0.0/16"]}, "provisioningState": "Failed", "resourceGuid": 42,
        "subnets": [{"name": "s1", "properties": {"addressPrefix": "10.9.0.0/24", "sharingScope": "SomeScope"}}]}})
    assert vnet.properties["provisioningState"] == "Succeeded"


def test_api_versions_without_a_vendored_spec_are_not_checked(emu, resources, group):
    ids = _ids(emu, group)
    ws = _put(resources, ids["ws"], "2023-09-01", {"location": "westeurope", "identity": {"type": "Bogus"}})
    assert ws.location == "westeurope"


def test_the_sdk_bodies_pass(emu, network, group):
    from azure.mgmt.network.models import NetworkSecurityGroup, SecurityRule  # pylint: disable=import-outside-toplevel
    rule = SecurityRule(name="https", protocol="Tcp", access="Allow", priority=100, direction="Inbound", source_port_range="*",
                        destination_port_range="443", source_address_prefix="*", destination_address_prefix="*")
    nsg = network.network_security_groups.begin_create_or_update(
        group, "nsg-sdk", NetworkSecurityGroup(location="westeurope", security_rules=[rule])).result()
    assert [r.name for r in nsg.security_rules] == ["https"]
    assert network.network_security_groups.update_tags(group, "nsg-sdk", {"tags": {"a": "b"}}).tags == {"a": "b"}
