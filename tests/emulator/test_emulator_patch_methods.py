"""A PATCH of a path whose vendored spec (that api-version) has a PUT but no PATCH is refused with 405 before any provider
runs; a PATCH the spec has is checked against its body (the storage account's StorageAccounts_Update, the container's
BlobContainers_Update). Through azure-mgmt-resource's generic operations (`begin_update_by_id` sends a PATCH).
Sources: docs/emulator.md, "Errors" and "Request bodies checked against the spec"; tools/arm_emulator/specs/README.md.
"""
from __future__ import annotations

import uuid

import pytest
from azure.core.exceptions import HttpResponseError

NET, EVH, STORAGE, AUTHZ = "2026-03-01", "2026-01-01", "2026-09-01", "2022-04-01"
NO_PATCH = "The requested resource does not support http method 'PATCH'."


def _base(emu, group):
    return f"/subscriptions/{emu.subscription_id}/resourceGroups/{group}/providers"


def _put(resources, rid, version, body):
    return resources.resources.begin_create_or_update_by_id(rid, api_version=version, parameters=body).result()


def _patch(resources, rid, version, body):
    return resources.resources.begin_update_by_id(rid, api_version=version, parameters=body).result()


def _no_patch(resources, rid, version, body=None):
    with pytest.raises(HttpResponseError) as info:
        _patch(resources, rid, version, body if body is not None else {"tags": {"env": "dev"}})
    assert info.value.status_code == 405, info.value.message
    assert info.value.error.code == "MethodNotAllowed"
    assert info.value.error.message == NO_PATCH


def test_a_patch_of_a_subnet_an_event_hub_a_peering_and_a_role_assignment_is_refused(emu, resources, group):
    vnet = f"{_base(emu, group)}/Microsoft.Network/virtualNetworks/vnet-patch"
    _put(resources, vnet, NET, {"location": "westeurope", "properties": {
        "addressSpace": {"addressPrefixes": ["10.50.0.0/16"]},
        "subnets": [{"name": "snet-a", "properties": {"addressPrefix": "10.50.1.0/24"}}]}})
    other = f"{_base(emu, group)}/Microsoft.Network/virtualNetworks/vnet-patch-b"
    _put(resources, other, NET, {"location": "westeurope", "properties": {"addressSpace": {"addressPrefixes": ["10.51.0.0/16"]}}})
    peering = f"{vnet}/virtualNetworkPeerings/to-b"
    _put(resources, peering, NET, {"properties": {"remoteVirtualNetwork": {"id": other}, "allowVirtualNetworkAccess": True}})

    _no_patch(resources, f"{vnet}/subnets/snet-a", NET, {"properties": {"addressPrefix": "10.50.2.0/24"}})
    _no_patch(resources, peering, NET, {"properties": {"allowForwardedTraffic": True}})
    # refused before the provider runs: a body the provider would refuse, a subnet that does not exist, still 405
    _no_patch(resources, f"{vnet}/subnets/none", NET, {"properties": {"addressPrefix": "not-a-prefix"}})
    nsg = f"{_base(emu, group)}/Microsoft.Network/networkSecurityGroups/nsg-patch"
    _no_patch(resources, f"{nsg}/securityRules/r1", NET)
    _no_patch(resources, f"{_base(emu, group)}/Microsoft.Network/privateEndpoints/pe-patch", NET)
    # nothing was changed by the refused PATCHes
    subnet = resources.resources.get_by_id(f"{vnet}/subnets/snet-a", api_version=NET)
    assert subnet.properties["addressPrefix"] == "10.50.1.0/24"
    assert resources.resources.get_by_id(peering, api_version=NET).properties.get("allowForwardedTraffic") in (None, False)

    ns = f"{_base(emu, group)}/Microsoft.EventHub/namespaces/evhns-patch-1"
    _put(resources, ns, EVH, {"location": "westeurope", "sku": {"name": "Standard", "capacity": 1}})
    _put(resources, f"{ns}/eventhubs/hub-1", EVH, {"properties": {}})
    _no_patch(resources, f"{ns}/eventhubs/hub-1", EVH, {"properties": {"messageRetentionInDays": 3}})
    _no_patch(resources, f"{ns}/eventhubs/hub-1/consumergroups/$Default", EVH, {"properties": {"userMetadata": "x"}})
    assert _patch(resources, ns, EVH, {"location": "westeurope", "tags": {"env": "dev"}}).tags == {"env": "dev"}  # EHNamespace has one

    # role assignments (an extension resource arm.dispatch hands to its own handler) and a budget
    scope = f"/subscriptions/{emu.subscription_id}/resourceGroups/{group}"
    _no_patch(resources, f"{scope}/providers/Microsoft.Authorization/roleAssignments/{uuid.uuid4()}", AUTHZ,
              {"properties": {"description": "x"}})
    _no_patch(resources, f"{scope}/providers/Microsoft.Consumption/budgets/budget-patch", "2026-06-01")


