"""Microsoft.Insights diagnostic settings in the emulator (an extension resource of a resource or a subscription),
through ARM's generic resource operations (azure-mgmt-resource), as Azure's rules say (docs/emulator.md)."""
from __future__ import annotations

import pytest
from azure.core.exceptions import HttpResponseError, ResourceNotFoundError

API = "2021-05-01-preview"
SETTINGS = "providers/Microsoft.Insights/diagnosticSettings"


def _vault(emu, resources, group, name):
    vault = f"/subscriptions/{emu.subscription_id}/resourceGroups/{group}/providers/Microsoft.KeyVault/vaults/{name}"
    resources.resources.begin_create_or_update_by_id(vault, api_version="2026-05-15", parameters={
        "location": "westeurope", "properties": {"tenantId": emu.tenant_id, "sku": {"family": "A", "name": "standard"}}}).result()
    return vault


def _workspace(emu, resources, group):
    ws = f"/subscriptions/{emu.subscription_id}/resourceGroups/{group}/providers/Microsoft.OperationalInsights/workspaces/log-{group}"
    resources.resources.begin_create_or_update_by_id(ws, api_version="2025-07-01", parameters={"location": "westeurope"}).result()
    return ws


def _put(resources, scope, name, props):
    return resources.resources.begin_create_or_update_by_id(f"{scope}/{SETTINGS}/{name}", api_version=API,
                                                            parameters={"properties": props}).result()


def test_a_vaults_audit_events_go_to_the_workspace_in_dedicated_tables(emu, resources, group):
    vault, ws = _vault(emu, resources, group, f"kv-{group[-8:]}-d"), _workspace(emu, resources, group)
    made = _put(resources, vault, "diag", {"workspaceId": ws, "logAnalyticsDestinationType": "Dedicated",
                                           "logs": [{"category": "AuditEvent", "enabled": True}]})
    assert made.properties["logAnalyticsDestinationType"] == "Dedicated"
    listed = resources.resources.get_by_id(f"{vault}/{SETTINGS}/diag", api_version=API)
    assert listed.properties["workspaceId"] == ws and listed.properties["logs"][0]["category"] == "AuditEvent"
    for props, why in (({"workspaceId": ws, "logs": [{"category": "AuditEvents", "enabled": True}]}, "'AuditEvents' is not supported"),
                       ({"logs": [{"category": "AuditEvent", "enabled": True}]}, "At least one destination"),
                       ({"workspaceId": ws, "logAnalyticsDestinationType": "ResourceSpecific",
                         "logs": [{"category": "AuditEvent", "enabled": True}]}, "'Dedicated' or null"),
                       ({"workspaceId": ws, "logs": [{"category": "AuditEvent"}]}, "required property"),   # enabled: the spec
                       ({"workspaceId": ws + "-gone", "logs": [{"category": "AuditEvent", "enabled": True}]}, "does not exist")):
        with pytest.raises(HttpResponseError, match=why):
            _put(resources, vault, "other", props)
    # The same category to the same workspace from a second setting: Azure's 409.
    with pytest.raises(HttpResponseError, match="Data sinks can't be reused") as err:
        _put(resources, vault, "again", {"workspaceId": ws, "logs": [{"category": "AuditEvent", "enabled": True}]})
    assert err.value.status_code == 409
    resources.resources.begin_delete_by_id(f"{vault}/{SETTINGS}/diag", api_version=API).result()
    with pytest.raises(ResourceNotFoundError):
        resources.resources.get_by_id(f"{vault}/{SETTINGS}/diag", api_version=API)


def test_five_settings_per_resource_at_most_and_only_on_resources_that_exist(emu, resources, group):
    vault, ws = _vault(emu, resources, group, f"kv-{group[-8:]}-f"), _workspace(emu, resources, group)
    logs = [[{"category": "AuditEvent", "enabled": True}], [{"category": "AzurePolicyEvaluationDetails", "enabled": True}],
            [{"categoryGroup": "audit", "enabled": True}], [{"categoryGroup": "allLogs", "enabled": True}], []]
    for n in range(5):   # five settings, each with its own category group or category (no data sink reused)
        _put(resources, vault, f"s{n}", {"workspaceId": ws, "logs": logs[n],
                                         "metrics": [{"category": "AllMetrics", "enabled": True}] if n == 4 else []})
    with pytest.raises(HttpResponseError, match="at most 5"):
        _put(resources, vault, "s5", {"workspaceId": ws, "logs": []})
    with pytest.raises(HttpResponseError, match="was not found"):
        _put(resources, vault + "-gone", "s", {"workspaceId": ws, "logs": [{"category": "AuditEvent", "enabled": True}]})
    with pytest.raises(HttpResponseError, match="not supported on a resource group"):
        _put(resources, f"/subscriptions/{emu.subscription_id}/resourceGroups/{group}", "s",
             {"workspaceId": ws, "logs": [{"category": "Administrative", "enabled": True}]})


def test_the_activity_log_setting_has_the_subscription_schema(emu, resources, group):
    sub, ws = f"/subscriptions/{emu.subscription_id}", _workspace(emu, resources, group)
    name = f"activity-{group}"
    made = _put(resources, sub, name, {"workspaceId": ws, "logs": [{"category": "Administrative", "enabled": True},
                                                                   {"category": "Security", "enabled": True}]})
    assert made.id == f"{sub}/{SETTINGS}/{name}" and "metrics" not in made.properties
    # The subscription's spec has no metrics and no destination type; categories are the activity log's.
    for props, why in (({"workspaceId": ws, "logs": [], "metrics": [{"category": "AllMetrics", "enabled": True}]}, "metrics"),
                       ({"workspaceId": ws, "logs": [{"category": "AuditEvent", "enabled": True}]}, "'AuditEvent' is not supported")):
        with pytest.raises(HttpResponseError, match=why):
            _put(resources, sub, f"{name}-x", props)
    resources.resources.begin_delete_by_id(f"{sub}/{SETTINGS}/{name}", api_version=API).result()
