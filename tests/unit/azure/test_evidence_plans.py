"""The pure planners of diagnostic settings and flow logs, for what the contract cannot reach (the activity log's
schema, an NSG target, the flow log whose storage account the emulator of this branch cannot make)."""
from __future__ import annotations

import pytest

from ansible_collections.complianceflow.infra.plugins.module_utils._azure.diagnostic_setting import plan_setting, validate_setting
from ansible_collections.complianceflow.infra.plugins.module_utils._azure.flow_log import plan_flow_log, validate_flow_log
from ansible_collections.complianceflow.infra.plugins.module_utils._azure.log_analytics_workspace import validate_workspace
from ansible_collections.complianceflow.infra.plugins.module_utils._azure.values import AzureInputError

SUB = "/subscriptions/00000000-0000-0000-0000-000000000001"
GROUP = f"{SUB}/resourceGroups/rg-cf-westeu-dev-1"
WS = f"{GROUP}/providers/Microsoft.OperationalInsights/workspaces/log-cf-westeu-dev-1"
VNET = f"{GROUP}/providers/Microsoft.Network/virtualNetworks/vnet-cf-westeu-dev-1"
STORAGE = f"{GROUP}/providers/Microsoft.Storage/storageAccounts/stcfwesteudev1"


def setting(**params):
    return validate_setting(dict({"scope": SUB, "name": "diag-cf-activity-dev", "workspace_id": WS}, **params), SUB[15:])


def test_the_activity_log_setting_is_the_subscriptions_schema():
    wanted = setting(scope="subscription", logs=[{"category": "Administrative"}, {"category": "Policy", "enabled": True}])
    plan = plan_setting(None, wanted)
    assert plan.action == "create" and plan.body == {"properties": {
        "workspaceId": WS, "logs": [{"category": "Administrative", "enabled": True}, {"category": "Policy", "enabled": True}]}}
    existing = {"id": "x", "name": "diag-cf-activity-dev", "properties": dict(plan.body["properties"], workspaceId=WS.lower())}
    assert plan_setting(existing, wanted).action == "none"   # ids compare without case, as ARM's do
    for params, why in (({"logs": [{"category": "AuditEvent"}]}, "'AuditEvent' is not an activity log category"),
                        ({"logs": [], "metrics": [{"category": "AllMetrics"}]}, "logs only"),
                        ({"log_analytics_destination_type": "Dedicated", "logs": []}, "always lands in AzureActivity")):
        with pytest.raises(AzureInputError, match=why):
            setting(**params)


def test_a_resource_setting_keeps_what_is_not_given_and_needs_a_destination():
    vault = f"{GROUP}/providers/Microsoft.KeyVault/vaults/kv-cf-westeu-dev-1-5n8o"
    existing = {"id": f"{vault}/providers/Microsoft.Insights/diagnosticSettings/diag", "name": "diag", "properties": {
        "workspaceId": WS, "logAnalyticsDestinationType": "Dedicated", "logs": [{"category": "AuditEvent", "enabled": True}],
        "metrics": [{"category": "AllMetrics", "enabled": False}]}}
    plan = plan_setting(existing, setting(scope=vault, logs=[{"category": "AuditEvent"}, {"category_group": "audit"}]))
    assert plan.action == "put" and plan.body["properties"]["logAnalyticsDestinationType"] == "Dedicated"   # kept
    assert plan.body["properties"]["logs"][1] == {"categoryGroup": "audit", "enabled": True}
    with pytest.raises(AzureInputError, match="workspace_id or storage_account_id is needed"):
        plan_setting(None, validate_setting({"scope": vault, "name": "d", "logs": [{"category": "AuditEvent"}]}))
    with pytest.raises(AzureInputError, match="exactly one of category or category_group"):
        setting(scope=vault, logs=[{"category": "AuditEvent", "category_group": "audit"}])


def flow(**params):
    return dict({"name": "fl-cf-westeu-dev-1", "target_resource_id": VNET, "storage_account_id": STORAGE, "state": "present"}, **params)


def test_flow_log_targets_and_the_first_plan():
    with pytest.raises(AzureInputError, match="NSG flow logs can no longer be created"):
        validate_flow_log(flow(target_resource_id=f"{GROUP}/providers/Microsoft.Network/networkSecurityGroups/nsg-1"))
    with pytest.raises(AzureInputError, match="is a name; give its resource id, or resource_group"):
        validate_flow_log(flow(target_resource_id="vnet-cf-westeu-dev-1"))
    by_name = validate_flow_log(flow(target_resource_id="vnet-cf-westeu-dev-1", storage_account_id="stcfwesteudev1",
                                     resource_group="rg-cf-westeu-dev-1"), SUB[15:])
    assert by_name == {"target_resource_id": VNET, "storage_account_id": STORAGE}
    with pytest.raises(AzureInputError, match="interval"):
        validate_flow_log(flow(traffic_analytics={"enabled": True, "workspace_id": WS, "interval": 30}))
    params = flow(tags={"Deployment": "westeu-dev-1"})
    plan = plan_flow_log(None, params, validate_flow_log(params), "westeurope", None)
    props = plan.body["properties"]
    assert plan.action == "create" and plan.body["location"] == "westeurope"
    assert (props["format"], props["retentionPolicy"], props["enabled"]) == ({"type": "JSON", "version": 2}, {"days": 0, "enabled": False}, True)
    assert props["flowAnalyticsConfiguration"] == {"networkWatcherFlowAnalyticsConfiguration": {"enabled": False}}


def test_traffic_analytics_names_the_workspace_by_guid_region_and_id():
    params = flow(traffic_analytics={"enabled": True, "workspace_id": WS, "interval": 10})
    workspace = {"id": WS, "location": "westeurope", "properties": {"customerId": "6f1e0000-0000-0000-0000-000000000000"}}
    ta = plan_flow_log(None, params, validate_flow_log(params), "westeurope", workspace).body["properties"]["flowAnalyticsConfiguration"]
    assert ta["networkWatcherFlowAnalyticsConfiguration"] == {"enabled": True, "workspaceId": "6f1e0000-0000-0000-0000-000000000000",
                                                              "workspaceRegion": "westeurope", "workspaceResourceId": WS,
                                                              "trafficAnalyticsInterval": 10}
    with pytest.raises(AzureInputError, match="does not exist"):
        plan_flow_log(None, params, validate_flow_log(params), "westeurope", None)


@pytest.mark.parametrize("sku", ["Free", "Standard", "Premium"])
def test_a_retired_workspace_pricing_tier_is_refused_before_any_call(sku):
    with pytest.raises(AzureInputError, match=f"sku: {sku} is a retired pricing tier Azure no longer accepts"):
        validate_workspace({"resource_group": "rg-cf-westeu-dev-1", "name": "log-cf-westeu-dev-1", "sku": sku})
    # A legacy tier, offered to older subscriptions: accepted.
    validate_workspace({"resource_group": "rg-cf-westeu-dev-1", "name": "log-cf-westeu-dev-1", "sku": "Standalone"})
