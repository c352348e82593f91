"""Microsoft.Network private endpoints and their private DNS zone groups (api-version 2026-03-01).

Sources (docs/emulator.md lists each rule with its source and status code):
- REST spec: specification/network/resource-manager/Microsoft.Network/Network/stable/2026-03-01/virtualNetwork.json
  (PrivateEndpoints_CreateOrUpdate and PrivateDnsZoneGroups_CreateOrUpdate, both long-running; no PATCH operation for
  either); the body excerpt is specs/Microsoft.Network/2026-03-01/privateEndpoint.json.
- learn.microsoft.com/azure/private-link/private-endpoint-overview ("Private-link resource": the group ids each
  target type offers) and private-endpoint-dns (the privatelink zone of each group id and the records Azure keeps in
  it through a private DNS zone group).
- Error codes and messages seen from Azure, where the docs give none: InvalidResourceReference for a missing subnet
  (Azure/azure-cli#13614), MissingParameterOnPrivateLinkServiceConnection (Azure/azure-cli#15136),
  OnlyOneGroupIdPermitted (DFE-Digital/terraform-azurerm-container-apps-hosting#352), InvalidValuesForRequestParameters
  for a group id Storage does not offer (Azure/azure-cli#16750), InvalidRequestFormat for a connection or zone config
  without a name (pulumi/pulumi-azure-nextgen#264, Azure/azure-rest-api-specs#23831), InvalidPrivateDnsZoneIds
  (Azure/missionlz#1029, ansible-collections/azure#734). The others are unverified and say so in docs/emulator.md.

The endpoint gets the lowest free address of its subnet (Azure reserves the first four and the last of every subnet:
learn.microsoft.com/azure/virtual-network/virtual-networks-faq) and marks the subnet as used (it cannot be deleted
while the endpoint exists). The private DNS provider holds no record sets, so the A records Azure writes into the
zones are kept where Azure also reports them: the zone group's privateDnsZoneConfigs[].properties.recordSets.
"""
from __future__ import annotations

import ipaddress
import uuid

from ..errors import ArmError, invalid_request
from ..state import new_etag
from .base import Context, Ref, TopLevelType, require_dict
from .network import NAME_2_64, NAME_2_64_RULE, SUBNET_TYPE, VNET_TYPE, mark_subnet_in_use, same_location, subnet_prefixes

NS = "Microsoft.Network"
PE_TYPE = f"{NS}/privateEndpoints"
ZONE_GROUP_TYPE = f"{PE_TYPE}/privateDnsZoneGroups"
ZONE_TYPE = f"{NS}/privateDnsZones"
# Target type -> group id -> (privatelink zone, record names under it: {name} the target's name, {region} its
# location). Learn's private-endpoint-overview and private-endpoint-dns tables.
GROUPS = {
    "microsoft.keyvault/vaults": {"vault": ("privatelink.vaultcore.azure.net", ("{name}",))},
    "microsoft.storage/storageaccounts": {
        **{g: (f"privatelink.{g}.core.windows.net", ("{name}",)) for g in ("blob", "table", "queue", "file", "web", "dfs")},
        **{f"{g}_secondary": (f"privatelink.{g}.core.windows.net", ("{name}-secondary",))
           for g in ("blob", "table", "queue", "web", "dfs")},
    },
    "microsoft.cache/redisenterprise": {"redisEnterprise": ("privatelink.redis.azure.net", ("{name}.{region}",))},
    "microsoft.cache/redis": {"redisCache": ("privatelink.redis.cache.windows.net", ("{name}",))},
    "microsoft.containerregistry/registries": {"registry": ("privatelink.azurecr.io", ("{name}", "{name}.{region}.data"))},
    "microsoft.eventhub/namespaces": {"namespace": ("privatelink.servicebus.windows.net", ("{name}",))},
}
RECORD_TTL = 10   # what Azure writes for zone group records (unverified)


def _unverified(message: str) -> ArmError:
    return ArmError(400, "BadRequest", message)   # status and code unverified (docs/emulator.md)


def _groups_of(target: dict) -> dict:
    return GROUPS.get(target.get("type", "").lower(), {})


def _records(target: dict, group_id: str) -> tuple[str, list[str]]:
    zone, names = _groups_of(target)[group_id]
    region = str(target.get("location", "")).replace(" ", "").lower()
    return zone, [n.format(name=target["name"].lower(), region=region) for n in names]


