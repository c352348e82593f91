"""Pure logic of the container_registry and application_insights modules (no SDK, no network): what the contract
tests cannot reach (an existing Basic registry asked to go private, a component's read-only keys, classic refusal)."""
from __future__ import annotations

import pytest
from ansible_collections.complianceflow.infra.plugins.module_utils._azure import application_insights as appi
from ansible_collections.complianceflow.infra.plugins.module_utils._azure import container_registry as acr
from ansible_collections.complianceflow.infra.plugins.module_utils._azure.values import AzureInputError

SUB = "00000000-0000-0000-0000-000000000001"
WS = f"/subscriptions/{SUB}/resourceGroups/rg/providers/Microsoft.OperationalInsights/workspaces/log-cf-westeu-dev-1"


def _acr_params(**kw):
    return dict({"resource_group": "rg", "name": "acrcfwesteudev1", "location": "westeurope", "tags": None}, **kw)


def test_registry_names_and_premium_only_private_access_are_checked_before_any_call():
    for bad in ("acr-cf-1", "acr1", "a" * 51):
        with pytest.raises(AzureInputError, match="5-50 letters and digits"):
            acr.validate_registry(_acr_params(name=bad))
    with pytest.raises(AzureInputError, match="Disabled needs sku Premium, not Basic"):
        acr.validate_registry(_acr_params(sku="Basic", public_network_access="Disabled"))
    # the existing registry's tier counts when the task does not name one
    basic = {"id": "x", "name": "acrcfwesteudev1", "location": "westeurope", "sku": {"name": "Basic"}, "properties": {}}
    with pytest.raises(AzureInputError, match="Disabled needs sku Premium, not Basic"):
        acr.plan_registry(basic, _acr_params(public_network_access="Disabled"))
    with pytest.raises(AzureInputError, match="sku is needed to create it"):
        acr.plan_registry(None, _acr_params())


def test_registry_plan_patches_only_what_differs():
    existing = {"id": "x", "name": "acrcfwesteudev1", "location": "West Europe", "sku": {"name": "Basic", "tier": "Basic"},
                "tags": {"a": "1"}, "properties": {"adminUserEnabled": False, "publicNetworkAccess": "Enabled"}}
    same = acr.plan_registry(existing, _acr_params(sku="Basic", admin_user_enabled=False, anonymous_pull_enabled=False))
    assert same.action == "none"   # anonymousPullEnabled missing in Azure's answer reads as the spec's default, false
    up = acr.plan_registry(existing, _acr_params(sku="Premium", public_network_access="Disabled", tags={"a": "1"}))
    assert up.action == "patch" and up.body == {"sku": {"name": "Premium"}, "properties": {"publicNetworkAccess": "Disabled"}}
    created = acr.plan_registry(None, _acr_params(sku="Premium", admin_user_enabled=False, tags={"b": "2"}))
    assert created.body == {"location": "westeurope", "sku": {"name": "Premium"}, "tags": {"b": "2"},
                            "properties": {"adminUserEnabled": False}}


def _component(**props):
    base = {"Application_Type": "web", "WorkspaceResourceId": WS, "IngestionMode": "LogAnalytics", "DisableLocalAuth": True,
            "Flow_Type": "Bluefield", "Request_Source": "rest", "InstrumentationKey": "ikey-secret", "AppId": "app",
            "ConnectionString": "InstrumentationKey=ikey-secret;IngestionEndpoint=https://x/", "provisioningState": "Succeeded",
            "SamplingPercentage": 50.0}
    return {"id": "/x/components/appi", "name": "appi", "location": "westeurope", "kind": "web", "tags": {},
            "properties": dict(base, **props)}


def _appi_params(**kw):
    return dict({"resource_group": "rg", "name": "appi-cf-westeu-dev-1", "location": "westeurope", "tags": None}, **kw)


def test_component_is_workspace_based_and_its_keys_stay_out_of_the_view():
    with pytest.raises(AzureInputError, match="classic .* retired on 2024-02-29"):
        appi.plan_component(None, _appi_params())
    created = appi.plan_component(None, _appi_params(workspace_resource_id=WS, disable_local_auth=True))
    assert created.action == "create" and created.body["kind"] == "web"
    assert created.body["properties"] == {"Application_Type": "web", "WorkspaceResourceId": WS, "DisableLocalAuth": True,
                                          "Flow_Type": "Bluefield", "Request_Source": "rest"}
    view = appi.component_view(_component())
    assert "ikey-secret" not in repr(view) and view["workspace_resource_id"] == WS


def test_component_changes_are_a_put_of_its_writable_properties():
    existing = _component()
    same = appi.plan_component(existing, _appi_params(workspace_resource_id=WS.upper(), disable_local_auth=True))
    assert same.action == "none"   # ids compare without case
    put = appi.plan_component(existing, _appi_params(disable_local_auth=False))
    assert put.action == "put" and put.body["properties"]["DisableLocalAuth"] is False
    assert put.body["properties"]["SamplingPercentage"] == 50.0   # what the task does not manage is sent back as it is
    assert not {"InstrumentationKey", "ConnectionString", "AppId", "provisioningState"} & set(put.body["properties"])
    assert appi.plan_component(existing, _appi_params(tags={"a": "1"})).action == "tags"   # Azure's PATCH: tags only
    with pytest.raises(AzureInputError, match="sets the type at creation only"):
        appi.plan_component(existing, _appi_params(application_type="other"))
    with pytest.raises(AzureInputError, match="Azure cannot move it"):
        appi.plan_component(existing, _appi_params(location="northeurope"))


def test_workspace_by_name_becomes_its_id_and_bad_names_are_refused():
    params = _appi_params(workspace_resource_id="log-cf-westeu-dev-1")
    appi.validate_component(params, SUB)
    assert params["workspace_resource_id"] == WS
    with pytest.raises(AzureInputError, match="is not a valid Application Insights name"):
        appi.validate_component(_appi_params(name="appi."), SUB)


def test_the_connection_string_is_returned_only_in_a_no_log_task():
    class Module:   # what ApplicationInsights uses of AzureModule
        subscription_id = SUB

        def __init__(self, no_log):
            self.no_log = no_log
            self.params = _appi_params(workspace_resource_id=WS, return_connection_string=True)

    with pytest.raises(AzureInputError, match="only in a task with no_log: true"):
        appi.ApplicationInsights(Module(no_log=False)).validate()
    resource = appi.ApplicationInsights(Module(no_log=True))
    resource.validate()
    assert resource.result(_component(), {})["connection_string"].startswith("InstrumentationKey=")
    quiet = Module(no_log=True)
    quiet.params["return_connection_string"] = False
    assert "connection_string" not in appi.ApplicationInsights(quiet).result(_component(), {})


def test_anonymous_pull_needs_standard_or_premium():
    with pytest.raises(AzureInputError, match="anonymous_pull_enabled: true needs sku Standard or Premium, not Basic"):
        acr.validate_registry(_acr_params(sku="Basic", anonymous_pull_enabled=True))
    acr.validate_registry(_acr_params(sku="Standard", anonymous_pull_enabled=True))
