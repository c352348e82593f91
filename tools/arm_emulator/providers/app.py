"""Microsoft.App: Container Apps managed environments (the environment only; apps are the application layer's).

Sources (docs/emulator.md lists each rule with its status/code; the codes of the refusals are unverified):
- REST spec Microsoft.App ContainerApps stable 2026-07-01, openapi.json (vendored as an excerpt under
  specs/Microsoft.App/2026-07-01/): ManagedEnvironments_CreateOrUpdate (PUT), _Update (PATCH, "JSON Merge Patch", its
  body a ManagedEnvironment with the required location) and _Delete are long-running; VnetConfiguration.internal
  ("They must provide infrastructureSubnetId if enabling this property"), infrastructureSubnetId, dockerBridgeCidr,
  platformReservedCidr, platformReservedDnsIP and zoneRedundant are x-ms-mutability read+create (set on create, never
  changed); AppLogsConfiguration.destination "can be 'log-analytics', 'azure-monitor' or 'none'" and
  logAnalyticsConfiguration "must only be provided when destination is configured as 'log-analytics'"; its sharedKey
  is x-ms-secret (never returned); defaultDomain, staticIp, provisioningState are read-only.
- learn.microsoft.com/azure/container-apps/networking: a workload-profiles environment needs a subnet of at least /27
  (consumption-only: /23), delegated to Microsoft.App/environments; the subnet size cannot change after creation; once
  created, an environment's network type cannot change.
- learn.microsoft.com/azure/reliability/reliability-azure-container-apps: zone redundancy is set when the environment is
  created and needs a virtual network (a custom infrastructure subnet).
"""
from __future__ import annotations

import ipaddress
import re
import uuid

from ..errors import ArmError
from .base import Context, Ref, TopLevelType, public, require_dict
from .network import SUBNET_TYPE, mark_subnet_in_use, same_location, subnet_prefixes

NS = "Microsoft.App"
DELEGATION = "Microsoft.App/environments"
DESTINATIONS = ("log-analytics", "azure-monitor", "none")
MIN_PREFIX = 27          # workload profiles (consumption-only environments need /23)
MIN_PREFIX_CONSUMPTION_ONLY = 23
VNET_KEYS = ("internal", "infrastructureSubnetId", "dockerBridgeCidr", "platformReservedCidr", "platformReservedDnsIP")


def _bad(message: str, code: str = "BadRequest") -> ArmError:
    return ArmError(400, code, message)   # status and code unverified (docs/emulator.md)


def _subnet(ctx: Context, subnet_id: str, env_id: str, location: str, workload_profiles: bool) -> dict:
    subnet = ctx.find(subnet_id) if subnet_id else None
    vnet = ctx.find(subnet_id.rsplit("/subnets/", 1)[0]) if subnet is not None and "/subnets/" in subnet_id else None
    if subnet is None or vnet is None or subnet.get("type", "").lower() != SUBNET_TYPE.lower():
        # Azure's code and message for a missing subnet (microsoft/azure-container-apps#1220, 400), the subnet's id after it
        raise _bad("The environment network configuration is invalid: The subnet and its addressPrefix could not be found. "
                   f"({subnet_id})", "ManagedEnvironmentInvalidNetworkConfiguration")
    if not same_location(vnet["location"], location):
        raise _bad(f"The subnet {subnet_id} is in {vnet['location']}; the environment {env_id} is in {location}: they must be "
                   "in the same region.")
    services = [d.get("properties", {}).get("serviceName") for d in subnet.get("properties", {}).get("delegations") or []]
    if DELEGATION not in services:
        # Azure's code and message (MicrosoftDocs/azure-docs#119379, kommodity-io/kommodity#440)
        raise _bad(f"The subnet of the environment must be delegated to the service '{DELEGATION}'. Update the subnet "
                   f"{subnet_id} (delegated to: {', '.join(services) or 'nothing'}).", "ManagedEnvironmentSubnetDelegationError")
    minimum = MIN_PREFIX if workload_profiles else MIN_PREFIX_CONSUMPTION_ONLY
    for prefix in subnet_prefixes(subnet):
        net = ipaddress.ip_network(prefix, strict=False)
        if net.prefixlen > minimum:
            raise _bad(f"The subnet {subnet_id} ({prefix}) is too small: a "
                       f"{'workload profiles' if workload_profiles else 'consumption only'} environment needs at least /{minimum}.")
    return subnet


