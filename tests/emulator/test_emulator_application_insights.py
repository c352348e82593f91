"""Microsoft.Insights/components in the emulator, through ARM's generic resource operations (azure-mgmt-resource)."""
from __future__ import annotations

import pytest
from azure.core.exceptions import HttpResponseError

API = "2020-02-02"


def _ids(emu, group):
    base = f"/subscriptions/{emu.subscription_id}/resourceGroups/{group}/providers"
    return f"{base}/Microsoft.Insights/components/appi-emu", f"{base}/Microsoft.OperationalInsights/workspaces/log-emu"


def _put(resources, rid, body):
    return resources.resources.begin_create_or_update_by_id(rid, api_version=API, parameters=body).result()


def test_workspace_based_component_gets_generated_keys(emu, resources, group):
    appi, ws = _ids(emu, group)
    body = {"location": "westeurope", "kind": "web",
            "properties": {"Application_Type": "web", "WorkspaceResourceId": ws, "DisableLocalAuth": True}}
    with pytest.raises(HttpResponseError, match="Could not retrieve the Log Analytics workspace"):   # the workspace must exist
        _put(resources, appi, body)
    resources.resources.begin_create_or_update_by_id(ws, api_version="2025-07-01", parameters={"location": "westeurope"}).result()
    created = _put(resources, appi, body)
    props = created.properties
    assert props["IngestionMode"] == "LogAnalytics" and props["DisableLocalAuth"] is True and props["AppId"]
    assert props["ConnectionString"].startswith(f"InstrumentationKey={props['InstrumentationKey']};IngestionEndpoint=https://")
    again = _put(resources, appi, body)   # a PUT keeps the generated keys
    assert again.properties["InstrumentationKey"] == props["InstrumentationKey"]
    tagged = resources.resources.begin_update_by_id(appi, api_version=API, parameters={"tags": {"a": "1"}}).result()
    assert tagged.tags == {"a": "1"} and tagged.properties["ConnectionString"] == props["ConnectionString"]


def test_bad_components_are_refused(emu, resources, group):
    appi, ws = _ids(emu, group)
    resources.resources.begin_create_or_update_by_id(ws, api_version="2025-07-01", parameters={"location": "westeurope"}).result()
    good = {"Application_Type": "web", "WorkspaceResourceId": ws}
    for body, why in (({"location": "westeurope", "properties": good}, "kind"),                        # required by the spec
                      ({"location": "westeurope", "kind": "web", "properties": {"Application_Type": "web"}}, "retired"),
                      ({"location": "westeurope", "kind": "web", "properties": dict(good, ConnectionString="x")}, "ConnectionString"),
                      ({"location": "westeurope", "kind": "web", "properties": {"WorkspaceResourceId": ws}}, "Application_Type")):
        with pytest.raises(HttpResponseError, match=why):
            _put(resources, appi, body)
    _put(resources, appi, {"location": "westeurope", "kind": "web", "properties": good})
    with pytest.raises(HttpResponseError, match="cannot be changed"):
        _put(resources, appi, {"location": "westeurope", "kind": "web", "properties": dict(good, Application_Type="other")})
    with pytest.raises(HttpResponseError):   # Components_UpdateTags takes tags only
        resources.resources.begin_update_by_id(appi, api_version=API, parameters={"properties": {"DisableLocalAuth": True}}).result()
