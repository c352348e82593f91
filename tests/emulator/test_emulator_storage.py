"""Microsoft.Storage in the emulator: accounts, blob service, containers and their immutability policies, through ARM's
generic resource operations (azure-mgmt-resource) and raw POSTs for the policy actions (lock, extend)."""
from __future__ import annotations

import pytest
from azure.core.exceptions import HttpResponseError
from azure.core.rest import HttpRequest

API = "2026-09-01"
ACCOUNT = {"location": "westeurope", "sku": {"name": "Standard_LRS"}, "kind": "StorageV2",
           "properties": {"minimumTlsVersion": "TLS1_2", "allowBlobPublicAccess": False, "allowSharedKeyAccess": False,
                          "publicNetworkAccess": "Disabled"}}


def _account(emu, group, name):
    return f"/subscriptions/{emu.subscription_id}/resourceGroups/{group}/providers/Microsoft.Storage/storageAccounts/{name}"


def _put(resources, rid, body):
    return resources.resources.begin_create_or_update_by_id(rid, api_version=API, parameters=body).result()


def _post(emu, resources, url, body=None, etag=None, method="POST"):
    request = HttpRequest(method, f"{emu.url}{url}?api-version={API}", json=body, headers={"If-Match": etag} if etag else {})
    response = resources._client.send_request(request)   # pylint: disable=protected-access
    return response.status_code, response.json() if response.text() else None


def test_account_names_and_bodies_follow_the_spec(emu, resources, group):
    rid = _account(emu, group, "stemuspec1")
    created = _put(resources, rid, dict(ACCOUNT, tags={"k" * 128: "v" * 256}))
    assert created.sku.name == "Standard_LRS" and created.sku.tier == "Standard" and created.kind == "StorageV2"
    assert created.properties["supportsHttpsTrafficOnly"] is True and created.properties["allowSharedKeyAccess"] is False
    with pytest.raises(HttpResponseError, match="AccountNameInvalid"):
        _put(resources, _account(emu, group, "St-Bad"), ACCOUNT)
    other = f"rg-other-{group[3:]}"
    resources.resource_groups.create_or_update(other, {"location": "westeurope"})
    try:
        with pytest.raises(HttpResponseError, match="StorageAccountInAnotherResourceGroup"):
            _put(resources, _account(emu, other, "stemuspec1"), ACCOUNT)
    finally:
        resources.resource_groups.begin_delete(other).result()
    for body, why in ((dict(ACCOUNT, properties={"minimumTlsVersion": "TLS1_3"}), "not supported"),
                      (dict(ACCOUNT, tags={"k" * 129: "v"}), "InvalidTagNameCharacters"),   # 128 for storage (tag-resources)
                      (dict(ACCOUNT, tags={"cost\tcenter": "v"}), "InvalidTagNameCharacters"),   # a control character
                      (dict(ACCOUNT, tags={"k": "v" * 257}), "InvalidTagValueLength"),
                      (dict(ACCOUNT, properties={"publicAccess": "Blob"}), "Could not find member 'publicAccess'"),
                      ({k: v for k, v in ACCOUNT.items() if k != "kind"}, "'kind' is missing")):
        with pytest.raises(HttpResponseError, match=why):
            _put(resources, rid, body)
    with pytest.raises(HttpResponseError, match="out of range 1 to 365"):
        _put(resources, rid + "/blobServices/default", {"properties": {"deleteRetentionPolicy": {"enabled": True, "days": 400}}})
    service = _put(resources, rid + "/blobServices/default", {"properties": {"isVersioningEnabled": True,
                   "deleteRetentionPolicy": {"enabled": True, "days": 30}}})
    assert service.properties["isVersioningEnabled"] is True and service.properties["containerDeleteRetentionPolicy"] == {"enabled": False}
    with pytest.raises(HttpResponseError, match="PublicAccessNotPermitted"):
        _put(resources, rid + "/blobServices/default/containers/public", {"properties": {"publicAccess": "Blob"}})


def test_a_locked_policy_is_only_extended_and_keeps_its_container_and_account(emu, resources, group):
    rid = _account(emu, group, "stemulock1")
    _put(resources, rid, ACCOUNT)
    container = rid + "/blobServices/default/containers/audit"
    policy = container + "/immutabilityPolicies/default"
    _put(resources, container, {"properties": {"publicAccess": "None"}})
    with pytest.raises(HttpResponseError, match="out of range"):
        _put(resources, policy, {"properties": {"immutabilityPeriodSinceCreationInDays": 146001}})
    doc = _put(resources, policy, {"properties": {"immutabilityPeriodSinceCreationInDays": 2556}})
    assert doc.properties["state"] == "Unlocked"
    etag = _post(emu, resources, policy, method="GET")[1]["etag"]
    refused = {"code": "ContainerImmutabilityPolicyFailure", "message": "Operation not allowed on immutability policy with incorrect etag."}
    for etag_sent in (None, '"stale"'):   # If-Match is required: Azure answers a missing one as a wrong one
        status, answer = _post(emu, resources, policy + "/lock", etag=etag_sent)
        assert (status, answer["error"]) == (412, refused)
    status, locked = _post(emu, resources, policy + "/lock", etag=etag)
    assert status == 200 and locked["properties"]["state"] == "Locked"
    seen = resources.resources.get_by_id(container, api_version=API).properties
    assert seen["hasImmutabilityPolicy"] and seen["immutabilityPolicy"]["properties"]["state"] == "Locked"
    with pytest.raises(HttpResponseError, match="only action allowed"):
        _put(resources, policy, {"properties": {"immutabilityPeriodSinceCreationInDays": 30}})
    extend = {"properties": {"immutabilityPeriodSinceCreationInDays": 2000}}
    assert _post(emu, resources, policy + "/extend", extend, locked["etag"])[0] == 400   # shorter: refused
    status, longer = _post(emu, resources, policy + "/extend", {"properties": {"immutabilityPeriodSinceCreationInDays": 2922}}, locked["etag"])
    assert status == 200 and longer["properties"]["immutabilityPeriodSinceCreationInDays"] == 2922
    for target in (policy, container, rid):
        with pytest.raises(HttpResponseError, match="locked") as refused:
            resources.resources.begin_delete_by_id(target, api_version=API).result()
    # The account's: Azure's code and message (azure-powershell#26148).
    assert refused.value.error.code == "AccountProtectedFromDeletion"
    assert "stemulock1 is protected from deletion. The container(s) audit have a locked immutability policy." in refused.value.message


