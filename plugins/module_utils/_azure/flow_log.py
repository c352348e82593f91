# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Virtual network flow logs (Network Watcher) for the resource engine, with the region's watcher ensured. PRIVATE to
the collection.

Sources (docs/emulator.md lists them with the emulator's behaviour):
- REST spec Microsoft.Network stable 2026-03-01, networkWatcher.json (the version of the other network modules):
  PUT/PATCH(tags)/DELETE .../networkWatchers/{watcher}/flowLogs/{name}; FlowLogPropertiesFormat targetResourceId and
  storageId required, enabled, retentionPolicy {days, enabled}, format {type, version},
  flowAnalyticsConfiguration.networkWatcherFlowAnalyticsConfiguration {enabled, workspaceId (the workspace's GUID),
  workspaceRegion, workspaceResourceId, trafficAnalyticsInterval}; the flow log PUT is long-running, the tags PATCH is
  not; a watcher's PUT answers 200/201 and is not.
- learn.microsoft.com/azure/network-watcher/nsg-flow-logs-overview: NSG flow logs are retired on 30 September 2027 and
  new ones cannot be created since 30 June 2025 (Azure answers NsgFlowLogCreationBlocked, as quoted in
  Azure/bicep-registry-modules#6049): an NSG target is refused before any call.
- learn.microsoft.com/azure/network-watcher/vnet-flow-logs-overview: a flow log targets a virtual network, a subnet or
  a network interface; its storage account is in the target's region; JSON version 2 records.
- learn.microsoft.com/azure/network-watcher/network-watcher-create: Network Watcher is enabled automatically in a region
  when a virtual network is created or updated there (NetworkWatcher_<region> in NetworkWatcherRG) unless the
  subscription opted out; one watcher per region and subscription (NetworkWatcherCountLimitReached, Azure/azure-cli
  #15796). The module uses the region's watcher wherever it is, and creates NetworkWatcher_<region> when none exists.
- Traffic analytics (learn.microsoft.com/azure/network-watcher/traffic-analytics): processing every 10 or 60 minutes,
  billed per GB of flow logs processed (azure.microsoft.com/pricing/details/network-watcher), so it is off unless asked.
"""

from __future__ import annotations

from ansible_collections.complianceflow.infra.plugins.module_utils._azure.arm import GenericApi
from ansible_collections.complianceflow.infra.plugins.module_utils._azure.carry import Carried, identity_body
from ansible_collections.complianceflow.infra.plugins.module_utils._azure.ids import ResourceId, ids_equal
from ansible_collections.complianceflow.infra.plugins.module_utils._azure.resource_group import API as GROUP_API, resources_of_type
from ansible_collections.complianceflow.infra.plugins.module_utils._azure.runner import Plan, Resource, apply, tags_plan
from ansible_collections.complianceflow.infra.plugins.module_utils._azure.values import (
    AzureInputError, merge_tags, same_location, validate_name, validate_tags)

API = GenericApi("2026-03-01")
WATCHER_TYPE = "Microsoft.Network/networkWatchers"
FLOW_LOG_TYPE = "Microsoft.Network/networkWatchers/flowLogs"
TARGET_TYPES = ("Microsoft.Network/virtualNetworks", "Microsoft.Network/virtualNetworks/subnets", "Microsoft.Network/networkInterfaces")
STORAGE_TYPE = "Microsoft.Storage/storageAccounts"
WORKSPACE_TYPE = "Microsoft.OperationalInsights/workspaces"
DEFAULT_WATCHER_GROUP = "NetworkWatcherRG"
NSG_RETIRED = ("NSG flow logs can no longer be created (blocked since 30 June 2025, retired on 30 September 2027): "
               "give the virtual network (or a subnet or network interface) as target_resource_id")


def default_watcher_name(location: str) -> str:
    return f"NetworkWatcher_{(location or '').replace(' ', '').lower()}"


def _id(params: dict, key: str, provider_type: str, subscription_id: str | None) -> str:
    """An id as given, or the id of a name in O(resource_group)."""
    value = str(params.get(key) or "").strip()
    if value.startswith("/"):
        return value
    if not params.get("resource_group"):
        raise AzureInputError(f"{key}: {value!r} is a name; give its resource id, or resource_group with it")
    return str(ResourceId.build(subscription_id, params["resource_group"], provider_type, value))


def validate_flow_log(params: dict, subscription_id: str | None = None) -> dict:
    """Checks before any call; the normalised wanted values. Names are ids in resource_group of subscription_id."""
    validate_name(params["name"], "name")
    if params.get("resource_group"):
        validate_name(params["resource_group"], "resource_group", "resource group")
    target = ResourceId.parse(_id(params, "target_resource_id", TARGET_TYPES[0], subscription_id), "target_resource_id")
    if target.type_name.lower() == "microsoft.network/networksecuritygroups":
        raise AzureInputError(f"target_resource_id: {params['target_resource_id']!r} is a network security group; {NSG_RETIRED}")
    if target.type_name.lower() not in (t.lower() for t in TARGET_TYPES):
        raise AzureInputError(f"target_resource_id: {params['target_resource_id']!r} is a {target.type_name or 'scope'}; a flow "
                              f"log targets one of {', '.join(TARGET_TYPES)}")
    wanted = {"target_resource_id": str(target)}
    if params.get("state") == "present":
        if not params.get("storage_account_id"):
            raise AzureInputError("storage_account_id is required: flow logs are written to a storage account")
        wanted["storage_account_id"] = str(ResourceId.parse(_id(params, "storage_account_id", STORAGE_TYPE, subscription_id),
                                                            "storage_account_id", expect_type=STORAGE_TYPE))
    days = params.get("retention_days")
    if days is not None and days < 0:
        raise AzureInputError(f"retention_days: {days} is negative; 0 keeps the records (no deletion by Network Watcher)")
    ta = params.get("traffic_analytics")
    if ta and ta.get("enabled"):
        if not ta.get("workspace_id"):
            raise AzureInputError("traffic_analytics.workspace_id is required when traffic analytics is enabled")
        ResourceId.parse(ta["workspace_id"], "traffic_analytics.workspace_id", expect_type=WORKSPACE_TYPE)
        if ta.get("interval") not in (10, 60):
            raise AzureInputError(f"traffic_analytics.interval: {ta.get('interval')!r} is not 10 or 60 (minutes)")
    for key in ("network_watcher_name", "network_watcher_resource_group"):
        if params.get(key):
            validate_name(params[key], key, "resource group" if key.endswith("group") else "network")
    return wanted


def flow_log_view(doc: dict | None) -> dict:
    if not doc:
        return {}
    props = doc.get("properties") or {}
    retention, fmt = props.get("retentionPolicy") or {}, props.get("format") or {}
    ta = (props.get("flowAnalyticsConfiguration") or {}).get("networkWatcherFlowAnalyticsConfiguration") or {}
    return {"id": doc.get("id"), "name": doc.get("name"), "location": doc.get("location"), "tags": dict(doc.get("tags") or {}),
            "target_resource_id": props.get("targetResourceId"), "storage_account_id": props.get("storageId"),
            "enabled": props.get("enabled"), "retention_days": retention.get("days", 0) if retention.get("enabled") else 0,
            "format_version": fmt.get("version"),
            "traffic_analytics": {"enabled": bool(ta.get("enabled")), "workspace_id": ta.get("workspaceResourceId"),
                                  "interval": ta.get("trafficAnalyticsInterval")},
            "provisioning_state": props.get("provisioningState")}


def _same(key, have, want) -> bool:
    if key in ("target_resource_id", "storage_account_id"):
        return ids_equal(have, want)
    if key == "traffic_analytics":
        if not want.get("enabled"):
            return not have.get("enabled")
        return bool(have.get("enabled")) and ids_equal(have.get("workspace_id"), want.get("workspace_id")) and \
            have.get("interval") == want.get("interval")
    return have == want


def plan_flow_log(existing: dict | None, params: dict, wanted: dict, location: str, workspace: dict | None) -> Plan:
    """Create or PUT the whole flow log (what exists, the options given over it), a tags PATCH, or nothing."""
    have = flow_log_view(existing)
    given = {"target_resource_id": wanted["target_resource_id"], "storage_account_id": wanted["storage_account_id"]}
    for key in ("enabled", "retention_days", "format_version"):
        if params.get(key) is not None:
            given[key] = params[key]
    if params.get("traffic_analytics") is not None:
        ta = params["traffic_analytics"]
        given["traffic_analytics"] = ({"enabled": True, "workspace_id": ta["workspace_id"], "interval": ta["interval"]}
                                      if ta.get("enabled") else {"enabled": False})
    merged = {"enabled": True, "retention_days": 0, "format_version": 2, "traffic_analytics": {"enabled": False}}
    merged.update({k: v for k, v in have.items() if v is not None})
    merged.update(given)
    days, ta = merged["retention_days"], merged["traffic_analytics"]
    props = {"targetResourceId": merged["target_resource_id"], "storageId": merged["storage_account_id"], "enabled": merged["enabled"],
             "retentionPolicy": {"days": days, "enabled": days > 0}, "format": {"type": "JSON", "version": merged["format_version"]}}
    analytics = {"enabled": bool(ta.get("enabled"))}
    if ta.get("enabled"):
        if workspace is None:
            raise AzureInputError(f"traffic_analytics.workspace_id: workspace {ta['workspace_id']!r} does not exist")
        analytics.update(workspaceId=(workspace.get("properties") or {}).get("customerId"), workspaceRegion=workspace.get("location"),
                         workspaceResourceId=workspace.get("id") or ta["workspace_id"], trafficAnalyticsInterval=ta["interval"])
    props["flowAnalyticsConfiguration"] = {"networkWatcherFlowAnalyticsConfiguration": analytics}
    old_tags = dict((existing or {}).get("tags") or {})
    tags = merge_tags(old_tags, params.get("tags"), params.get("purge_tags", True))
    before = {k: have.get(k) for k in given} if existing else {}
    after = dict(given)
    if params.get("tags") is not None:
        before["tags"], after["tags"] = old_tags, tags
    changed = existing is not None and any(not _same(k, have.get(k), v) for k, v in given.items())
    return tags_plan(existing, {"location": location, "properties": props}, before, after, changed, tags)


class FlowLog(Resource):
    what = "flow log"
    # FlowLogPropertiesFormat (2026-03-01) writable parts this module does not manage (carry.py)
    carried = Carried(properties=dict.fromkeys(("enabledFilteringCriteria", "recordTypes")), top_level={"identity": identity_body})
    result_key = "flow_log"
    api = API

    def validate(self):
        self.params["tags"] = validate_tags(self.params.get("tags"))
        names = any(v and not str(v).strip().startswith("/") for v in (self.params.get("target_resource_id"), self.params.get("storage_account_id")))
        self.wanted = validate_flow_log(self.params, self.module.subscription_id if names and self.params.get("resource_group") else None)
        self.watcher_exists = True
        self.skipped = None

    def _target(self) -> dict | None:
        if not hasattr(self, "_target_doc"):
            rid = self.wanted["target_resource_id"]
            self._target_doc = self.module.get_or_none(f"get flow log target {rid}", lambda: self.module.arm.get(rid, API.api_version))
        return self._target_doc

    def _location(self) -> str:
        target = self._target()
        location = (target or {}).get("location")
        if target is not None and location is None and "/subnets/" in self.wanted["target_resource_id"].lower():
            vnet = self.wanted["target_resource_id"].rsplit("/subnets/", 1)[0]
            location = (self.module.get_or_none(f"get virtual network {vnet}", lambda: self.module.arm.get(vnet, API.api_version)) or {}).get("location")
        given = self.params.get("location")
        if location and given and not same_location(location, given):
            raise AzureInputError(f"location: {given!r} differs from the target's region {location!r}; a flow log lives in its "
                                  "target's region")
        if not (location or given):
            raise AzureInputError(f"target_resource_id: {self.wanted['target_resource_id']!r} does not exist; give location to "
                                  "plan the flow log before the target exists")
        return (location or given).replace(" ", "").lower()

    def resource_id(self) -> ResourceId:
        """The flow log under the region's watcher: given, found among the subscription's watchers, or the default one."""
        if hasattr(self, "watcher"):
            return self.watcher.child("flowLogs", self.params["name"])
        self.location = self._location()
        group, name = self.params.get("network_watcher_resource_group"), self.params.get("network_watcher_name")
        if not (group and name):
            with self.module.operation("list the subscription's network watchers"):
                listed = self.module.arm.list(f"/subscriptions/{self.module.subscription_id}/providers/{WATCHER_TYPE}", API.api_version)
            found = next((w for w in listed if same_location(w.get("location"), self.location)), None)
            if found is not None:
                wid = ResourceId.parse(found["id"], "network watcher")
                group, name = group or wid.resource_group, name or wid.name
        self.watcher = ResourceId.build(self.module.subscription_id, group or DEFAULT_WATCHER_GROUP, WATCHER_TYPE,
                                        name or default_watcher_name(self.location))
        return self.watcher.child("flowLogs", self.params["name"])

    def view(self, doc):
        return flow_log_view(doc)

    def _storage(self) -> dict | None:
        """The storage account as its group lists it (the generic list works for every type), or None."""
        sid = ResourceId.parse(self.wanted["storage_account_id"], "storage_account_id")
        listed = resources_of_type(self.module, ResourceId.build(sid.subscription, sid.resource_group), STORAGE_TYPE)
        return next((d for d in listed if str(d.get("name", "")).lower() == sid.name.lower()), None)

    def before_plan(self, existing, related):
        if self._target() is None and not self.module.check_mode:
            self.module.fail_json(msg=f"target_resource_id: {self.wanted['target_resource_id']!r} does not exist; create the virtual network first")
        storage = self._storage()
        if storage is None:
            message = (f"storage account {self.wanted['storage_account_id']} does not exist: the flow log "
                       f"{self.params['name']} is not {'changed' if existing else 'created'}")
            if self.params.get("when_storage_missing") == "skip":
                self.module.warn(message)
                self.module.exit_json(changed=False, skipped=True, msg=message, flow_log=flow_log_view(existing),
                                      network_watcher={"id": str(self.watcher), "name": self.watcher.name,
                                                       "resource_group": self.watcher.resource_group, "created": False})
            self.module.fail_json(msg=message + " (when_storage_missing=skip reports this instead of failing)")
        if not same_location(storage.get("location"), self.location):
            self.module.fail_json(msg=f"storage_account_id: the account is in {storage.get('location')}, the target in "
                                      f"{self.location}; Azure needs the flow log's storage account in the target's region")
        self.watcher_exists = self.module.get_or_none(f"get network watcher {self.watcher.name}", API.get, self.module, self.watcher) is not None
        return existing

    def plan(self, existing, related):
        workspace = None
        ta = self.params.get("traffic_analytics") or {}
        if ta.get("enabled"):
            wid = str(ResourceId.parse(ta["workspace_id"], "traffic_analytics.workspace_id"))
            workspace = self.module.get_or_none(f"get workspace {wid}", lambda: self.module.arm.get(wid, "2025-07-01"))
        plan = plan_flow_log(existing, self.params, self.wanted, self.location, workspace)
        if not self.watcher_exists:
            plan.notes.append(f"network watcher {self.watcher.name} does not exist in {self.watcher.resource_group} (the subscription "
                              "may have opted out of automatic enablement): it is created")
            plan.after["network_watcher"] = str(self.watcher)
        return plan

    def before_write(self, existing, plan):
        if not self.watcher_exists:
            group = ResourceId.build(self.watcher.subscription, self.watcher.resource_group)
            if self.module.get_or_none(f"get resource group {group.name}", GROUP_API.get, self.module, group) is None:
                # Another run can make the group between that read and this write, in its own region (deploy.yml
                # deploys several regions side by side): Azure then refuses ours as InvalidResourceGroupLocation. The
                # group is there, and its region does not matter to the watcher ("The location doesn't need to be the
                # same location as the resource group location", learn.microsoft.com azure-resource-manager/templates/
                # resource-location; Azure's own NetworkWatcherRG holds every region's watcher): go on.
                apply(self.module, GROUP_API, f"create resource group {group.name}", "PUT", group, {"location": self.location},
                      done_codes=("InvalidResourceGroupLocation",))
            apply(self.module, API, f"create network watcher {self.watcher.name}", "PUT", self.watcher,
                  {"location": self.location, "properties": {}})

    def result(self, doc, related):
        return {self.result_key: flow_log_view(doc) if doc else {},
                "network_watcher": {"id": str(self.watcher), "name": self.watcher.name, "resource_group": self.watcher.resource_group,
                                    "created": not self.watcher_exists}}
