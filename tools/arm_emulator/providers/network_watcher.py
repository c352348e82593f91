"""Microsoft.Network Network Watcher and its (virtual network) flow logs.

Sources (docs/emulator.md lists each rule with its status/code):
- REST spec Microsoft.Network stable 2026-03-01 networkWatcher.json (specs/Microsoft.Network/2026-03-01/): a watcher's
  PUT answers 200/201 (not long-running), its DELETE is long-running; a flow log's PUT is long-running
  (azure-async-operation), its PATCH (FlowLogs_UpdateTags) is not, its DELETE is; FlowLogPropertiesFormat requires
  targetResourceId and storageId (checked by openapi.check_body).
- One watcher per region and subscription: 400 NetworkWatcherCountLimitReached "Cannot create more than 1 network
  watchers for this subscription in this region." (Azure's answer quoted in Azure/azure-cli#15796; status unverified).
- NSG flow logs can no longer be created (learn.microsoft.com/azure/network-watcher/nsg-flow-logs-overview: retired
  30 September 2027, creation blocked from 30 June 2025): NsgFlowLogCreationBlocked with Azure's message as quoted in
  Azure/bicep-registry-modules#6049 (status unverified); an existing NSG flow log may still be changed.
- learn.microsoft.com/azure/network-watcher/vnet-flow-logs-overview: targets are a virtual network, a subnet or a
  network interface; the storage account must be in the target's region; the watcher is the one of the target's
  region. The refusals' status and codes are unverified, as is the refusal of a second flow log on one target.
"""
from __future__ import annotations

import uuid

from ..errors import ArmError
from .base import Context, Ref, TopLevelType, require_dict

NS = "Microsoft.Network"
TARGET_TYPES = ("microsoft.network/virtualnetworks", "microsoft.network/virtualnetworks/subnets",
                "microsoft.network/networkinterfaces")
NSG_TYPE = "microsoft.network/networksecuritygroups"
NSG_BLOCKED = ("On September 30, 2027, Network Security Group (NSG) flow logs will be retired. As part of this retirement, "
               "creation of new NSG flow logs is blocked starting June 30, 2025, but you will be able to continue using and "
               "modifying settings for existing NSG flow logs that are previously deployed/configured until Sept 30th 2027. "
               "We recommend migrating to virtual network flow logs, which overcome the limitations of NSG flow logs. For "
               "migration, please refer to https://learn.microsoft.com/en-us/azure/network-watcher/nsg-flow-logs-migrate.")


def _bad(code: str, message: str) -> ArmError:
    return ArmError(400, code, message)   # status unverified; codes as docs/emulator.md says


def _loc(value) -> str:
    return str(value or "").replace(" ", "").lower()


def _type_of(resource_id: str) -> str:
    """microsoft.network/virtualnetworks/subnets from an id."""
    parts = resource_id.strip("/").split("/")
    if "providers" not in [p.lower() for p in parts]:
        return ""
    at = [p.lower() for p in parts].index("providers")
    rest = parts[at + 1:]
    return "/".join([rest[0]] + rest[1::2]).lower() if rest else ""


class NetworkWatchers(TopLevelType):
    namespace, types = NS, ("networkWatchers",)
    lro_put = False   # NetworkWatchers_CreateOrUpdate answers 200/201

    def build_properties(self, ctx: Context, ref: Ref, body: dict, existing: dict | None, location: str) -> dict:
        if existing is None:
            for other in ctx.state.of_type(self.type_name, f"/subscriptions/{ref.subscription}"):
                if _loc(other.get("location")) == _loc(location):
                    raise _bad("NetworkWatcherCountLimitReached",
                               "Cannot create more than 1 network watchers for this subscription in this region.")
        require_dict(body.get("properties"), "properties")
        return {"provisioningState": "Succeeded"}