def test_a_group_holding_a_locked_account_loses_the_rest_and_its_delete_fails_blocked(emu, resources, group):
    locked_account, other_account = _account(emu, group, "stemugrp1"), _account(emu, group, "stemugrp2")
    for rid in (locked_account, other_account):
        _put(resources, rid, ACCOUNT)
        _put(resources, rid + "/blobServices/default/containers/audit", {"properties": {"publicAccess": "None"}})
    policy = locked_account + "/blobServices/default/containers/audit/immutabilityPolicies/default"
    _put(resources, policy, {"properties": {"immutabilityPeriodSinceCreationInDays": 2556}})
    etag = _post(emu, resources, policy, method="GET")[1]["etag"]
    assert _post(emu, resources, policy + "/lock", etag=etag)[0] == 200

    with pytest.raises(HttpResponseError) as failure:
        resources.resource_groups.begin_delete(group).result()
    assert failure.value.error.code == "ResourceGroupDeletionBlocked"
    assert (f"Deletion of resource group '{group}' failed as resources with identifiers "
            "'Microsoft.Storage/storageAccounts/stemugrp1' could not be deleted. The provisioning state of the resource "
            "group will be rolled back.") in failure.value.message
    assert [d.target for d in failure.value.error.details] == [locked_account]
    # The rest went; the locked account, its container and policy stay, and the group is as before the delete.
    assert resources.resource_groups.get(group).properties.provisioning_state == "Succeeded"
    accounts = resources.resources.list_by_resource_group(group, filter="resourceType eq 'Microsoft.Storage/storageAccounts'")
    assert [r.id for r in accounts] == [locked_account]
    assert resources.resources.get_by_id(policy, api_version=API).properties["state"] == "Locked"
    with pytest.raises(HttpResponseError, match="ResourceNotFound"):
        resources.resources.get_by_id(other_account, api_version=API)
    # A write into the group works again (it is no longer being deleted).
    _put(resources, other_account, ACCOUNT)


def test_an_account_put_replaces_its_properties_and_answers_azures_defaults(emu, resources, group):
    rid = _account(emu, group, "stemureplace1")
    firewalled = dict(ACCOUNT, properties=dict(ACCOUNT["properties"], networkAcls={
        "bypass": "None", "defaultAction": "Deny", "ipRules": [{"value": "203.0.113.7", "action": "Allow"}], "virtualNetworkRules": []}))
    created = _put(resources, rid, firewalled).properties
    blob = created["encryption"]["services"]["blob"]
    assert created["encryption"]["keySource"] == "Microsoft.Storage" and blob["enabled"] and blob["lastEnabledTime"]
    assert created["networkAcls"]["defaultAction"] == "Deny"
    # lastEnabledTime is read-only (EncryptionService, 2026-09-01): sent back as read, it is refused
    with pytest.raises(HttpResponseError, match="lastEnabledTime' is a read only property"):
        _put(resources, rid, dict(firewalled, properties=dict(firewalled["properties"], encryption=created["encryption"])))
    # a PUT that leaves the firewall out puts it back to allowing every network (the stricter reading)
    reset = _put(resources, rid, ACCOUNT).properties
    assert reset["networkAcls"]["defaultAction"] == "Allow" and reset["networkAcls"]["ipRules"] == []
    assert reset["encryption"]["services"]["blob"]["lastEnabledTime"] == blob["lastEnabledTime"]


def test_an_account_patch_changes_only_what_it_gives(emu, resources, group):
    rid = _account(emu, group, "stemupatch1")
    _put(resources, rid, dict(ACCOUNT, tags={"Owner": "platform"}))
    firewall = {"bypass": "None", "defaultAction": "Deny", "ipRules": [], "virtualNetworkRules": []}
    status, patched = _post(emu, resources, rid, {"properties": {"networkAcls": firewall}, "sku": {"name": "Standard_GRS"}},
                            method="PATCH")
    assert status == 200 and patched["properties"]["networkAcls"] == firewall and patched["sku"]["name"] == "Standard_GRS"
    assert patched["tags"] == {"Owner": "platform"} and patched["properties"]["minimumTlsVersion"] == "TLS1_2"
    status, refused = _post(emu, resources, rid, {"properties": {"minimumTlsVersion": "TLS1_3"}}, method="PATCH")
    assert status == 400 and refused["error"] == {"code": "FeatureNotSupported", "message": "Feature MinimumTlsVersion 1.3 is not supported."}