class ManagedEnvironments(TopLevelType):
    namespace, types = NS, ("managedEnvironments",)
    lro_patch = True
    # resource-name-rules (Microsoft.App managedEnvironments): 2-60, lowercase letters, digits and hyphens, starting with
    # a letter, ending alphanumeric, no '--'.
    name_pattern = re.compile(r"^(?!.*--)[a-z][a-z0-9-]{0,58}[a-z0-9]$")
    name_rule = ("The name must be 2-60 lowercase letters, digits and hyphens, start with a letter, end with a letter or "
                 "digit and not contain '--'.")
    top_level_keys = ("kind", "identity")

    def validate_name(self, name: str, pattern: re.Pattern | None = None, rule: str | None = None) -> None:
        """Azure's code and message for a refused environment name: `ManagedEnvironmentInvalidName` "The environment
        name <name> is invalid." (Azure/azure-cli-extensions#5555, a name with underscores; its status is not shown
        there: 400 unverified). The rule after it is the emulator's."""
        if not (pattern or self.name_pattern).match(name):
            raise ArmError(400, "ManagedEnvironmentInvalidName", f"The environment name {name} is invalid. {rule or self.name_rule}")

    def build_properties(self, ctx: Context, ref: Ref, body: dict, existing: dict | None, location: str) -> dict:
        props = dict(require_dict(body.get("properties"), "properties"))
        old = (existing or {}).get("properties") or {}
        vnet = dict(require_dict(props.get("vnetConfiguration"), "properties.vnetConfiguration"))
        if existing is not None:
            old_vnet = old.get("vnetConfiguration") or {}
            for key in VNET_KEYS:
                if key in vnet and vnet[key] != old_vnet.get(key):
                    raise _bad(f"properties.vnetConfiguration.{key} cannot be changed after the environment is created "
                               f"(it is {old_vnet.get(key)!r}).")
            if "zoneRedundant" in props and bool(props["zoneRedundant"]) != bool(old.get("zoneRedundant")):
                raise _bad(f"properties.zoneRedundant cannot be changed after the environment is created (it is "
                           f"{bool(old.get('zoneRedundant'))}).")
            vnet = dict(old_vnet, **vnet)
        profiles = props.get("workloadProfiles", old.get("workloadProfiles"))
        if existing is None:
            if vnet.get("internal") and not vnet.get("infrastructureSubnetId"):
                raise _bad("properties.vnetConfiguration.internal needs infrastructureSubnetId: an internal environment "
                           "must be given its subnet.")
            if props.get("zoneRedundant") and not vnet.get("infrastructureSubnetId"):
                raise _bad("properties.zoneRedundant needs a virtual network: give vnetConfiguration.infrastructureSubnetId.")
            if vnet.get("infrastructureSubnetId"):
                _subnet(ctx, str(vnet["infrastructureSubnetId"]), ref.id, location, bool(profiles))
                mark_subnet_in_use(ctx, str(vnet["infrastructureSubnetId"]), ref.id)
        logs = require_dict(props.get("appLogsConfiguration", old.get("appLogsConfiguration")), "properties.appLogsConfiguration")
        destination = logs.get("destination")
        if destination not in (None, "") + DESTINATIONS:
            raise _bad(f"properties.appLogsConfiguration.destination '{destination}' is not one of {', '.join(DESTINATIONS)}.")
        if logs.get("logAnalyticsConfiguration") and destination != "log-analytics":
            raise _bad("properties.appLogsConfiguration.logAnalyticsConfiguration must only be given with destination "
                       "'log-analytics'.")
        if destination == "log-analytics":
            la = require_dict(logs.get("logAnalyticsConfiguration"), "logAnalyticsConfiguration")
            if not la.get("customerId") or not (la.get("sharedKey") or (old.get("appLogsConfiguration") or {}).get("_sharedKey")):
                raise _bad("destination 'log-analytics' needs logAnalyticsConfiguration.customerId and sharedKey.")
        out = dict(old, **props)
        if vnet:
            out["vnetConfiguration"] = vnet
        out["zoneRedundant"] = bool(old.get("zoneRedundant") if existing is not None else props.get("zoneRedundant", False))
        out["environmentMode"] = "WorkloadProfiles" if profiles else "ConsumptionOnly"
        static_ip = old.get("staticIp") or self._static_ip(ctx, vnet)
        out.update(defaultDomain=old.get("defaultDomain") or f"{ref.name}-{uuid.uuid4().hex[:8]}.{location.replace(' ', '').lower()}"
                   ".azurecontainerapps.io", staticIp=static_ip, provisioningState="Succeeded",
                   eventStreamEndpoint=old.get("eventStreamEndpoint") or f"https://{location.replace(' ', '').lower()}"
                   f".azurecontainerapps.dev/subscriptions/{ref.subscription}/resourceGroups/{ref.resource_group}"
                   f"/managedEnvironments/{ref.name}/eventstream")
        return out

    @staticmethod
    def _static_ip(ctx: Context, vnet: dict) -> str:
        """An internal environment's load balancer takes an address of its subnet; an external one a public address."""
        subnet = ctx.find(str(vnet.get("infrastructureSubnetId") or "")) if vnet.get("infrastructureSubnetId") else None
        if subnet is not None and vnet.get("internal"):
            net = ipaddress.ip_network(subnet_prefixes(subnet)[0], strict=False)
            return str(net.network_address + net.num_addresses - 2)
        return "20.0.0." + str(uuid.uuid4().int % 200 + 10)

    def patch(self, ctx: Context, ref: Ref, body: dict) -> dict:   # ManagedEnvironments_Update: JSON Merge Patch
        doc = self.get(ctx, ref)
        props = require_dict(body.get("properties"), "properties")
        doc["properties"] = self.build_properties(ctx, ref, {"properties": props}, doc, doc["location"])
        return super().patch(ctx, ref, body)

    def render(self, ctx: Context, doc: dict) -> dict:
        view = public(doc)
        la = ((view.get("properties") or {}).get("appLogsConfiguration") or {}).get("logAnalyticsConfiguration")
        if isinstance(la, dict):
            la.pop("sharedKey", None)   # x-ms-secret: never returned
        return view

    def delete_plan(self, ctx: Context, ref: Ref) -> list[str] | None:
        doc = self.find(ctx, ref)
        if doc is None:
            return None
        subnet = ((doc.get("properties") or {}).get("vnetConfiguration") or {}).get("infrastructureSubnetId")
        if subnet and ctx.find(subnet) is not None:
            mark_subnet_in_use(ctx, subnet, doc["id"], in_use=False)
        return [doc["id"]]


TYPES = [ManagedEnvironments()]