def _subnet_of(ctx: Context, subnet_id: str, pe_id: str, location: str) -> dict:
    subnet = ctx.find(subnet_id) if subnet_id else None
    vnet = ctx.find(subnet_id.rsplit("/subnets/", 1)[0]) if subnet is not None and "/subnets/" in subnet_id else None
    if subnet is None or vnet is None or subnet.get("type", "").lower() != SUBNET_TYPE.lower() \
            or vnet.get("type", "").lower() != VNET_TYPE.lower() or not same_location(vnet["location"], location):
        # Azure/azure-cli#13614 (a private endpoint's missing subnet).
        raise invalid_request(f"Resource {subnet_id} referenced by resource {pe_id} was not found. Please make sure that "
                              "the referenced resource exists, and that both resources are in the same region.",
                              code="InvalidResourceReference")
    if subnet.get("properties", {}).get("delegations"):
        # The portal's refusal (MicrosoftDocs/azure-docs#47048); the API's code is unverified.
        raise _unverified(f"Subnet {subnet_id} is delegated to {subnet['properties']['delegations'][0]['properties']['serviceName']}"
                          " and cannot be used with a private endpoint.")
    return subnet


def _allocate(ctx: Context, subnet: dict, pe_id: str) -> str:
    """The lowest free address of the subnet; Azure reserves the first four and the last one."""
    used = {doc["_privateIp"] for doc in ctx.state.resources.values()
            if doc.get("type", "").lower() == PE_TYPE.lower() and doc["id"].lower() != pe_id.lower()
            and doc["properties"]["subnet"]["id"].lower() == subnet["id"].lower() and doc.get("_privateIp")}
    net = ipaddress.ip_network(subnet_prefixes(subnet)[0])
    for offset in range(4, net.num_addresses - 1):
        address = str(net.network_address + offset)
        if address not in used:
            return address
    # Azure's code and message for a full subnet (MicrosoftDocs/azure-docs#88211, a deployment's NIC; for a private
    # endpoint: unverified)
    raise ArmError(400, "SubnetIsFull", f"Subnet {subnet['name']} with address prefix {net} does not have enough capacity "
                   "for 1 IP addresses.")


