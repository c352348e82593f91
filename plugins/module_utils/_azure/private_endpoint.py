# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Private endpoints with their private DNS zone group, for the resource engine. PRIVATE to the collection.

One endpoint (Microsoft.Network/privateEndpoints) in a subnet, with one private link service connection to a target
resource and one group id (sub-resource), and its zone group `default` (…/privateDnsZoneGroups/default) naming the
privatelink zone(s): with the zone group Azure writes and keeps the endpoint's A records in the zones.

Sources (docs/emulator.md lists them with the emulator's behaviour):
- REST spec Microsoft.Network stable 2026-03-01, virtualNetwork.json (the TypeSpec-generated file that holds the
  PrivateEndpoint and PrivateDnsZoneGroup definitions). azure-mgmt-network 33.1 (which sends 2026-03-01) has
  begin_create_or_update (long-running) and begin_delete for both types and no update: a tags change is a PUT of the
  whole endpoint. The bodies are built here, so ARM's generic operations are used (no import of the network SDK).
- learn.microsoft.com/azure/private-link/private-endpoint-overview ("Private-link resource"): the group ids of each
  target type; private-endpoint-dns ("Azure Private Endpoint private DNS zone values"): the zone of each group id;
  "Private DNS zone group": Azure manages the records of the zones the group names. (Those tables were not re-read
  through this repo's search tools: the values agree with issue 12 and with public templates using them.)
- A connection has exactly one group id for a first-party target (OnlyOneGroupIdPermitted,
  DFE-Digital/terraform-azurerm-container-apps-hosting#352); a missing group id is refused
  (MissingParameterOnPrivateLinkServiceConnection, Azure/azure-cli#15136); a zone config needs a name
  (Azure/azure-rest-api-specs#23831).
- The subnet and the connection of an existing endpoint are not changed by this module (it refuses before any call:
  delete the endpoint and create it again); whether Azure accepts such a change in place is unverified.
"""

from __future__ import annotations

import copy

from ansible_collections.complianceflow.infra.plugins.module_utils._azure.arm import GenericApi
from ansible_collections.complianceflow.infra.plugins.module_utils._azure.carry import Carried, ids_only, without
from ansible_collections.complianceflow.infra.plugins.module_utils._azure.ids import ResourceId, id_or_name, ids_equal
from ansible_collections.complianceflow.infra.plugins.module_utils._azure.resource_group import resources_of_type
from ansible_collections.complianceflow.infra.plugins.module_utils._azure.private_dns_zone import validate_zone_name
from ansible_collections.complianceflow.infra.plugins.module_utils._azure.runner import Child, Plan, Resource
from ansible_collections.complianceflow.infra.plugins.module_utils._azure.values import (
    AzureInputError, merge_tags, same_location, validate_name, validate_tags)

PE_TYPE = "Microsoft.Network/privateEndpoints"
SUBNET_TYPE = "Microsoft.Network/virtualNetworks/subnets"
ZONE_TYPE = "Microsoft.Network/privateDnsZones"
API = GenericApi("2026-03-01")   # the network version of the collection (azure-mgmt-network 33.1); generic operations
ZONE_GROUPS = "privateDnsZoneGroups"
ZONE_GROUP = "default"
# Target type (lower case) -> the group ids it offers (Learn, private-endpoint-overview "Private-link resource").
GROUP_IDS = {
    "microsoft.keyvault/vaults": ("vault",),
    "microsoft.storage/storageaccounts": ("blob", "blob_secondary", "table", "table_secondary", "queue", "queue_secondary",
                                          "file", "web", "web_secondary", "dfs", "dfs_secondary"),
    "microsoft.cache/redisenterprise": ("redisEnterprise",),
    "microsoft.cache/redis": ("redisCache",),
    "microsoft.containerregistry/registries": ("registry",),
    "microsoft.eventhub/namespaces": ("namespace",),
}


def validate_endpoint(params: dict) -> tuple:
    """Checks that need no call. Returns (target ResourceId, canonical group id)."""
    validate_name(params["resource_group"], "resource_group", "resource group")
    validate_name(params["name"], "name", "network 2-64")
    if params.get("connection_name") is not None:
        validate_name(params["connection_name"], "connection_name")
    if params.get("state") == "absent" and params.get("target") is None:
        return None, None
    if params.get("target_resource_group") is not None:
        validate_name(params["target_resource_group"], "target_resource_group", "resource group")
    target = target_id(params["target"], "-", params.get("target_resource_group") or params["resource_group"])
    offered = GROUP_IDS.get(target.type_name.lower())
    if offered is None or len(target.names) != 1:
        raise AzureInputError(f"target: {params['target']!r} is a {target.type_name or 'subscription'} id; private endpoints "
                              f"of this module connect to {', '.join(sorted(GROUP_IDS))}")
    group = next((g for g in offered if g.lower() == str(params["group_id"] or "").lower()), None)
    if group is None:
        raise AzureInputError(f"group_id: {params['group_id']!r} is not a group id of {target.type_name}; valid: {', '.join(offered)}")
    subnet = params.get("subnet")
    if subnet is not None and not subnet.startswith("/"):
        parts = subnet.split("/")
        if len(parts) != 2:
            raise AzureInputError(f"subnet: {subnet!r} is neither a subnet id nor <virtual network>/<subnet>")
        for part in parts:
            validate_name(part, "subnet")
    elif subnet is not None:
        ResourceId.parse(subnet, "subnet", expect_type=SUBNET_TYPE)
    for zone in params.get("private_dns_zones") or []:
        if zone.startswith("/"):
            ResourceId.parse(zone, "private_dns_zones[]", expect_type=ZONE_TYPE)
        else:
            validate_zone_name(zone)
    validate_tags(params.get("tags"))
    return target, group


def target_id(text: str, subscription_id: str, resource_group: str) -> ResourceId:
    """A resource id, or <Namespace>/<type>/<name> for a resource in the endpoint's subscription and resource group."""
    text = (text or "").strip()
    if text.startswith("/"):
        return ResourceId.parse(text, "target")
    parts = text.split("/")
    if len(parts) != 3 or not all(parts) or "." not in parts[0]:
        raise AzureInputError(f"target: {text!r} is neither a resource id nor <Namespace>/<type>/<name> "
                              "(e.g. Microsoft.KeyVault/vaults/kv-cf-westeu-dev-1-5n8o)")
    return ResourceId.build(subscription_id, resource_group, "/".join(parts[:2]), parts[2])


def zone_ids(zones: list | None, subscription_id: str, resource_group: str) -> list | None:
    """The zone ids (a name means a zone in the endpoint's resource group), in the order given, without repeats."""
    if zones is None:
        return None
    result = []
    for zone in zones:
        zid = id_or_name(zone if zone.startswith("/") else validate_zone_name(zone), subscription_id, resource_group,
                         ZONE_TYPE, "private_dns_zones[]")
        if not any(ids_equal(zid, other) for other in result):
            result.append(zid)
    return result


def _connection(doc: dict) -> dict:
    props = (doc or {}).get("properties") or {}
    conns = (props.get("privateLinkServiceConnections") or []) + (props.get("manualPrivateLinkServiceConnections") or [])
    return conns[0] if conns else {}


def endpoint_view(doc: dict | None, zone_group: dict | None = None) -> dict:
    if not doc:
        return {}
    props = doc.get("properties") or {}
    conn = _connection(doc)
    cprops = conn.get("properties") or {}
    configs = ((zone_group or {}).get("properties") or {}).get("privateDnsZoneConfigs") or []
    addresses = sorted({ip for c in props.get("customDnsConfigs") or [] for ip in c.get("ipAddresses") or [] if ip})
    return {"id": doc.get("id"), "name": doc.get("name"), "location": doc.get("location"), "tags": dict(doc.get("tags") or {}),
            "subnet": (props.get("subnet") or {}).get("id"), "target": cprops.get("privateLinkServiceId"),
            "group_id": (cprops.get("groupIds") or [None])[0], "connection_name": conn.get("name"),
            "connection_state": (cprops.get("privateLinkServiceConnectionState") or {}).get("status"),
            "private_ip_addresses": addresses,
            "private_dns_zones": [(c.get("properties") or {}).get("privateDnsZoneId") for c in configs],
            "dns_records": [{"fqdn": r.get("fqdn"), "ip_addresses": r.get("ipAddresses") or []}
                            for c in configs for r in (c.get("properties") or {}).get("recordSets") or []],
            "provisioning_state": props.get("provisioningState")}


def endpoint_body(location: str, tags: dict, subnet: str, target: str, group: str, connection_name: str) -> dict:
    return {"location": location, "tags": tags, "properties": {
        "subnet": {"id": subnet},
        "privateLinkServiceConnections": [{"name": connection_name, "properties": {"privateLinkServiceId": target, "groupIds": [group]}}]}}


def zone_group_body(zones: list) -> dict:
    """One config per zone, named after the zone (dots as hyphens: the portal's naming)."""
    return {"properties": {"privateDnsZoneConfigs": [
        {"name": ResourceId.parse(z).name.replace(".", "-"), "properties": {"privateDnsZoneId": z}} for z in zones]}}


def plan_endpoint(existing: dict | None, zone_group: dict | None, params: dict, rid: ResourceId, wanted: dict) -> Plan:
    """`wanted`: subnet, target, group, zones (ids or None) and connection_name. The endpoint: create, PUT (tags:
    there is no PATCH), or nothing; its zone group: PUT when the zones differ, DELETE when none are wanted."""
    have = endpoint_view(existing, zone_group)
    before, after = {}, {}
    old_tags = dict((existing or {}).get("tags") or {})
    tags = merge_tags(old_tags, validate_tags(params.get("tags")), params.get("purge_tags", True))
    if existing is None:
        if not params.get("location"):
            raise AzureInputError(f"private endpoint {params['name']!r} does not exist: location is needed to create it")
        if wanted["subnet"] is None:
            raise AzureInputError(f"private endpoint {params['name']!r} does not exist: subnet is needed to create it")
        action, body = "create", endpoint_body(params["location"], tags, wanted["subnet"], wanted["target"], wanted["group"],
                                               wanted["connection_name"])
        after.update(subnet=wanted["subnet"], target=wanted["target"], group_id=wanted["group"])
    else:
        if params.get("location") and not same_location(existing["location"], params["location"]):
            raise AzureInputError(f"private endpoint {params['name']!r} is in {existing['location']}; Azure cannot move it "
                                  f"to {params['location']}")
        fixed = (("subnet", wanted["subnet"], have["subnet"]), ("target", wanted["target"], have["target"]))
        for option, want, current in fixed:
            if want is not None and not ids_equal(want, current):
                raise AzureInputError(f"{option}: private endpoint {params['name']!r} exists with {option} {current}; this "
                                      f"module does not move it to {want}: delete it (state=absent) and create it again")
        if (have["group_id"] or "").lower() != wanted["group"].lower():
            raise AzureInputError(f"group_id: private endpoint {params['name']!r} exists with group id {have['group_id']}; "
                                  f"delete it (state=absent) and create it again for {wanted['group']}")
        action, body = ("put", endpoint_body(existing["location"], tags, have["subnet"], have["target"], have["group_id"],
                                             have["connection_name"])) if tags != old_tags else ("none", None)
    if params.get("tags") is not None:
        before["tags"], after["tags"] = old_tags, tags
    children = []
    if wanted["zones"] is not None:
        current = have.get("private_dns_zones", []) if zone_group else []
        before["private_dns_zones"], after["private_dns_zones"] = current, wanted["zones"]
        same = len(current) == len(wanted["zones"]) and all(any(ids_equal(z, c) for c in current) for z in wanted["zones"])
        zgid = rid.child(ZONE_GROUPS, ZONE_GROUP)
        if wanted["zones"] and not same:
            children.append(Child(f"set the private DNS zone group of {rid.name}", "PUT", zgid, zone_group_body(wanted["zones"]), API))
        elif not wanted["zones"] and zone_group:
            children.append(Child(f"delete the private DNS zone group of {rid.name}", "DELETE", zgid, None, API))
    return Plan(action, body, before, after, children)


class PrivateEndpoint(Resource):
    what = "private endpoint"
    # PrivateEndpointProperties (2026-03-01) writable parts this module does not manage (carry.py): a tags change is a
    # PUT of the whole endpoint
    carried = Carried(properties={"customNetworkInterfaceName": None, "applicationSecurityGroups": ids_only,
                                  "ipConfigurations": without("type", "etag"), "ipVersionType": None, "billingSku": None},
                      top_level={"extendedLocation": None})
    result_key = "private_endpoint"
    api = API
    provider_type = PE_TYPE
    tags_method = None          # no PATCH for private endpoints: a tags change is a PUT

    def validate(self):
        self.target, self.group = validate_endpoint(self.params)
        if self.target is not None:   # ids need the subscription, which needs the credentials: after the checks
            self.target = target_id(self.params["target"], self.module.subscription_id,
                                    self.params.get("target_resource_group") or self.params["resource_group"])

    def view(self, doc):
        return endpoint_view(doc)

    def before_plan(self, existing, related):
        """missing_target=skip: a new endpoint whose target does not exist (yet) is not planned; the task says so."""
        if existing is None and self.params.get("missing_target") == "skip" and not self._target_exists():
            self.module.warn(f"private endpoint {self.params['name']} skipped: its target {self.target} does not exist "
                             "(yet); it is created once the target is there")
            self.module.exit_with(False, {}, {}, skipped_missing_target=True, **self.result(None, {}))
        return existing

    def read_related(self, rid, existing):
        zgid = rid.child(ZONE_GROUPS, ZONE_GROUP)
        return {"zone_group": self.module.get_or_none(f"get the private DNS zone group of {rid.name}", API.get, self.module, zgid)}

    def _target_exists(self) -> bool:
        # missing_target=skip: the target among its group's resources of its type (resource_group.resources_of_type)
        group = ResourceId.build(self.target.subscription, self.target.resource_group)
        return any(ids_equal(item.get("id"), str(self.target)) for item in resources_of_type(self.module, group, self.target.type_name))

    def plan(self, existing, related):
        sub, group = self.module.subscription_id, self.params["resource_group"]
        subnet = self.params.get("subnet")
        wanted = {"subnet": id_or_name(subnet, sub, group, SUBNET_TYPE, "subnet") if subnet else None,
                  "target": str(self.target), "group": self.group,
                  "zones": zone_ids(self.params.get("private_dns_zones"), sub, group),
                  "connection_name": self.params.get("connection_name") or self.params["name"]}
        return plan_endpoint(existing, related.get("zone_group"), self.params, self.resource_id(), wanted)

    def predict_related(self, related, plan):
        group = related.get("zone_group")
        for child in plan.children:
            group = None if child.method == "DELETE" else dict(copy.deepcopy(child.body), name=ZONE_GROUP)
        return {"zone_group": group}

    def result(self, doc, related):
        return {self.result_key: endpoint_view(doc, related.get("zone_group")) if doc else {}}
