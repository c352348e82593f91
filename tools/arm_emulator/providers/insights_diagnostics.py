"""Microsoft.Insights diagnostic settings: an extension resource of any resource, or of a subscription (the activity log).

arm.dispatch hands every .../providers/Microsoft.Insights/diagnosticSettings path to DiagnosticSettings.handle() with
the scope in front of it. Sources (docs/emulator.md lists each rule with its status/code):
- REST spec Microsoft.Insights 2021-05-01-preview diagnosticsSettings_API.json and subscriptionDiagnosticsSettings_API.json
  (specs/Microsoft.Insights/2021-05-01-preview/): PUT 200 (not long-running), DELETE 200/204, the list at a scope, the
  bodies (checked by openapi.check_body; a subscription's body has no metrics or logAnalyticsDestinationType);
  logAnalyticsDestinationType "Dedicated" or null (the property's description).
- learn.microsoft.com/azure/azure-monitor/platform/diagnostic-settings: at most five settings per resource (status and
  code of the refusal unverified).
- 409 Conflict "Data sink '<id>' is already used in diagnostic setting '<name>' for category '<category>'. Data sinks
  can't be reused in different settings on the same category for the same resource." (Azure's answer as quoted in
  terraform-provider-azurerm issues and Azure Policy docs).
- Categories per type: learn.microsoft.com/azure/azure-monitor/reference/supported-logs/ (Key Vault vaults;
  PostgreSQL flexible servers) and platform/activity-log-schema (the activity log); an unknown category of a type
  listed below is refused (status and code unverified); other types are not checked.
"""
from __future__ import annotations

import re
from typing import Any

from .. import openapi
from ..errors import ArmError, resource_group_not_found
from .base import Context, ResourceType, public

NS = "Microsoft.Insights"
TYPE = f"{NS}/diagnosticSettings"
MAX_PER_SCOPE = 5
NAME = re.compile(r"^[^*%&:\\?+/#<>\x00-\x1f]{0,259}[^*%&:\\?+/#<>\x00-\x1f. ]$")
SUBSCRIPTION = "subscription"
# type (lower) -> (log categories, category groups, metric categories)
CATEGORIES: dict[str, tuple] = {
    "microsoft.keyvault/vaults": (("AuditEvent", "AzurePolicyEvaluationDetails"), ("audit", "allLogs"), ("AllMetrics",)),
    "microsoft.dbforpostgresql/flexibleservers": (
        ("PostgreSQLLogs", "PostgreSQLFlexSessions", "PostgreSQLFlexQueryStoreRuntime", "PostgreSQLFlexQueryStoreWaitStats",
         "PostgreSQLFlexTableStats", "PostgreSQLFlexDatabaseXacts", "PostgreSQLFlexPGBouncer"), ("audit", "allLogs"), ("AllMetrics",)),
    SUBSCRIPTION: (("Administrative", "Security", "ServiceHealth", "Alert", "Recommendation", "Policy", "Autoscale",
                    "ResourceHealth"), (), ()),
}
SINKS = ("workspaceId", "storageAccountId", "eventHubAuthorizationRuleId", "marketplacePartnerId")


def _bad(message: str) -> ArmError:
    return ArmError(400, "BadRequest", message)   # status and code unverified (docs/emulator.md)


def settings_at(state, scope: str) -> list[dict]:
    prefix = f"{scope}/providers/{TYPE}/".lower()
    return [d for d in state.resources.values() if d["id"].lower().startswith(prefix) and d["id"].count("/") == prefix.count("/")]


