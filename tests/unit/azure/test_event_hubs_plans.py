"""Event Hubs plans: what the contract tests cannot reach (a fixed tier, partitions Azure refuses to change, a
subscriber whose namespace is missing, removing a consumer group from every hub)."""
from __future__ import annotations

import pytest

from ansible_collections.complianceflow.infra.plugins.module_utils._azure.event_hubs import plan_namespace, validate_event_hubs_namespace
from ansible_collections.complianceflow.infra.plugins.module_utils._azure.event_hubs_consumer_group import plan_consumer_group
from ansible_collections.complianceflow.infra.plugins.module_utils._azure.ids import ResourceId
from ansible_collections.complianceflow.infra.plugins.module_utils._azure.values import AzureInputError

RID = ResourceId.parse("/subscriptions/s/resourceGroups/rg-cf-global-dev/providers/Microsoft.EventHub/namespaces/evhns-cf-global-dev")
NAMESPACE = {"id": str(RID), "name": RID.name, "location": "westeurope", "tags": {}, "sku": {"name": "Standard", "capacity": 1},
             "properties": {"minimumTlsVersion": "1.2", "disableLocalAuth": True, "publicNetworkAccess": "Disabled"}}


def hub(name, partitions=4, days=1):
    return {"id": f"{RID}/eventhubs/{name}", "name": name, "properties": {"partitionCount": partitions, "messageRetentionInDays": days}}


def params(**over):
    base = {"resource_group": "rg-cf-global-dev", "name": RID.name, "location": "westeurope", "tags": None, "purge_tags": True,
            "sku": None, "capacity": None, "auto_inflate": None, "maximum_throughput_units": None, "minimum_tls_version": None,
            "disable_local_auth": None, "public_network_access": None, "event_hubs": None}
    base.update(over)
    return base


def plan(existing, hubs, **over):
    p = params(**over)
    return plan_namespace(existing, hubs, p, validate_event_hubs_namespace(p), RID)


def test_a_new_namespace_is_private_standard_without_sas_keys_and_its_hubs_follow_it():
    result = plan(None, [], event_hubs=[{"name": "tenant-events", "partition_count": 4}])
    assert result.action == "create"
    assert result.body["sku"] == {"name": "Standard", "tier": "Standard", "capacity": 1}
    assert result.body["properties"] == {"minimumTlsVersion": "1.2", "disableLocalAuth": True, "publicNetworkAccess": "Disabled"}
    assert [(c.method, c.resource_id.name, c.body) for c in result.children] == [
        ("PUT", "tenant-events", {"properties": {"partitionCount": 4}})]


@pytest.mark.parametrize("over, message", [
    ({"sku": "Premium"}, "Azure refuses a change to or from Premium"),
    ({"sku": "Basic"}, "a change between Basic and Standard, which Azure allows, is left to the portal"),
    ({"event_hubs": [{"name": "tenant-events", "partition_count": 2}]}, "never removes partitions"),
    ({"event_hubs": [{"name": "tenant-events", "partition_count": 8}]}, "cannot add partitions (only Premium and Dedicated"),
    ({"event_hubs": [{"name": "tenant-events", "message_retention_in_days": 30}]}, "out of range 1-7"),
    ({"event_hubs": [{"name": f"hub-{i}"} for i in range(11)]}, "at most 10"),
])
def test_what_azure_refuses_on_an_existing_standard_namespace_is_refused_before_any_call(over, message):
    with pytest.raises(AzureInputError, match=message.replace("(", r"\(")):
        plan(NAMESPACE, [hub("tenant-events")], **over)


def test_a_retention_change_puts_the_hub_with_its_partitions_and_nothing_else_is_written():
    result = plan(NAMESPACE, [hub("tenant-events")], event_hubs=[{"name": "tenant-events", "message_retention_in_days": 7}])
    assert result.action == "none"
    assert [(c.method, c.body) for c in result.children] == [("PUT", {"properties": {"partitionCount": 4, "messageRetentionInDays": 7}})]
    assert plan(NAMESPACE, [hub("tenant-events")], sku="Standard", capacity=1, minimum_tls_version="1.2",
                event_hubs=[{"name": "tenant-events", "partition_count": 4}]).changed is False


def group_params(**over):
    base = {"resource_group": "rg-cf-global-dev", "namespace": RID.name, "name": "westeu-dev-1", "event_hubs": None,
            "user_metadata": None, "missing_namespace": "fail"}
    base.update(over)
    return base


def test_a_subscriber_of_a_missing_namespace_fails_or_with_skip_only_warns_and_absent_is_a_no_op():
    with pytest.raises(AzureInputError, match="deploy the global deployment first"):
        plan_consumer_group(None, [], {}, group_params(), "present", RID)
    skipped = plan_consumer_group(None, [], {}, group_params(missing_namespace="skip"), "present", RID)
    assert not skipped.changed and "does not exist" in skipped.notes[0]
    assert not plan_consumer_group(None, [], {}, group_params(), "absent", RID).changed


def test_the_group_goes_on_every_hub_the_namespace_has_and_comes_off_every_hub_that_has_it():
    hubs = [hub("tenant-events"), hub("masterdata-events", 2), hub("file-ingestion-events")]
    groups = {"tenant-events": {"properties": {}}, "masterdata-events": None, "file-ingestion-events": None}
    added = plan_consumer_group(NAMESPACE, hubs, groups, group_params(), "present", RID)
    assert sorted((c.method, c.resource_id.parent.name) for c in added.children) == [
        ("PUT", "file-ingestion-events"), ("PUT", "masterdata-events")]
    removed = plan_consumer_group(NAMESPACE, hubs, groups, group_params(), "absent", RID)
    assert [(c.method, str(c.resource_id).rsplit("/", 3)[-3]) for c in removed.children] == [("DELETE", "tenant-events")]
    with pytest.raises(AzureInputError, match="other-events not found in namespace"):
        plan_consumer_group(NAMESPACE, hubs, groups, group_params(event_hubs=["other-events"]), "present", RID)
