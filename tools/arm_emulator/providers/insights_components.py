"""Microsoft.Insights/components: workspace-based Application Insights.

Sources: REST spec stable 2020-02-02 (ApplicationInsights/stable/2020-02-02/components_API.json: the body is checked
against its excerpt in specs/; Components_CreateOrUpdate answers 200 at once, Components_UpdateTags takes tags only,
Components_Delete answers 200/204; WorkspaceResourceId "is required to create an application with this API
version"; Application_Type is read and create only; InstrumentationKey, ConnectionString, AppId are read-only and
generated); learn.microsoft.com azure-monitor/app/create-new-resource (classic Application Insights retired
2024-02-29) and azure-monitor/app/connection-strings (the connection string's parts). A create without a workspace
answers 400 BadRequest as a classic create in a region without classic did (microsoft/winget-cli-restsource#176); a
workspace ARM cannot return: BadRequest "Could not retrieve the Log Analytics workspace from ARM" (microsoft/aspire
#3854); what Azure answers to a changed Application_Type is unverified (docs/emulator.md). Another helper's diagnostic settings live in insights_diagnostics.py.
"""
from __future__ import annotations

import re
import time
import uuid

from ..errors import ArmError
from .base import Context, Ref, TopLevelType, require_dict

NS = "Microsoft.Insights"
WORKSPACE_TYPE = "Microsoft.OperationalInsights/workspaces"


def _bad(message: str) -> ArmError:
    return ArmError(400, "BadRequest", message)


class Components(TopLevelType):
    namespace, types = NS, ("components",)
    lro_put = lro_delete = False   # 200 at once (the spec has no x-ms-long-running-operation for them)
    top_level_keys = ("kind",)
    name_pattern = re.compile(r"^[^%&\\?/]{0,259}[^%&\\?/. ]$")
    name_rule = "Component names have 1-260 characters without % & \\ ? /, not ending with a space or a period."

    def build_properties(self, ctx: Context, ref: Ref, body: dict, existing: dict | None, location: str) -> dict:
        props = dict(require_dict(body.get("properties"), "properties"))
        old = (existing or {}).get("properties", {})
        workspace = props.get("WorkspaceResourceId")
        if not workspace:
            raise _bad("WorkspaceResourceId is required: classic Application Insights (without a Log Analytics workspace) "
                       "was retired on 2024-02-29.")
        if not str(workspace).lower().startswith("/subscriptions/") or f"/providers/{WORKSPACE_TYPE.lower()}/" not in str(workspace).lower():
            raise _bad(f"WorkspaceResourceId '{workspace}' is not a Log Analytics workspace resource id.")
        if ctx.find(workspace) is None:   # BadRequest as Azure answered in microsoft/aspire#3854
            raise _bad(f"Could not retrieve the Log Analytics workspace from ARM: {workspace} was not found.")
        app_type = props.get("Application_Type", "web")
        if existing and app_type != old.get("Application_Type"):   # x-ms-mutability read, create; code unverified
            raise _bad(f"Application_Type cannot be changed from '{old.get('Application_Type')}' to '{app_type}'.")
        ikey = old.get("InstrumentationKey") or str(uuid.uuid4())
        app_id = old.get("AppId") or str(uuid.uuid4())
        region = location.replace(" ", "").lower()
        return dict(props, Application_Type=app_type, Flow_Type=props.get("Flow_Type", "Bluefield"),
                    Request_Source=props.get("Request_Source", "rest"), IngestionMode=props.get("IngestionMode", "LogAnalytics"),
                    publicNetworkAccessForIngestion=props.get("publicNetworkAccessForIngestion", "Enabled"),
                    publicNetworkAccessForQuery=props.get("publicNetworkAccessForQuery", "Enabled"),
                    ApplicationId=ref.name, Name=ref.name, AppId=app_id, InstrumentationKey=ikey,
                    ConnectionString=(f"InstrumentationKey={ikey};IngestionEndpoint=https://{region}-0.in.applicationinsights."
                                      f"azure.com/;LiveEndpoint=https://{region}.livediagnostics.monitor.azure.com/;"
                                      f"ApplicationId={app_id}"),
                    CreationDate=old.get("CreationDate") or time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
                    TenantId=ref.subscription, provisioningState="Succeeded")


TYPES = [Components()]