class DiagnosticSettings(ResourceType):
    namespace = NS
    types = ("diagnosticSettings",)

    def handle(self, ctx: Context, method: str, scope: str, names: list[str], body: Any, info: dict):
        from ..arm import Response, _require_registered  # pylint: disable=import-outside-toplevel  # arm imports the providers

        scope, kind = self._scope(ctx, scope)
        info.update(resource_type=TYPE, name=names[0] if names else "",
                    operation=f"{TYPE}/{ {'GET': 'read', 'PUT': 'write', 'DELETE': 'delete'}.get(method, 'action') }")
        if not names:
            if method != "GET":
                raise ArmError(405, "MethodNotAllowed", f"The method '{method}' is not allowed on a collection.")
            return Response(200, {"value": [public(d) for d in settings_at(ctx.state, scope)]})
        if len(names) != 1:
            raise ArmError(400, "InvalidResourceType", f"The resource type '{TYPE}' has no child types.")
        resource_id = f"{scope}/providers/{TYPE}/{names[0]}"
        doc = ctx.state.get(resource_id)
        if method == "GET":
            if doc is None:
                raise ArmError(404, "ResourceNotFound", f"The diagnostic setting '{names[0]}' could not be found.")   # code unverified
            return Response(200, public(doc))
        if method == "DELETE":
            if doc is None:
                return Response(204)
            ctx.state.delete(doc["id"])
            return Response(200)
        if method != "PUT":
            raise ArmError(405, "MethodNotAllowed", f"The method '{method}' is not allowed on '{TYPE}'.")
        _require_registered(ctx, scope.split("/")[2], NS)
        openapi.check_body(method, resource_id, ctx.api_version, body)
        return Response(200, public(self._put(ctx, scope, kind, names[0], body if isinstance(body, dict) else {})))

    @staticmethod
    def _scope(ctx: Context, scope: str) -> tuple[str, str]:
        """(the scope's id as stored, its type in lower case or 'subscription'); a group or a missing resource refused."""
        parts = scope.strip("/").split("/")
        if len(parts) == 2:
            return "/" + "/".join(parts), SUBSCRIPTION
        if len(parts) >= 4 and parts[2].lower() == "resourcegroups":
            if ctx.state.get("/".join(["", *parts[:4]])) is None:
                raise resource_group_not_found(parts[3])
            if len(parts) == 4:
                raise _bad("Diagnostic settings are not supported on a resource group; use a resource or a subscription.")
            doc = ctx.state.find(scope)
            if doc is None:
                raise ArmError(404, "ResourceNotFound", f"The Resource '{'/'.join(parts[5:])}' under resource group "
                                                        f"'{parts[3]}' was not found.")
            return doc["id"], str(doc.get("type", "")).lower()
        raise _bad(f"The scope '{scope}' is not a resource or a subscription.")

    def _put(self, ctx: Context, scope: str, kind: str, name: str, body: dict) -> dict:
        if not NAME.match(name):
            raise _bad(f"The diagnostic setting name '{name}' is invalid.")
        props = dict(body.get("properties") or {})
        sinks = {key: props[key] for key in SINKS if props.get(key)}
        if not sinks:
            raise _bad("At least one destination (workspaceId, storageAccountId, eventHubAuthorizationRuleId or "
                       "marketplacePartnerId) is required.")
        for key in ("workspaceId", "storageAccountId"):
            if key in sinks and ctx.state.find(sinks[key]) is None:
                raise _bad(f"The resource '{sinks[key]}' given as {key} does not exist.")
        kind_value = props.get("logAnalyticsDestinationType")
        if kind_value not in (None, "Dedicated"):
            raise _bad(f"logAnalyticsDestinationType '{kind_value}' is invalid: 'Dedicated' or null.")
        logs, metrics = props.get("logs") or [], props.get("metrics") or []
        self._check_categories(kind, logs, metrics)
        resource_id = f"{scope}/providers/{TYPE}/{name}"
        others = [d for d in settings_at(ctx.state, scope) if d["id"].lower() != resource_id.lower()]
        if ctx.state.get(resource_id) is None and len(others) >= MAX_PER_SCOPE:
            raise _bad(f"The scope '{scope}' already has {len(others)} diagnostic settings; at most {MAX_PER_SCOPE} are allowed.")
        self._check_sinks(others, sinks, logs + metrics)
        doc = {"id": resource_id, "name": name, "type": TYPE, "properties": dict(props, logs=logs)}
        if kind != SUBSCRIPTION:
            doc["properties"].update(metrics=metrics, logAnalyticsDestinationType=kind_value)
        ctx.state.put(doc)
        return doc

    @staticmethod
    def _check_categories(kind: str, logs: list, metrics: list) -> None:
        known = CATEGORIES.get(kind)
        if known is None:
            return
        categories, groups, metric_categories = known
        for entry in logs:
            if entry.get("category") and entry["category"].lower() not in {c.lower() for c in categories}:
                raise _bad(f"Category '{entry['category']}' is not supported.")
            if entry.get("categoryGroup") and entry["categoryGroup"].lower() not in {g.lower() for g in groups}:
                raise _bad(f"Category group '{entry['categoryGroup']}' is not supported.")
        for entry in metrics:
            if entry.get("category") and entry["category"].lower() not in {c.lower() for c in metric_categories}:
                raise _bad(f"Metric category '{entry['category']}' is not supported.")

    @staticmethod
    def _check_sinks(others: list, sinks: dict, entries: list) -> None:
        """The same enabled category to the same destination in two settings of one scope: 409 Conflict (sources above)."""
        wanted = {(e.get("category") or e.get("categoryGroup") or "").lower() for e in entries if e.get("enabled")}
        for other in others:
            props = other.get("properties") or {}
            theirs = {(e.get("category") or e.get("categoryGroup") or "").lower()
                      for e in (props.get("logs") or []) + (props.get("metrics") or []) if e.get("enabled")}
            for key, sink in sinks.items():
                if str(props.get(key) or "").lower() == sink.lower():
                    shared = sorted(wanted & theirs)
                    if shared:
                        raise ArmError(409, "Conflict", f"Data sink '{sink}' is already used in diagnostic setting "
                                                        f"'{other['name']}' for category '{shared[0]}'. Data sinks can't be "
                                                        "reused in different settings on the same category for the same resource.")


TYPES = [DiagnosticSettings()]
