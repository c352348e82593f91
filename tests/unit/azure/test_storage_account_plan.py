"""Storage account plans for what the contract test cannot reach: a locked immutability policy (only lengthened, by
POST .../extend; never shortened or unlocked), the lock itself, and an unchanged account sending nothing."""
from __future__ import annotations

import pytest

from ansible_collections.complianceflow.infra.plugins.module_utils._azure.ids import ResourceId
from ansible_collections.complianceflow.infra.plugins.module_utils._azure.storage_account import (
    EXTEND, LOCK, StorageAccount, plan_storage, validate_storage)
from ansible_collections.complianceflow.infra.plugins.module_utils._azure.values import AzureInputError

RID = ResourceId.build("00000000-0000-0000-0000-000000000001", "rg-cf-westeu-prod-1", "Microsoft.Storage/storageAccounts",
                       "stcfwesteuprod1")
ACCOUNT = {"id": str(RID), "name": "stcfwesteuprod1", "location": "westeurope", "tags": {}, "kind": "StorageV2",
           "sku": {"name": "Standard_GRS", "tier": "Standard"},
           "properties": {"minimumTlsVersion": "TLS1_2", "allowSharedKeyAccess": False, "publicNetworkAccess": "Disabled"}}


def params(**over):
    base = {"resource_group": RID.resource_group, "name": RID.name, "location": "westeurope", "sku": "Standard_GRS",
            "minimum_tls_version": "TLS1_2", "allow_shared_key_access": False, "public_network_access": "Disabled",
            "containers": [{"name": "audit", "immutability_period_days": 2556, "immutability_locked": True}],
            "tags": None, "purge_tags": True}
    base.update(over)
    return base


def audit(days, state):
    return {"name": "audit", "properties": {"publicAccess": "None", "hasImmutabilityPolicy": True,
                                            "immutabilityPolicy": {"properties": {"immutabilityPeriodSinceCreationInDays": days, "state": state}}}}


def plan(p, containers):
    return plan_storage(ACCOUNT, {"containers": containers}, p, validate_storage(p), RID)


def test_an_unlocked_policy_is_set_then_locked_and_a_locked_one_is_left_alone():
    steps = plan(params(), [audit(30, "Unlocked")])
    assert steps.action == "none"   # the account already is as asked
    assert [(c.method, c.api) for c in steps.children][1:] == [("POST", LOCK)]
    assert steps.children[0].body == {"properties": {"immutabilityPeriodSinceCreationInDays": 2556}}
    assert not plan(params(), [audit(2556, "Locked")]).changed


def test_a_locked_policy_is_only_extended_never_shortened_or_unlocked():
    longer = plan(params(containers=[{"name": "audit", "immutability_period_days": 2922}]), [audit(2556, "Locked")])
    assert [(c.method, c.api, c.body) for c in longer.children] == [
        ("POST", EXTEND, {"properties": {"immutabilityPeriodSinceCreationInDays": 2922}})]
    with pytest.raises(AzureInputError, match="only be extended, never shortened"):
        plan(params(containers=[{"name": "audit", "immutability_period_days": 30}]), [audit(2556, "Locked")])
    with pytest.raises(AzureInputError, match="cannot unlock"):
        plan(params(containers=[{"name": "audit", "immutability_period_days": 2556, "immutability_locked": False}]),
             [audit(2556, "Locked")])


@pytest.mark.parametrize("over, message", [
    ({"containers": [{"name": "Audit"}]}, "'Audit' is not a container name"),
    ({"containers": [{"name": "audit", "immutability_locked": True}]}, "needs immutability_period_days"),
    ({"containers": [{"name": "audit", "immutability_period_days": 146001}]}, "out of range 1-146000"),
    ({"blob_service": {"delete_retention_days": 366}}, "1-365 days"),
])
def test_bad_values_are_refused_before_any_call(over, message):
    with pytest.raises(AzureInputError, match=message):
        validate_storage(params(**over))


def test_the_kind_is_never_changed_and_a_new_account_needs_a_sku():
    with pytest.raises(AzureInputError, match="does not change an account's kind"):
        plan(params(kind="BlobStorage"), [])
    with pytest.raises(AzureInputError, match="sku is needed"):
        plan_storage(None, {}, params(sku=None), [], RID)


def test_a_change_of_tags_alone_is_a_patch_of_the_tags_and_with_an_option_a_put_carrying_them():
    """The TAGS documentation: a tags-only change writes nothing else of the account."""
    steps = plan(params(tags={"CostCenter": "cf-platform"}), [audit(2556, "Locked")])
    assert (steps.action, steps.body) == ("tags", {"tags": {"CostCenter": "cf-platform"}})
    both = plan(params(tags={"CostCenter": "cf-platform"}, minimum_tls_version="TLS1_3"), [audit(2556, "Locked")])
    assert both.action == "put" and both.body["tags"] == {"CostCenter": "cf-platform"}
    assert both.body["properties"]["minimumTlsVersion"] == "TLS1_3"


def test_a_tag_name_over_128_characters_is_refused_for_a_storage_account():
    """Storage accounts limit tag names to 128 characters (Microsoft Learn, tag-resources), other resources to 512."""
    class Module:
        subscription_id = "00000000-0000-0000-0000-000000000001"

        def __init__(self, tags):
            self.params = params(tags=tags)
    StorageAccount(Module({"k" * 128: "v"})).validate()
    with pytest.raises(AzureInputError, match="a tag key of a storage account has 1-128 characters"):
        StorageAccount(Module({"k" * 129: "v"})).validate()
