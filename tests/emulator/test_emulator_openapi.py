"""Request bodies are checked against the vendored OpenAPI excerpts of the api-version they carry.

Each kind of refusal (required, non-extensible enum, type, range, pattern, unknown property, read-only
property with a value), in every vendored namespace, and what passes (extensible enums, null read-only
values, api-versions without a vendored spec, a namespace switched back to accepting unknown and
read-only properties). Every refusal is asserted with its code and the JSON path in `details`, which the
providers' own checks do not give: with the validator off, these tests fail.
Rules, codes and their sources: docs/emulator.md, "Request bodies checked against the spec".
"""
from __future__ import annotations

import uuid

import pytest
from azure.core.exceptions import HttpResponseError

NET, LA = "2026-03-01", "2025-07-01"
RG, DNS, KV, AUTHZ = "2025-04-01", "2024-06-01", "2026-05-15", "2022-04-01"
OWNER = "8e3af657-a8ff-443c-a75c-2fe8c4bcb635"


def _ids(emu, group):
    base = f"/subscriptions/{emu.subscription_id}/resourceGroups/{group}/providers"
    return {"nsg": f"{base}/Microsoft.Network/networkSecurityGroups/nsg-1",
            "vnet": f"{base}/Microsoft.Network/virtualNetworks/vnet-1",
            "ws": f"{base}/Microsoft.OperationalInsights/workspaces/ws-openapi",
            "rg": f"/subscriptions/{emu.subscription_id}/resourceGroups/{group}",
            "zone": f"{base}/Microsoft.Network/privateDnsZones/privatelink.openapi.example",
            "kv": f"{base}/Microsoft.KeyVault/vaults/kv-openapi-{group[3:]}",
            "ra": f"/subscriptions/{emu.subscription_id}/resourceGroups/{group}/providers/Microsoft.Authorization/roleAssignments/"
                  f"{uuid.uuid4()}"}


def _vault(emu, **props):
    return {"location": "westeurope", "properties": dict({"tenantId": emu.tenant_id, "sku": {"family": "A", "name": "standard"}}, **props)}


def _assignment(emu, **props):
    definition = f"/subscriptions/{emu.subscription_id}/providers/Microsoft.Authorization/roleDefinitions/{OWNER}"
    return {"properties": dict({"roleDefinitionId": definition, "principalId": emu.object_id, "principalType": "ServicePrincipal"},
                               **props)}


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
    """The rule on the common-types v5 pattern (PostgreSQL database charset: test_emulator_openapi_postgresql.py)."""
    from tools.arm_emulator.openapi import Operation, Validator  # pylint: disable=import-outside-toplevel
    validator = Validator()
    op = Operation("microsoft.test", "v5", "PUT", "/x", None,
                   {"$ref": "#/definitions/ResourceModelWithAllowedPropertySet"}, "common-types/resource-management/v5/types.json")
    found = validator.validate(op, {"location": "westeurope", "kind": "bad kind!"})
    assert [(v.rule, v.target) for v in found] == [("pattern", "kind")]
    assert validator.validate(op, {"location": "westeurope", "kind": "Api_App-1"}) == []


def test_extensible_enums_and_null_read_only_values_pass(emu, resources, group):
    ids = _ids(emu, group)
    ws = _put(resources, ids["ws"], LA, {"location": "westeurope", "properties": {
        "publicNetworkAccessForIngestion": "SomethingNew",   # PublicNetworkAccessType: modelAsString true
        "customerId": None}})                                 # null counts as "not set", also for read-only properties
    assert ws.properties["publicNetworkAccessForIngestion"] == "SomethingNew"
    table = resources.resources.begin_update_by_id(ids["ws"] + "/tables/AzureActivity", api_version=LA,
                                                   parameters={"properties": {"plan": "Premium", "retentionInDays": 60}}).result()
    assert table.properties["retentionInDays"] == 60
    vnet = _put(resources, ids["vnet"], NET, {"location": "westeurope", "properties": {
        "addressSpace": {"addressPrefixes": ["10.9.0.0/16"]},
        "subnets": [{"name": "s1", "properties": {"addressPrefix": "10.9.0.0/24", "sharingScope": "SomeScope"}}]}})
    assert vnet.properties["provisioningState"] == "Succeeded"
    # Key Vault: SkuFamily and NetworkRuleAction are extensible; role assignments: PrincipalType is extensible
    # (the emulator's own provider still answers InvalidPrincipalType for types it does not know)
    acls = {"defaultAction": "Deny", "bypass": "AzureServices", "ipRules": [{"value": "203.0.113.7"}]}
    vault = _put(resources, ids["kv"], KV, _vault(emu, networkAcls=acls))
    assert vault.properties["sku"]["name"] == "standard"


def test_unknown_properties_are_refused(emu, resources, group):
    ids = _ids(emu, group)
    _put(resources, ids["nsg"], NET, {"location": "westeurope"})
    error = _refused(resources, ids["nsg"] + "/securityRules/r1", NET, {"properties": dict(RULE, sourcePorts="*")},
                     "InvalidRequestContent", "properties.sourcePorts")
    assert "Could not find member 'sourcePorts'" in error.message
    _refused(resources, ids["ws"], LA, {"location": "westeurope", "properties": {"futureSetting": {"x": 1}}},
             "InvalidRequestContent", "properties.futureSetting")
    # a top-level member beside the ARM envelope, and one inside the nested properties
    _refused(resources, ids["rg"], RG, {"location": "westeurope", "resources": []}, "InvalidRequestContent", "resources")
    _refused(resources, ids["zone"] + "/virtualNetworkLinks/link-1", DNS, {"location": "global", "properties": {
        "virtualNetwork": {"id": ids["vnet"]}, "registrationEnabled": False, "autoRegistration": True}},
        "InvalidRequestContent", "properties.autoRegistration")
    _refused(resources, ids["kv"], KV, _vault(emu, enableMagic=True), "InvalidRequestContent", "properties.enableMagic")
    _refused(resources, ids["ra"], AUTHZ, _assignment(emu, expiresOn="2030-01-01"), "InvalidRequestContent",
             "properties.expiresOn")


