# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Log Analytics workspaces and the retention of their tables, for the resource engine. PRIVATE to the collection.

Sources (docs/emulator.md lists them with the emulator's behaviour):
- REST spec Microsoft.OperationalInsights stable 2025-07-01, Workspaces.json and Tables.json: the workspace PUT
  and DELETE are long-running, its PATCH is not; SKU names; table retentionInDays 4-730 and
  totalRetentionInDays 4-4383 (-1: the default); a table PATCH is long-running.
- learn.microsoft.com/azure/azure-monitor/logs/data-retention-configure: Analytics retention up to two years
  (730 days); a total retention beyond that is set in whole years, up to twelve.
- learn.microsoft.com/azure/azure-resource-manager/management/resource-name-rules: a workspace name has 4-63
  letters, digits and hyphens, starting and ending with a letter or digit.
"""

from __future__ import annotations

import re

from ansible_collections.complianceflow.infra.plugins.module_utils._azure.arm import GenericApi
from ansible_collections.complianceflow.infra.plugins.module_utils._azure.ids import ResourceId
from ansible_collections.complianceflow.infra.plugins.module_utils._azure.runner import Child, Plan, Resource, merge_keyed
from ansible_collections.complianceflow.infra.plugins.module_utils._azure.values import (
    AzureInputError, merge_tags, same_location, validate_name, validate_tags)

WORKSPACE_TYPE = "Microsoft.OperationalInsights/workspaces"
API = GenericApi("2025-07-01")   # no SDK: ARM's generic operations (docs/resource-engine.md)
NAME_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9-]{2,61}[A-Za-z0-9]$")
TABLE_RE = re.compile(r"^[A-Za-z][A-Za-z0-9_]{0,62}$")
SKUS = ("PerGB2018", "CapacityReservation", "Free", "Standalone", "PerNode", "Standard", "Premium", "LACluster")
# In the spec's enum, but Azure refuses a create or update with them (terraform-provider-azurerm PR #30101, 2025:
# "create or update workspace to `free`, `standard` or `premium` sku is not allowed on API side"; #30083; #26477).
RETIRED_SKUS = ("Free", "Standard", "Premium")
# Total retention past two years is set in whole years (1095 = 3 years ... 4383 = 12 years).
YEARLY_TOTAL_RETENTION = (1095, 1460, 1826, 2191, 2556, 2922, 3288, 3653, 4018, 4383)
# Option -> (path under properties, kind) of what the module manages on the workspace itself.
FIELDS = {"sku": (("sku", "name"), str), "retention_in_days": (("retentionInDays",), int),
          "local_authentication_disabled": (("features", "disableLocalAuth"), bool),
          "public_network_access_for_ingestion": (("publicNetworkAccessForIngestion",), str),
          "public_network_access_for_query": (("publicNetworkAccessForQuery",), str)}


def validate_total_retention(days, what: str) -> int:
    if isinstance(days, bool) or not isinstance(days, int) or not (4 <= days <= 730 or days in YEARLY_TOTAL_RETENTION):
        raise AzureInputError(f"{what}: {days!r} is not a total retention Azure accepts: 4-730 days, or whole years "
                              f"({', '.join(map(str, YEARLY_TOTAL_RETENTION))}); 7 years is 2556")
    return days


def validate_workspace(params: dict) -> list:
    """Checks before any call; returns the normalised table list (or None)."""
    validate_name(params["resource_group"], "resource_group", "resource group")
    if not NAME_RE.match(params["name"] or ""):
        raise AzureInputError(f"name: {params['name']!r} is not a valid workspace name; Azure allows 4-63 letters, digits "
                              "and hyphens, starting and ending with a letter or digit")
    if params.get("sku") in RETIRED_SKUS:
        raise AzureInputError(f"sku: {params['sku']} is a retired pricing tier Azure no longer accepts for a workspace; use "
                              "PerGB2018 (pay as you go) or CapacityReservation")
    days = params.get("retention_in_days")
    if days is not None and not 30 <= days <= 730:
        raise AzureInputError(f"retention_in_days: {days} is out of range 30-730 (the workspace's Analytics retention; "
                              "longer retention is per table: tables[].total_retention_in_days)")
    tables, seen = [], set()
    for table in params.get("tables") or []:
        name = table["name"]
        if not TABLE_RE.match(name) or name.lower() in seen:
            raise AzureInputError(f"tables: {name!r} is not a table name (letters, digits, _) or is listed twice")
        seen.add(name.lower())
        wanted = {"name": name}
        if table.get("retention_in_days") is not None:
            if not 4 <= table["retention_in_days"] <= 730:
                raise AzureInputError(f"tables[{name}].retention_in_days: {table['retention_in_days']} is out of range 4-730")
            wanted["retention_in_days"] = table["retention_in_days"]
        if table.get("total_retention_in_days") is not None:
            wanted["total_retention_in_days"] = validate_total_retention(table["total_retention_in_days"], f"tables[{name}].total_retention_in_days")
        if wanted.get("total_retention_in_days", 730) < wanted.get("retention_in_days", 0):
            raise AzureInputError(f"tables[{name}]: total_retention_in_days is shorter than retention_in_days")
        tables.append(wanted)
    return tables if params.get("tables") is not None else None


def _get(props: dict, path: tuple):
    for key in path:
        props = (props or {}).get(key)
    return props


def _set(props: dict, path: tuple, value) -> None:
    for key in path[:-1]:
        props = props.setdefault(key, {})
    props[path[-1]] = value


def workspace_view(doc: dict | None) -> dict:
    if not doc:
        return {}
    props = doc.get("properties") or {}
    view = {"id": doc.get("id"), "name": doc.get("name"), "location": doc.get("location"), "tags": dict(doc.get("tags") or {}),
            "customer_id": props.get("customerId"), "provisioning_state": props.get("provisioningState")}
    view.update({key: _get(props, path) for key, (path, _kind) in FIELDS.items()})
    return view


def table_view(table: dict) -> dict:
    props = table.get("properties") or {}
    return {"name": table.get("name"), "retention_in_days": props.get("retentionInDays"),
            "total_retention_in_days": props.get("totalRetentionInDays"), "plan": props.get("plan")}


def _table_properties(table: dict) -> dict:
    pairs = (("retentionInDays", table.get("retention_in_days")), ("totalRetentionInDays", table.get("total_retention_in_days")))
    return {key: value for key, value in pairs if value is not None}


def plan_workspace(existing: dict | None, tables: list, params: dict, tables_wanted: list | None, rid: ResourceId) -> Plan:
    """Create (PUT), PATCH of the options given that differ, or nothing; then one PATCH per table that differs."""
    if existing is None and not params.get("location"):
        raise AzureInputError(f"workspace {params['name']!r} does not exist: location is needed to create it")
    if existing and params.get("location") and not same_location(existing["location"], params["location"]):
        raise AzureInputError(f"workspace {params['name']!r} is in {existing['location']}; Azure cannot move it to {params['location']}")
    have = workspace_view(existing)
    given = {key: params[key] for key in FIELDS if params.get(key) is not None}
    if existing is None:
        given.setdefault("sku", "PerGB2018")
    props, before, after = {}, {}, {}
    for key, value in given.items():
        before[key], after[key] = have.get(key), value
        if have.get(key) != value:
            _set(props, FIELDS[key][0], value)
    old_tags = dict((existing or {}).get("tags") or {})
    tags = merge_tags(old_tags, params.get("tags"), params.get("purge_tags", True))
    if params.get("tags") is not None:
        before["tags"], after["tags"] = old_tags, tags
    merged = merge_keyed(tables, tables_wanted, purge=False, view=table_view)
    if tables_wanted is not None:
        before["tables"], after["tables"] = merged.before, merged.after
    children = [Child(f"set the retention of table {t['name']} of {rid.name}", "PATCH", rid.child("tables", t["name"]),
                      {"properties": _table_properties(t)}, API) for t in merged.added + merged.updated]
    if existing is None:
        return Plan("create", {"location": params["location"], "tags": tags, "properties": props}, {}, after, children)
    patch = dict({"properties": props} if props else {}, **({"tags": tags} if tags != old_tags else {}))
    return Plan("patch" if patch else "none", patch or None, before, after, children)


class LogAnalyticsWorkspace(Resource):
    what = "Log Analytics workspace"
    result_key = "workspace"
    api = API
    provider_type = WORKSPACE_TYPE

    def validate(self):
        self.params["tags"] = validate_tags(self.params.get("tags"))
        self.tables = validate_workspace(self.params)

    def view(self, doc):
        return workspace_view(doc)

    def read_related(self, rid, existing):
        """Only the tables the task lists (a workspace has hundreds)."""
        found = []
        for table in self.tables or []:
            doc = self.module.get_or_none(f"get table {table['name']} of {rid.name}", API.get, self.module, rid.child("tables", table["name"]))
            if doc is not None:
                found.append(doc)
        return {"tables": found}

    def plan(self, existing, related):
        return plan_workspace(existing, related.get("tables", []), self.params, self.tables, self.resource_id())

    def predict_related(self, related, plan):
        tables = {t["name"].lower(): t for t in related.get("tables", [])}
        for child in plan.children:
            old = tables.get(child.resource_id.name.lower(), {"name": child.resource_id.name, "properties": {}})
            tables[child.resource_id.name.lower()] = dict(old, properties=dict(old.get("properties") or {}, **child.body["properties"]))
        return {"tables": list(tables.values())}

    def result(self, doc, related):
        return {self.result_key: workspace_view(doc) if doc else {},
                "tables": [table_view(t) for t in related.get("tables", [])] if doc else []}