class PrivateEndpoints(TopLevelType):
    namespace = NS
    types = ("privateEndpoints",)
    name_pattern, name_rule = NAME_2_64, NAME_2_64_RULE

    def build_properties(self, ctx: Context, ref: Ref, body: dict, existing: dict | None, location: str) -> dict:
        props = require_dict(body.get("properties"), "properties")
        subnet_id = str(require_dict(props.get("subnet"), "properties.subnet").get("id") or "")
        subnet = _subnet_of(ctx, subnet_id, ref.id, location)
        old = (existing or {}).get("properties", {})
        if existing and old["subnet"]["id"].lower() != subnet["id"].lower():
            raise _unverified(f"The subnet of private endpoint {ref.name} cannot be changed (from {old['subnet']['id']} "
                              f"to {subnet['id']}); delete the endpoint and create it again.")
        auto = props.get("privateLinkServiceConnections") or []
        manual = props.get("manualPrivateLinkServiceConnections") or []
        if len(auto) + len(manual) != 1:
            # "Only a single connection can be specified in the PE creation process" (Azure/azure-cli#12385).
            raise _unverified(f"Private endpoint {ref.name} needs exactly one private link service connection, got "
                              f"{len(auto) + len(manual)}.")
        connection, target, group_id = self._connection(ctx, ref, (auto or manual)[0])
        if existing and existing.get("_target", "").lower() not in ("", target["id"].lower()):
            raise _unverified(f"The connection of private endpoint {ref.name} cannot point to another resource; delete "
                              "the endpoint and create it again.")
        zone, names = _records(target, group_id)
        status = {"status": "Approved" if auto else "Pending", "description": "Auto-Approved" if auto else "",
                  "actionsRequired": "None"}
        conn = {"id": f"{ref.id}/{'privateLinkServiceConnections' if auto else 'manualPrivateLinkServiceConnections'}/"
                      f"{connection['name']}",
                "name": connection["name"], "type": f"{PE_TYPE}/privateLinkServiceConnections", "etag": new_etag(True),
                "properties": {"provisioningState": "Succeeded", "privateLinkServiceId": target["id"], "groupIds": [group_id],
                               "requestMessage": connection["properties"].get("requestMessage", ""),
                               "privateLinkServiceConnectionState": status}}
        nic = (old.get("networkInterfaces") or [{"id": f"{ref.scope}/providers/{NS}/networkInterfaces/"
                                                       f"{ref.name}.nic.{uuid.uuid4()}"}])
        suffix = zone.split(".", 1)[1]   # privatelink.vaultcore.azure.net -> vaultcore.azure.net: the public name's zone
        return {
            "subnet": {"id": subnet["id"]}, "networkInterfaces": nic, "provisioningState": "Succeeded",
            "ipVersionType": props.get("ipVersionType", "IPv4"),
            "privateLinkServiceConnections": [conn] if auto else [],
            "manualPrivateLinkServiceConnections": [] if auto else [conn],
            # Azure lists the target's names with the endpoint's address (the records a zone group writes).
            "customDnsConfigs": [{"fqdn": f"{name}.{suffix}", "ipAddresses": [None]} for name in names],
            "applicationSecurityGroups": props.get("applicationSecurityGroups") or [], "ipConfigurations": [],
            "customNetworkInterfaceName": props.get("customNetworkInterfaceName", ""),
            "_target": target["id"], "_groupId": group_id,
        }

    @staticmethod
    def _connection(ctx: Context, ref: Ref, connection) -> tuple[dict, dict, str]:
        connection = require_dict(connection, "privateLinkServiceConnections[0]")
        if not connection.get("name"):
            raise ArmError(400, "InvalidRequestFormat", "Cannot parse the request.")   # pulumi/pulumi-azure-nextgen#264
        cprops = require_dict(connection.get("properties"), "privateLinkServiceConnections[0].properties")
        conn_id = f"{ref.id}/privateLinkServiceConnections/{connection['name']}"
        target_id = str(cprops.get("privateLinkServiceId") or "")
        target = ctx.find(target_id) if target_id else None
        if target is None or target.get("id", "").lower() != target_id.lower():
            raise _unverified(f"Private link service connection {conn_id}: the resource {target_id or '(none)'} was not found.")
        groups = cprops.get("groupIds") or []
        if not groups:
            raise invalid_request(f"Private link service connection {conn_id} is missing required parameter 'group Id'.",
                                  code="MissingParameterOnPrivateLinkServiceConnection")
        if len(groups) > 1:
            raise invalid_request(f"Private link service connection {conn_id} has the following group Ids: "
                                  f"{', '.join(map(str, groups))}. Only one group Id is permitted when connecting to a "
                                  f"first-party resource ({target['id']}).", code="OnlyOneGroupIdPermitted")
        offered = {g.lower(): g for g in _groups_of(target)}
        group_id = offered.get(str(groups[0]).lower())
        if group_id is None:
            # Azure/azure-cli#16750 (Storage); other targets' code unverified.
            raise invalid_request(f"Call to {target['type']} failed. Error message: Values for request parameters are "
                                  f"invalid: GroupId: {groups[0]}.", code="InvalidValuesForRequestParameters")
        if target["type"].lower() == "microsoft.containerregistry/registries" \
                and (target.get("sku") or {}).get("name") != "Premium":
            # learn.microsoft.com/azure/container-registry/container-registry-skus: private link is Premium only;
            # Azure's status and code for such an endpoint are unverified.
            raise _unverified(f"Private link service connection {conn_id}: registry {target['name']} is "
                              f"{(target.get('sku') or {}).get('name')}; private endpoints need the Premium SKU.")
        return connection, target, group_id

    def put(self, ctx: Context, ref: Ref, body: dict) -> tuple[dict, bool]:
        existing = self.find(ctx, ref)
        doc, created = super().put(ctx, ref, body)
        props = doc["properties"]
        doc["_target"], doc["_groupId"] = props.pop("_target"), props.pop("_groupId")
        subnet = ctx.find(props["subnet"]["id"])
        doc["_privateIp"] = (existing or {}).get("_privateIp") or _allocate(ctx, subnet, doc["id"])
        for config in props["customDnsConfigs"]:
            config["ipAddresses"] = [doc["_privateIp"]]
        mark_subnet_in_use(ctx, subnet["id"], doc["id"])
        return doc, created

    def patch(self, ctx: Context, ref: Ref, body: dict) -> dict:
        # The 2026-03-01 spec has no PATCH for private endpoints (the SDK has no update_tags): tags change with a PUT.
        raise _unverified(f"Private endpoint {ref.name}: PATCH is not an operation of {PE_TYPE}; send a PUT.")

    def delete_plan(self, ctx: Context, ref: Ref) -> list[str] | None:
        doc = self.find(ctx, ref)
        if doc is None:
            return None
        subnet = doc["properties"]["subnet"]["id"]
        if ctx.find(subnet) is not None:
            mark_subnet_in_use(ctx, subnet, doc["id"], in_use=False)
        return [doc["id"]] + [child["id"] for child in ctx.state.under(doc["id"])]