def test_read_only_properties_with_a_value_are_refused(emu, resources, group):
    ids = _ids(emu, group)
    # Log Analytics: the code Azure answered for a read-only value there (docs)
    error = _refused(resources, ids["ws"], LA, {"location": "westeurope", "properties": {"customerId": "not-a-guid"}},
                     "InvalidParameter", "properties.customerId")
    assert error.error.message == "'properties.customerId' is a read only property and cannot be set."
    _refused(resources, ids["vnet"], NET, {"location": "westeurope", "etag": 'W/"x"', "properties": {
        "addressSpace": {"addressPrefixes": ["10.9.0.0/16"]}, "provisioningState": "Failed"}}, "InvalidRequestContent", "etag")
    _refused(resources, ids["rg"], RG, {"tags": {"a": "b"}, "properties": {"provisioningState": "Succeeded"}},
             "InvalidRequestContent", "properties.provisioningState", method="patch")
    _refused(resources, ids["zone"], DNS, {"location": "global", "properties": {"numberOfRecordSets": 1}},
             "InvalidRequestContent", "properties.numberOfRecordSets")
    _refused(resources, ids["zone"] + "/virtualNetworkLinks/link-1", DNS, {"location": "global", "properties": {
        "virtualNetwork": {"id": ids["vnet"]}, "virtualNetworkLinkState": "Completed"}},
        "InvalidRequestContent", "properties.virtualNetworkLinkState")
    _refused(resources, ids["kv"], KV, _vault(emu, hsmPoolResourceId="/x"), "InvalidRequestContent", "properties.hsmPoolResourceId")
    _refused(resources, ids["ra"], AUTHZ, _assignment(emu, scope=ids["rg"]), "InvalidRequestContent", "properties.scope")


def test_key_vault_and_role_assignment_bodies_follow_their_specs(emu, resources, group):
    ids = _ids(emu, group)
    # Key Vault 2026-05-15: SkuName and CreateMode are not extensible; Sku, IPRule, VirtualNetworkRule require members
    error = _refused(resources, ids["kv"], KV, _vault(emu, sku={"family": "A", "name": "gold"}), "InvalidRequestContent",
                     "properties.sku.name")
    assert "standard, premium" in error.message
    _refused(resources, ids["kv"], KV, _vault(emu, createMode="restore"), "InvalidRequestContent", "properties.createMode")
    _refused(resources, ids["kv"], KV, _vault(emu, sku={"name": "standard"}), "InvalidRequestContent", "properties.sku.family")
    _refused(resources, ids["kv"], KV, _vault(emu, networkAcls={"ipRules": [{}], "virtualNetworkRules": [{"ignoreMissingVnetServiceEndpoint": True}]}),
             "InvalidRequestContent", "properties.networkAcls.virtualNetworkRules[0].id")
    _refused(resources, ids["kv"], KV, {"location": "westeurope"}, "InvalidRequestContent", "properties")
    _refused(resources, ids["kv"], KV, _vault(emu, softDeleteRetentionInDays="ninety"), "InvalidRequestContent",
             "properties.softDeleteRetentionInDays")
    # Role assignments 2022-04-01, at any scope: roleDefinitionId and principalId are required
    _refused(resources, ids["ra"], AUTHZ, {"properties": {"roleDefinitionId": _assignment(emu)["properties"]["roleDefinitionId"]}},
             "InvalidRequestContent", "properties.principalId")
    sub_scope = f"/subscriptions/{emu.subscription_id}/providers/Microsoft.Authorization/roleAssignments/{uuid.uuid4()}"
    _refused(resources, sub_scope, AUTHZ, {}, "InvalidRequestContent", "properties")
    # Resource groups 2025-04-01 require a location; private DNS links take a boolean
    _refused(resources, f"/subscriptions/{emu.subscription_id}/resourceGroups/rg-{uuid.uuid4().hex[:8]}", RG, {"tags": {}},
             "InvalidRequestContent", "location")
    _refused(resources, ids["zone"] + "/virtualNetworkLinks/link-1", DNS, {"location": "global", "properties": {
        "virtualNetwork": {"id": ids["vnet"]}, "registrationEnabled": "yes"}}, "InvalidRequestContent", "properties.registrationEnabled")


def test_a_namespace_can_be_switched_back_to_accepting_unknown_and_read_only_properties(monkeypatch):
    from tools.arm_emulator import openapi  # pylint: disable=import-outside-toplevel
    validator = openapi.Validator()
    op = validator.find("PUT", "/subscriptions/s/resourceGroups/rg", RG)
    body = {"location": "westeurope", "id": "/x", "futureSetting": 1}
    assert [(v.rule, v.target) for v in validator.validate(op, body)] == [("readonly", "id"), ("unknown", "futureSetting")]
    monkeypatch.setitem(openapi.POLICY_BY_NAMESPACE, "microsoft.resources", {"unknown": "ignore", "readonly": "ignore"})
    assert validator.validate(op, body) == []
    assert openapi.policy("Microsoft.Network", "unknown") == "refuse"


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