class FlowLogs(TopLevelType):
    namespace, types = NS, ("networkWatchers", "flowLogs")
    lro_patch = False   # FlowLogs_UpdateTags

    def put(self, ctx: Context, ref: Ref, body: dict):
        ctx.handler(f"{NS}/networkWatchers").get(ctx, ref.parent())   # 404 when the watcher does not exist
        return super().put(ctx, ref, body)

    def build_properties(self, ctx: Context, ref: Ref, body: dict, existing: dict | None, location: str) -> dict:
        props = dict(require_dict(body.get("properties"), "properties"))
        watcher = ctx.handler(f"{NS}/networkWatchers").get(ctx, ref.parent())
        target_id, storage_id = str(props.get("targetResourceId") or ""), str(props.get("storageId") or "")
        kind = _type_of(target_id)
        if kind == NSG_TYPE and existing is None:
            raise _bad("NsgFlowLogCreationBlocked", NSG_BLOCKED)
        if kind not in TARGET_TYPES + (NSG_TYPE,):
            raise _bad("InvalidTargetResource", f"The flow log target '{target_id}' is not a virtual network, a subnet or a "
                                                "network interface.")
        target = ctx.state.find(target_id)
        if target is None:
            raise _bad("InvalidTargetResource", f"The flow log target '{target_id}' does not exist.")
        target_location = target.get("location") or (ctx.state.find(target_id.rsplit("/subnets/", 1)[0]) or {}).get("location")
        if _loc(target_location) != _loc(watcher["location"]):
            raise _bad("InvalidTargetResource", f"The flow log target '{target_id}' is in '{target_location}'; network watcher "
                                                f"'{watcher['name']}' is in '{watcher['location']}'.")
        storage = ctx.state.find(storage_id) if _type_of(storage_id) == "microsoft.storage/storageaccounts" else None
        if storage is None:
            raise _bad("InvalidStorageAccount", f"The storage account '{storage_id}' does not exist.")
        if _loc(storage.get("location")) != _loc(target_location):
            raise _bad("InvalidStorageAccount", f"The storage account '{storage_id}' is in '{storage.get('location')}'; it must be "
                                                f"in the flow log target's region '{target_location}'.")
        for other in ctx.state.of_type(self.type_name, f"/subscriptions/{ref.subscription}"):
            if other["id"].lower() != ref.id.lower() and \
                    str(other["properties"].get("targetResourceId", "")).lower() == target_id.lower():
                raise _bad("FlowLogAlreadyExists", f"The target '{target_id}' already has flow log '{other['id']}'.")
        fmt = require_dict(props.get("format"), "properties.format")
        if fmt.get("type") not in (None, "JSON"):
            raise _bad("InvalidFlowLogFormat", f"Flow log format '{fmt.get('type')}' is not supported: JSON.")
        analytics = require_dict(require_dict(props.get("flowAnalyticsConfiguration"), "properties.flowAnalyticsConfiguration")
                                 .get("networkWatcherFlowAnalyticsConfiguration"), "networkWatcherFlowAnalyticsConfiguration")
        if analytics.get("enabled"):
            workspace = ctx.state.find(str(analytics.get("workspaceResourceId") or ""))
            if workspace is None:
                raise _bad("InvalidWorkspace", f"Traffic analytics workspace '{analytics.get('workspaceResourceId')}' does not exist.")
            if analytics.get("trafficAnalyticsInterval") not in (None, 10, 60):
                raise _bad("InvalidTrafficAnalyticsInterval", "trafficAnalyticsInterval must be 10 or 60 minutes.")
        old = (existing or {}).get("properties", {})
        return dict(props, format=dict({"type": "JSON", "version": 1}, **fmt),
                    retentionPolicy=dict({"days": 0, "enabled": False}, **require_dict(props.get("retentionPolicy"), "retentionPolicy")),
                    enabled=props.get("enabled", True) is not False,
                    targetResourceGuid=old.get("targetResourceGuid") or str(uuid.uuid4()), provisioningState="Succeeded")


TYPES = [NetworkWatchers(), FlowLogs()]
