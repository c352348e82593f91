"""Microsoft.EventHub namespaces, event hubs and consumer groups in the emulator, through ARM's generic resource operations."""
from __future__ import annotations

import pytest
from azure.core.exceptions import HttpResponseError

API = "2026-01-01"
NAMESPACE = {"location": "westeurope", "sku": {"name": "Standard", "capacity": 1},
             "properties": {"minimumTlsVersion": "1.2", "disableLocalAuth": True, "publicNetworkAccess": "Disabled"}}


def _namespace(emu, group, name="evhns-emu-1"):
    return f"/subscriptions/{emu.subscription_id}/resourceGroups/{group}/providers/Microsoft.EventHub/namespaces/{name}"


def _put(resources, rid, body):
    return resources.resources.begin_create_or_update_by_id(rid, api_version=API, parameters=body).result()


def test_namespace_hubs_and_consumer_groups_as_azure_keeps_them(emu, resources, group):
    ns = _namespace(emu, group)
    emu.set_latency({"Microsoft.EventHub/namespaces": 0.3})
    poller = resources.resources.begin_create_or_update_by_id(ns, api_version=API, parameters=NAMESPACE)
    assert not poller.done()   # the namespace PUT is long-running (the spec's 201 + Azure-AsyncOperation)
    created = poller.result()
    assert (created.sku.tier, created.properties["kafkaEnabled"], created.properties["disableLocalAuth"]) == ("Standard", True, True)
    assert created.properties["serviceBusEndpoint"] == "https://evhns-emu-1.servicebus.windows.net:443/"
    hub = _put(resources, ns + "/eventhubs/tenant-events", {"properties": {"partitionCount": 4, "messageRetentionInDays": 7}})
    assert hub.properties["partitionIds"] == ["0", "1", "2", "3"]
    listed = resources.resources.get_by_id(ns + "/eventhubs/tenant-events/consumergroups/$Default", api_version=API)
    assert listed.name == "$Default"   # every event hub has it
    _put(resources, ns + "/eventhubs/tenant-events/consumergroups/westeu-dev-1", {"properties": {}})
    resources.resources.begin_delete_by_id(ns + "/eventhubs/tenant-events/consumergroups/westeu-dev-1", api_version=API).result()
    with pytest.raises(HttpResponseError, match="cannot be deleted"):
        resources.resources.begin_delete_by_id(ns + "/eventhubs/tenant-events/consumergroups/$Default", api_version=API).result()
    resources.resources.begin_delete_by_id(ns, api_version=API).result()
    with pytest.raises(HttpResponseError, match="ResourceNotFound"):
        resources.resources.get_by_id(ns + "/eventhubs/tenant-events", api_version=API)


def test_what_azure_refuses_is_refused(emu, resources, group):
    ns = _namespace(emu, group, "evhns-emu-2")
    for name in ("short1", "1starts-with-digit", "ends-with-hyphen-"):
        with pytest.raises(HttpResponseError, match="InvalidResourceName"):
            _put(resources, _namespace(emu, group, name), NAMESPACE)
    for body, why in (({**NAMESPACE, "sku": {"name": "Free"}}, "is not valid"),
                      ({**NAMESPACE, "properties": {"kafkaEnabled": True, "bogus": 1}}, "Could not find member 'bogus'"),
                      ({**NAMESPACE, "properties": {"isAutoInflateEnabled": True, "maximumThroughputUnits": 0}}, "maximumThroughputUnits")):
        with pytest.raises(HttpResponseError, match=why):
            _put(resources, ns, body)
    _put(resources, ns, NAMESPACE)
    with pytest.raises(HttpResponseError, match="pricing tier"):
        _put(resources, ns, {**NAMESPACE, "sku": {"name": "Premium", "capacity": 1}})
    hub = ns + "/eventhubs/masterdata-events"
    with pytest.raises(HttpResponseError, match="1-7 days"):
        _put(resources, hub, {"properties": {"partitionCount": 2, "messageRetentionInDays": 30}})
    with pytest.raises(HttpResponseError, match="1-32 partitions"):
        _put(resources, hub, {"properties": {"partitionCount": 40}})
    _put(resources, hub, {"properties": {"partitionCount": 2}})
    for count, why in ((1, "cannot be removed"), (4, "only in the Premium and Dedicated")):
        with pytest.raises(HttpResponseError, match=why):
            _put(resources, hub, {"properties": {"partitionCount": count}})
    with pytest.raises(HttpResponseError, match="InvalidResourceName"):
        _put(resources, hub + "/consumergroups/-bad", {"properties": {}})
    for index in range(19):   # $Default and 19 more: the Standard tier's 20
        _put(resources, hub + f"/consumergroups/group-{index}", {"properties": {}})
    with pytest.raises(HttpResponseError, match="QuotaExceeded"):
        _put(resources, hub + "/consumergroups/one-too-many", {"properties": {}})
    with pytest.raises(HttpResponseError, match="ResourceNotFound"):
        _put(resources, ns + "/eventhubs/missing/consumergroups/x", {"properties": {}})


def test_limits_answer_as_azures_resource_manager_exceptions_page(emu, resources, group):
    """Learn, event-hubs/resource-manager-exceptions: the eleventh event hub (Conflict 40300), a second consumer group
    in Basic (BadRequest), an event hub in a namespace that does not exist (BadRequest)."""
    with pytest.raises(HttpResponseError, match="The namespace 'evhns-nowhere' doesn't exist.") as refused:
        _put(resources, _namespace(emu, group, "evhns-nowhere") + "/eventhubs/hub", {"properties": {}})
    assert refused.value.status_code == 400 and refused.value.error.code == "BadRequest"
    basic = _namespace(emu, group, "evhns-emu-basic")
    _put(resources, basic, dict(NAMESPACE, sku={"name": "Basic", "capacity": 1}))
    for index in range(10):
        _put(resources, basic + f"/eventhubs/hub-{index}", {"properties": {"partitionCount": 1, "messageRetentionInDays": 1}})
    with pytest.raises(HttpResponseError, match=r"maximum number of resources of type EventHub .* Actual: 10, Max allowed: 10") as refused:
        _put(resources, basic + "/eventhubs/hub-10", {"properties": {"partitionCount": 1, "messageRetentionInDays": 1}})
    assert refused.value.status_code == 409 and refused.value.error.code == "Conflict"
    with pytest.raises(HttpResponseError, match="namespace 'evhns-emu-basic' is using 'Basic' tier"):
        _put(resources, basic + "/eventhubs/hub-0/consumergroups/second", {"properties": {}})