def test_paths_and_api_versions_not_vendored_are_not_refused(emu, resources, group):
    vnet = f"{_base(emu, group)}/Microsoft.Network/virtualNetworks/vnet-old"
    _put(resources, vnet, NET, {"location": "westeurope", "properties": {
        "addressSpace": {"addressPrefixes": ["10.60.0.0/16"]},
        "subnets": [{"name": "snet-a", "properties": {"addressPrefix": "10.60.1.0/24"}}]}})
    # another api-version: no vendored spec, so no 405 from the rule (the provider answers as before)
    try:
        _patch(resources, f"{vnet}/subnets/snet-a", "2024-05-01", {"tags": {"env": "dev"}})
    except HttpResponseError as err:
        assert err.status_code != 405 or err.error.message != NO_PATCH, err.message
    # the VNet's own PATCH is in the spec (VirtualNetworks_UpdateTags)
    assert _patch(resources, vnet, NET, {"tags": {"env": "dev"}}).tags == {"env": "dev"}


def test_a_storage_account_tags_patch_is_checked_against_storage_account_update_parameters(emu, resources, group):
    account = f"{_base(emu, group)}/Microsoft.Storage/storageAccounts/stpatchemu1"
    _put(resources, account, STORAGE, {"location": "westeurope", "sku": {"name": "Standard_LRS"}, "kind": "StorageV2",
                                       "properties": {"minimumTlsVersion": "TLS1_2", "allowBlobPublicAccess": False}})
    # what storage_account sends for a tags-only change (plugins/module_utils/_azure/storage_account.py)
    assert _patch(resources, account, STORAGE, {"tags": {"env": "dev"}}).tags == {"env": "dev"}
    for body, rule, target in (({"properties": {"bogus": True}}, "unknown", "properties.bogus"),
                               ({"properties": {"supportsHttpsTrafficOnly": "yes"}}, "type", "properties.supportsHttpsTrafficOnly"),
                               ({"location": "northeurope"}, "unknown", "location"),   # not in StorageAccountUpdateParameters
                               ({"properties": {"primaryLocation": "westeurope"}}, "unknown", "properties.primaryLocation"),
                               ({"sku": {}}, "required", "sku.name"),
                               ({"properties": {"azureFilesIdentityBasedAuthentication": {}}}, "required",
                                "properties.azureFilesIdentityBasedAuthentication.directoryServiceOptions")):
        with pytest.raises(HttpResponseError) as info:
            _patch(resources, account, STORAGE, body)
        assert info.value.status_code == 400 and info.value.error.code == "InvalidRequestContent", (rule, info.value.message)
        assert target in [d.target for d in info.value.error.details], (rule, info.value.message)
    assert resources.resources.get_by_id(account, api_version=STORAGE).tags == {"env": "dev"}

    # a container's PATCH (BlobContainers_Update, body BlobContainer) is checked too; the blob service and the
    # immutability policy have no PATCH at 2026-09-01
    container = f"{account}/blobServices/default/containers/data"
    _put(resources, container, STORAGE, {"properties": {"publicAccess": "None"}})
    with pytest.raises(HttpResponseError) as info:
        _patch(resources, container, STORAGE, {"properties": {"publicAccess": "None", "bogus": 1}})
    assert info.value.status_code == 400 and "properties.bogus" in [d.target for d in info.value.error.details]
    _patch(resources, container, STORAGE, {"properties": {"metadata": {"owner": "data"}}})
    stored = resources.resources.get_by_id(container, api_version=STORAGE).properties
    assert stored["metadata"] == {"owner": "data"} and stored["publicAccess"] == "None"   # merged, not ignored
    with pytest.raises(HttpResponseError, match="PublicAccessNotPermitted"):   # the create's check holds
        _patch(resources, container, STORAGE, {"properties": {"publicAccess": "Blob"}})
    _no_patch(resources, f"{account}/blobServices/default", STORAGE, {"properties": {}})
    _no_patch(resources, f"{container}/immutabilityPolicies/default", STORAGE,
              {"properties": {"immutabilityPeriodSinceCreationInDays": 3}})
