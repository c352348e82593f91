# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Azure Monitor diagnostic settings (a resource's logs, or a subscription's activity log) for the resource engine.
PRIVATE to the collection.

Sources (docs/emulator.md lists them with the emulator's behaviour):
- REST spec Microsoft.Insights 2021-05-01-preview, diagnosticsSettings_API.json (PUT/GET/DELETE
  {resourceUri}/providers/Microsoft.Insights/diagnosticSettings/{name}; body DiagnosticSettings: workspaceId,
  storageAccountId, logs[] {category | categoryGroup, enabled (required)}, metrics[] {category, enabled (required)},
  logAnalyticsDestinationType "Dedicated" or null) and subscriptionDiagnosticsSettings_API.json (the same at
  /subscriptions/{id}: logs only, no metrics, no logAnalyticsDestinationType). Azure/azure-rest-api-specs has no
  stable api-version of the current diagnostic settings (stable 2016-09-01 is the older one-setting
  serviceDiagnosticsSettings); 2021-05-01-preview is the newest it publishes, and what azure-cli and
  terraform-provider-azurerm send. Neither PUT is long-running; DELETE answers 200 or 204.
- learn.microsoft.com/azure/azure-monitor/platform/diagnostic-settings: "Each resource can have up to five diagnostic
  settings"; one destination of each kind per setting; a deleted resource's settings may come back with a resource
  recreated under the same name (so teardown deletes what lives outside the resource group first).
- learn.microsoft.com/azure/azure-monitor/platform/activity-log-schema: the activity log's categories (ACTIVITY_LOG).
- Resource-specific tables: learn.microsoft.com/azure/azure-monitor/reference/tables/AZKVAuditLogs (Key Vault
  AuditEvent) and PGSQLServerLogs (PostgreSQL flexible server PostgreSQLLogs, in Microsoft's PostgreSQL monitoring
  queries); AzureDiagnostics without Dedicated.
- Name rule: 1-260 characters without * % & : \\ ? + / # < > (unverified: the resource-name-rules page was not
  readable through the tools; the module refuses these, names of the plan never use them).