class PrivateDnsZoneGroups(TopLevelType):
    """A child without location or tags: the zones whose A records Azure keeps for the endpoint."""

    namespace = NS
    types = ("privateEndpoints", "privateDnsZoneGroups")

    def find(self, ctx: Context, ref: Ref) -> dict | None:
        return ctx.state.get(ref.id)

    def get(self, ctx: Context, ref: Ref) -> dict:
        ctx.handler(PE_TYPE).get(ctx, ref.parent())
        return super().get(ctx, ref)

    def list(self, ctx: Context, ref: Ref) -> list[dict]:
        endpoint = ctx.handler(PE_TYPE).get(ctx, ref.parent())
        return ctx.state.of_type(ZONE_GROUP_TYPE, endpoint["id"])

    def put(self, ctx: Context, ref: Ref, body: dict) -> tuple[dict, bool]:
        self.validate_name(ref.name)
        endpoint = ctx.handler(PE_TYPE).get(ctx, ref.parent())
        existing = self.find(ctx, ref)
        others = [g for g in ctx.state.of_type(ZONE_GROUP_TYPE, endpoint["id"]) if g["name"].lower() != ref.name.lower()]
        if others:
            # pulumi/pulumi-azure-native#2179 quotes the message; the code is unverified.
            raise _unverified("Cannot create more than one private dns zone groups in the private endpoint "
                              f"{endpoint['name']} (it has {others[0]['name']}).")
        props = require_dict(body.get("properties"), "properties")
        configs = props.get("privateDnsZoneConfigs") or []
        target = ctx.find(endpoint["_target"]) or {"name": endpoint["_target"].rsplit("/", 1)[-1], "type": "", "location": ""}
        group_zone, names = _records(target, endpoint["_groupId"]) if _groups_of(target) else ("", [])
        out, seen = [], set()
        for config in configs:
            config = require_dict(config, "privateDnsZoneConfigs[]")
            if not config.get("name"):
                raise ArmError(400, "InvalidRequestFormat", "Cannot parse the request.")   # Azure/azure-rest-api-specs#23831
            zone_id = str(require_dict(config.get("properties"), "privateDnsZoneConfigs[].properties").get("privateDnsZoneId") or "")
            zone = ctx.find(zone_id) if zone_id else None
            if zone is None or zone.get("type", "").lower() != ZONE_TYPE.lower() or zone_id.lower() in seen:
                # Azure/missionlz#1029 and ansible-collections/azure#734 (there the operation fails; refused at once here).
                raise invalid_request(f"Private Dns Zone group {ref.id} has invalid private dns zone ids {zone_id}.",
                                      code="InvalidPrivateDnsZoneIds")
            seen.add(zone_id.lower())
            records = [{"recordType": "A", "recordSetName": name, "fqdn": f"{name}.{zone['name']}", "ttl": RECORD_TTL,
                        "ipAddresses": [endpoint["_privateIp"]], "provisioningState": "Succeeded"}
                       for name in names if zone["name"].lower() == group_zone]
            out.append({"name": config["name"], "id": f"{ref.id}/privateDnsZoneConfigs/{config['name']}",
                        "properties": {"privateDnsZoneId": zone["id"], "recordSets": records}})
        doc = {"id": existing["id"] if existing else ref.id, "name": existing["name"] if existing else ref.name,
               "type": ZONE_GROUP_TYPE, "etag": new_etag(True),
               "properties": {"provisioningState": "Succeeded", "privateDnsZoneConfigs": out}}
        ctx.state.put(doc)
        return doc, existing is None

    def patch(self, ctx: Context, ref: Ref, body: dict) -> dict:
        raise _unverified(f"Private DNS zone group {ref.name}: PATCH is not an operation of {ZONE_GROUP_TYPE}; send a PUT.")

    def delete_plan(self, ctx: Context, ref: Ref) -> list[str] | None:
        ctx.handler(PE_TYPE).get(ctx, ref.parent())
        doc = self.find(ctx, ref)
        return [doc["id"]] if doc else None


TYPES = [PrivateEndpoints(), PrivateDnsZoneGroups()]
