# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Container Apps environments (Microsoft.App/managedEnvironments) for the resource engine. PRIVATE to the collection.

Sources (docs/emulator.md lists them with the emulator's behaviour):
- REST spec Microsoft.App ContainerApps stable 2026-07-01, openapi.json (Azure/azure-rest-api-specs at
  020ca526bf3930998a836e62d75d8b17b81cd6de; the readme's default tag is package-2026-07-01, the newest stable one):
  ManagedEnvironments_CreateOrUpdate (PUT), _Update (PATCH, "JSON Merge Patch"; its body is a ManagedEnvironment, whose
  TrackedResource base requires location) and _Delete are long-running; VnetConfiguration.internal ("They must provide
  infrastructureSubnetId if enabling this property"), infrastructureSubnetId and zoneRedundant are x-ms-mutability
  read+create: set when the environment is created, never changed; workloadProfiles[] {name, workloadProfileType
  (both required), minimumCount, maximumCount}; AppLogsConfiguration.destination "can be 'log-analytics',
  'azure-monitor' or 'none'", logAnalyticsConfiguration (customerId + the x-ms-secret sharedKey) only with
  'log-analytics'.
- learn.microsoft.com/azure/container-apps/networking: a workload-profiles environment needs a subnet of at least /27
  (consumption-only: /23) delegated to Microsoft.App/environments; the subnet size cannot change after creation, nor
  the environment's network type.
- learn.microsoft.com/azure/container-apps/log-options: destination azure-monitor sends the logs through diagnostic
  settings (to a Log Analytics workspace among others); log-analytics needs the workspace's shared key.
- learn.microsoft.com/azure/azure-monitor/reference/supported-logs/microsoft-app-managedenvironments-logs: categories
  ContainerAppConsoleLogs and ContainerAppSystemLogs (the diagnostic setting the role makes).
- learn.microsoft.com/azure/azure-resource-manager/management/resource-name-rules (Microsoft.App managedEnvironments):
  2-60 lowercase letters, digits and hyphens, starting with a letter, ending alphanumeric, no '--'.

The module offers destinations azure-monitor and none only: log-analytics would need the workspace's shared key in the
task, which the collection never handles (docs/azure.md, "Container Apps environment").
"""

from __future__ import annotations

import ipaddress
import re

from ansible_collections.complianceflow.infra.plugins.module_utils._azure.arm import GenericApi
from ansible_collections.complianceflow.infra.plugins.module_utils._azure.ids import ResourceId, id_or_name
from ansible_collections.complianceflow.infra.plugins.module_utils._azure.runner import Plan, Resource
from ansible_collections.complianceflow.infra.plugins.module_utils._azure.values import (
    AzureInputError, merge_tags, same_location, validate_name, validate_tags)

ENV_TYPE = "Microsoft.App/managedEnvironments"
SUBNET_TYPE = "Microsoft.Network/virtualNetworks/subnets"
API = GenericApi("2026-07-01")          # no SDK: ARM's generic operations (docs/resource-engine.md)
NETWORK_API = GenericApi("2026-03-01")  # the subnet read (the network modules' version)
NAME_RE = re.compile(r"^(?!.*--)[a-z][a-z0-9-]{0,58}[a-z0-9]$")
DELEGATION = "Microsoft.App/environments"
MIN_PREFIX = 27   # workload profiles (learn.microsoft.com/azure/container-apps/networking)
LOG_DESTINATIONS = ("azure-monitor", "none")
IMMUTABLE = {"internal": "internal", "infrastructure_subnet_id": "infrastructure subnet", "zone_redundant": "zone redundancy"}


def validate_environment(params: dict) -> list | None:
    """Checks before any call; returns the normalised workload profiles (or None)."""
    validate_name(params["resource_group"], "resource_group", "resource group")
    if not NAME_RE.match(params.get("name") or ""):
        raise AzureInputError(f"name: {params.get('name')!r} is not a valid Container Apps environment name; Azure allows 2-60 "
                              "lowercase letters, digits and hyphens, starting with a letter, ending with a letter or digit, "
                              "without '--'")
    if params.get("logs_destination") is not None and params["logs_destination"] not in LOG_DESTINATIONS:
        raise AzureInputError(f"logs_destination: {params['logs_destination']!r} is not one of {', '.join(LOG_DESTINATIONS)} "
                              "(log-analytics needs the workspace's shared key: use azure-monitor and a diagnostic setting)")
    if params.get("internal") and not params.get("infrastructure_subnet"):
        raise AzureInputError("internal: an internal environment needs infrastructure_subnet (Azure requires the subnet id "
                              "with vnetConfiguration.internal)")
    if params.get("zone_redundant") and not params.get("infrastructure_subnet"):
        raise AzureInputError("zone_redundant: a zone-redundant environment needs infrastructure_subnet (a virtual network)")
    if params.get("workload_profiles") is None:
        return None
    profiles, seen = [], set()
    for item in params["workload_profiles"]:
        name, kind = item.get("name"), item.get("workload_profile_type")
        if not name or not kind or name.lower() in seen:
            raise AzureInputError(f"workload_profiles: {item!r} needs a name and a workload_profile_type, each name once "
                                  "(e.g. {name: Consumption, workload_profile_type: Consumption})")
        seen.add(name.lower())
        profile = {"name": name, "workload_profile_type": kind}
        for key in ("minimum_count", "maximum_count"):
            if item.get(key) is not None:
                if isinstance(item[key], bool) or not isinstance(item[key], int) or item[key] < 0:
                    raise AzureInputError(f"workload_profiles[{name}].{key}: {item[key]!r} is not a count (0 or more)")
                profile[key] = item[key]
        if profile.get("minimum_count", 0) > profile.get("maximum_count", profile.get("minimum_count", 0)):
            raise AzureInputError(f"workload_profiles[{name}]: minimum_count is above maximum_count")
        profiles.append(profile)
    if not profiles:
        raise AzureInputError("workload_profiles: give at least one profile (e.g. Consumption), or leave the option out")
    return profiles


def check_subnet(subnet: dict, subnet_id: str) -> None:
    """The infrastructure subnet must be delegated to Microsoft.App/environments and at least /27."""
    props = subnet.get("properties") or {}
    services = [(d.get("properties") or {}).get("serviceName") for d in props.get("delegations") or []]
    if DELEGATION not in services:
        raise AzureInputError(f"infrastructure_subnet: {subnet_id} is not delegated to {DELEGATION} (delegations: "
                              f"{', '.join(services) or 'none'}); a Container Apps environment needs that delegation")
    for prefix in props.get("addressPrefixes") or ([props["addressPrefix"]] if props.get("addressPrefix") else []):
        if ipaddress.ip_network(prefix, strict=False).prefixlen > MIN_PREFIX:
            raise AzureInputError(f"infrastructure_subnet: {subnet_id} is {prefix}; a workload-profiles environment needs a "
                                  f"subnet of at least /{MIN_PREFIX} (its size cannot change later)")


def _profile_view(item: dict) -> dict:
    view = {"name": item.get("name"), "workload_profile_type": item.get("workloadProfileType")}
    for key, field in (("minimum_count", "minimumCount"), ("maximum_count", "maximumCount")):
        if item.get(field) is not None:
            view[key] = item[field]
    return view


def _profile_body(item: dict) -> dict:
    body = {"name": item["name"], "workloadProfileType": item["workload_profile_type"]}
    for key, field in (("minimum_count", "minimumCount"), ("maximum_count", "maximumCount")):
        if item.get(key) is not None:
            body[field] = item[key]
    return body


def environment_view(doc: dict | None) -> dict:
    if not doc:
        return {}
    props = doc.get("properties") or {}
    vnet = props.get("vnetConfiguration") or {}
    logs = props.get("appLogsConfiguration") or {}
    return {"id": doc.get("id"), "name": doc.get("name"), "location": doc.get("location"), "tags": dict(doc.get("tags") or {}),
            "internal": bool(vnet.get("internal")), "infrastructure_subnet_id": vnet.get("infrastructureSubnetId"),
            "zone_redundant": bool(props.get("zoneRedundant")),
            "workload_profiles": [_profile_view(p) for p in props.get("workloadProfiles") or []],
            "logs_destination": logs.get("destination") or "none", "environment_mode": props.get("environmentMode"),
            "default_domain": props.get("defaultDomain"), "static_ip": props.get("staticIp"),
            "provisioning_state": props.get("provisioningState")}


def _same_profiles(have: list, want: list) -> bool:
    have_by = {p["name"].lower(): p for p in have}
    return len(have) == len(want) and all(
        w["name"].lower() in have_by and all(have_by[w["name"].lower()].get(k) == v for k, v in w.items()) for w in want)


def plan_environment(existing: dict | None, params: dict, profiles: list | None, subnet_id: str | None) -> Plan:
    """Create (PUT), a PATCH of the workload profiles, log destination and tags that differ, or nothing. The network
    settings and zone redundancy are refused when they differ (Azure sets them at create time only)."""
    if existing is None and not params.get("location"):
        raise AzureInputError(f"Container Apps environment {params['name']!r} does not exist: location is needed to create it")
    if existing and params.get("location") and not same_location(existing["location"], params["location"]):
        raise AzureInputError(f"Container Apps environment {params['name']!r} is in {existing['location']}; Azure cannot move it "
                              f"to {params['location']}")
    have = environment_view(existing)
    given = {"internal": params.get("internal"), "infrastructure_subnet_id": subnet_id, "zone_redundant": params.get("zone_redundant"),
             "workload_profiles": profiles, "logs_destination": params.get("logs_destination")}
    given = {k: v for k, v in given.items() if v is not None}
    old_tags = dict((existing or {}).get("tags") or {})
    tags = merge_tags(old_tags, params.get("tags"), params.get("purge_tags", True))
    before, after = {}, dict(given)
    if params.get("tags") is not None:
        after["tags"] = tags
    if existing is None:
        props = {"zoneRedundant": bool(given.get("zone_redundant", False))}
        if subnet_id:
            props["vnetConfiguration"] = {"internal": bool(given.get("internal", False)), "infrastructureSubnetId": subnet_id}
        if profiles is not None:
            props["workloadProfiles"] = [_profile_body(p) for p in profiles]
        props["appLogsConfiguration"] = {"destination": given.get("logs_destination", "azure-monitor")}
        return Plan("create", {"location": params["location"], "tags": tags, "properties": props}, {}, after)
    for key in given:
        before[key] = have.get(key)
    if params.get("tags") is not None:
        before["tags"] = old_tags
    for key, what in IMMUTABLE.items():
        if key in given and (str(have.get(key)).lower() if key == "infrastructure_subnet_id" else have.get(key)) != \
                (str(given[key]).lower() if key == "infrastructure_subnet_id" else given[key]):
            raise AzureInputError(f"{key}: environment {params['name']} has {what} {have.get(key)!r}; Azure sets it when the "
                                  f"environment is created and never changes it (wanted {given[key]!r}): delete and re-create it")
    props = {}
    if profiles is not None and not _same_profiles(have["workload_profiles"], profiles):
        props["workloadProfiles"] = [_profile_body(p) for p in profiles]
    if "logs_destination" in given and given["logs_destination"] != have["logs_destination"]:
        props["appLogsConfiguration"] = {"destination": given["logs_destination"]}
    if not props and tags == old_tags:
        return Plan("none", None, before, after)
    # The PATCH body is a ManagedEnvironment: its location is required (TrackedResource).
    body = {"location": existing["location"], "tags": tags}
    if props:
        body["properties"] = props
    return Plan("patch", body, before, after)


class ContainerAppsEnvironment(Resource):
    what = "Container Apps environment"
    result_key = "environment"
    api = API
    provider_type = ENV_TYPE

    def validate(self):
        self.params["tags"] = validate_tags(self.params.get("tags"))
        self.profiles = validate_environment(self.params)
        self.subnet_id = None
        if self.params.get("infrastructure_subnet"):
            self.subnet_id = id_or_name(self.params["infrastructure_subnet"], self.module.subscription_id,
                                        self.params["resource_group"], SUBNET_TYPE, "infrastructure_subnet")

    def view(self, doc):
        return environment_view(doc)

    def before_plan(self, existing, related):
        """A new environment's subnet is read and checked (delegation, size) before the plan. In check mode a subnet
        that does not exist yet (a new deployment) is predicted with a warning; otherwise it is an error."""
        self.subnet_note = None
        if existing is None and self.subnet_id:
            rid = ResourceId.parse(self.subnet_id, "infrastructure_subnet")
            subnet = self.module.get_or_none(f"get subnet {rid.name}", NETWORK_API.get, self.module, rid)
            if subnet is None:
                message = f"infrastructure_subnet: {self.subnet_id} does not exist; create the VNet and its subnet first"
                if not self.module.check_mode:
                    with self.module.validating():
                        raise AzureInputError(message)
                self.subnet_note = message + " (check mode: the create is predicted as if it did)"
            else:
                with self.module.validating():
                    check_subnet(subnet, self.subnet_id)
        return existing

    def plan(self, existing, related):
        plan = plan_environment(existing, self.params, self.profiles, self.subnet_id)
        if self.subnet_note:
            plan.notes.append(self.subnet_note)
        return plan