"""

from __future__ import annotations

import re

from ansible_collections.complianceflow.infra.plugins.module_utils._azure.arm import GenericApi
from ansible_collections.complianceflow.infra.plugins.module_utils._azure.ids import ResourceId, ids_equal
from ansible_collections.complianceflow.infra.plugins.module_utils._azure.runner import Plan, Resource
from ansible_collections.complianceflow.infra.plugins.module_utils._azure.values import AzureInputError

SETTING_TYPE = "Microsoft.Insights/diagnosticSettings"
API = GenericApi("2021-05-01-preview")   # no stable version of this type exists (above)
NAME_RE = re.compile(r"^[^*%&:\\?+/#<>\x00-\x1f]{0,259}[^*%&:\\?+/#<>\x00-\x1f. ]$")
ACTIVITY_LOG = ("Administrative", "Security", "ServiceHealth", "Alert", "Recommendation", "Policy", "Autoscale", "ResourceHealth")
DESTINATION_TYPES = ("Dedicated", "AzureDiagnostics")
WORKSPACE_TYPE = "Microsoft.OperationalInsights/workspaces"
STORAGE_TYPE = "Microsoft.Storage/storageAccounts"


class SettingRef:
    """{scope}/providers/Microsoft.Insights/diagnosticSettings/{name}: an extension resource of a resource or a subscription."""

    def __init__(self, scope: str, name: str):
        self.scope, self.name = scope, name

    def __str__(self) -> str:
        return f"{self.scope}/providers/{SETTING_TYPE}/{self.name}"


def validate_scope(scope: str) -> tuple:
    """(scope id, is the subscription): a resource id or /subscriptions/<id>; a resource group has no settings."""
    rid = ResourceId.parse(scope, "scope")
    if rid.resource_group and not rid.namespace:
        raise AzureInputError(f"scope: {scope!r} is a resource group; diagnostic settings belong to a resource (its id) "
                              "or to a subscription (/subscriptions/<id>, the activity log)")
    return str(rid).rstrip("/"), rid.namespace is None


def _entries(items, what: str, kind: str, subscription: bool) -> list | None:
    """The logs/metrics list normalised to {category | category_group, enabled}; None when not given."""
    if items is None:
        return None
    out, seen = [], set()
    for item in items:
        category, group = item.get("category"), item.get("category_group")
        if kind == "logs" and bool(category) == bool(group):
            raise AzureInputError(f"{what}: give exactly one of category or category_group in {item!r}")
        if kind == "metrics" and not category:
            raise AzureInputError(f"{what}: category is required in {item!r} (for example AllMetrics)")
        if subscription and category and category not in ACTIVITY_LOG:
            raise AzureInputError(f"{what}: {category!r} is not an activity log category; valid: {', '.join(ACTIVITY_LOG)}")
        key = ("g:" + group if group else "c:" + category).lower()
        if key in seen:
            raise AzureInputError(f"{what}: {group or category!r} is listed twice")
        seen.add(key)
        entry = {"category_group": group} if group else {"category": category}
        entry["enabled"] = item.get("enabled", True) is not False
        out.append(entry)
    return out


def validate_setting(params: dict, subscription_id: str | None = None) -> dict:
    """Checks before any call; returns the normalised wanted values (None: not given). scope V(subscription) is the
    subscription the module works in (subscription_id)."""
    given = params["scope"]
    if str(given).strip().lower() == "subscription":
        given = f"/subscriptions/{subscription_id}"
    scope, subscription = validate_scope(given)
    name = params["name"]
    if not isinstance(name, str) or not NAME_RE.match(name):
        raise AzureInputError(f"name: {name!r} is not a valid diagnostic setting name; use 1-260 characters without "
                              "* % & : \\ ? + / # < >, not ending with a space or period")
    wanted = {"scope": scope, "subscription": subscription}
    for key, rtype in (("workspace_id", WORKSPACE_TYPE), ("storage_account_id", STORAGE_TYPE)):
        value = params.get(key)
        wanted[key] = str(ResourceId.parse(value, key, expect_type=rtype)) if value else None
    kind = params.get("log_analytics_destination_type")
    if kind is not None and subscription:
        raise AzureInputError("log_analytics_destination_type: the activity log always lands in AzureActivity; "
                              "a subscription's setting has no destination type")
    wanted["log_analytics_destination_type"] = kind
    if subscription and params.get("metrics") is not None:
        raise AzureInputError("metrics: a subscription's setting (the activity log) has logs only")
    wanted["logs"] = _entries(params.get("logs"), "logs", "logs", subscription)
    wanted["metrics"] = _entries(params.get("metrics"), "metrics", "metrics", subscription)
    return wanted


def _log_entries(raw) -> list:
    out = []
    for item in raw or []:
        entry = {"category_group": item["categoryGroup"]} if item.get("categoryGroup") else {"category": item.get("category")}
        entry["enabled"] = bool(item.get("enabled"))
        out.append(entry)
    return out


def setting_view(doc: dict | None, scope: str | None = None) -> dict:
    if not doc:
        return {}
    props = doc.get("properties") or {}
    view = {"id": doc.get("id"), "name": doc.get("name"), "scope": scope, "workspace_id": props.get("workspaceId"),
            "storage_account_id": props.get("storageAccountId"), "logs": _log_entries(props.get("logs"))}
    if "/providers/" in (scope or "").lower():   # a resource's setting; the activity log has neither
        view["metrics"] = _log_entries(props.get("metrics"))
        view["log_analytics_destination_type"] = props.get("logAnalyticsDestinationType") or "AzureDiagnostics"
    return view


def _enabled(entries: list) -> set:
    return {(("g:" + e["category_group"]) if e.get("category_group") else ("c:" + str(e.get("category")))).lower()
            for e in entries or [] if e.get("enabled")}


def _same(key: str, have, want) -> bool:
    if key in ("workspace_id", "storage_account_id"):
        return ids_equal(have, want) if have or want else True
    if key in ("logs", "metrics"):
        return _enabled(have) == _enabled(want)
    return have == want


def _rest_entries(entries: list) -> list:
    return [dict({"categoryGroup": e["category_group"]} if e.get("category_group") else {"category": e["category"]},
                 enabled=e["enabled"]) for e in entries]


def plan_setting(existing: dict | None, wanted: dict) -> Plan:
    """Create, a PUT of the whole setting (what exists, with the options given over it), or nothing."""
    have = setting_view(existing, wanted["scope"])
    given = {k: wanted[k] for k in ("workspace_id", "storage_account_id", "log_analytics_destination_type", "logs", "metrics")
             if wanted.get(k) is not None}
    merged = {k: have.get(k) for k in ("workspace_id", "storage_account_id", "log_analytics_destination_type", "logs", "metrics")}
    merged.update(given)
    if not (merged.get("workspace_id") or merged.get("storage_account_id")):
        raise AzureInputError("workspace_id or storage_account_id is needed: a diagnostic setting sends its logs somewhere")
    if not (_enabled(merged.get("logs")) or _enabled(merged.get("metrics"))):
        raise AzureInputError("logs or metrics: enable at least one log category (or group) or metric")
    before = {k: have.get(k) for k in given} if existing else {}
    after = dict(given)
    props = {}
    if merged.get("workspace_id"):
        props["workspaceId"] = merged["workspace_id"]
    if merged.get("storage_account_id"):
        props["storageAccountId"] = merged["storage_account_id"]
    props["logs"] = _rest_entries(merged.get("logs") or [])
    if not wanted["subscription"]:
        props["metrics"] = _rest_entries(merged.get("metrics") or [])
        if merged.get("log_analytics_destination_type") == "Dedicated":
            props["logAnalyticsDestinationType"] = "Dedicated"
    if existing is None:
        return Plan("create", {"properties": props}, {}, after)
    changed = any(not _same(k, have.get(k), v) for k, v in given.items())
    return Plan("put" if changed else "none", {"properties": props} if changed else None, before, after)


class DiagnosticSetting(Resource):
    what = "diagnostic setting"
    result_key = "diagnostic_setting"
    api = API

    def validate(self):
        sub = self.module.subscription_id if str(self.params["scope"]).strip().lower() == "subscription" else None
        self.wanted = validate_setting(self.params, sub)

    def resource_id(self) -> SettingRef:
        return SettingRef(self.wanted["scope"], self.params["name"])

    def view(self, doc):
        return setting_view(doc, self.wanted["scope"])

    def deleted_view(self, existing, related):
        return {k: v for k, v in self.view(existing).items() if k not in ("id", "name", "scope")}

    def plan(self, existing, related):
        return plan_setting(existing, self.wanted)

    def predict(self, existing, plan):
        if plan.action in ("create", "put"):
            return {"id": str(self.resource_id()), "name": self.params["name"], "properties": plan.body["properties"]}
        return existing
