"""Microsoft.Network: virtual networks with subnets, network security groups with rules, and the subscription's
network usages per location.

Subnets and rules live inline in their parent (as ARM returns them) and are also reachable as
child resources. A VNet PUT replaces the subnet list: subnets left out are deleted, as in Azure.
Other providers mark a subnet as used with mark_subnet_in_use(); a used subnet cannot be deleted.
"""
from __future__ import annotations

import ipaddress
import re
import uuid
from typing import Any

from ..errors import ArmError, invalid_request
from ..state import new_etag
from .base import Context, NestedType, Ref, ResourceType, TopLevelType, require_dict
from .network_ddos import check_vnet_reference

NS = "Microsoft.Network"
VNET_TYPE = f"{NS}/virtualNetworks"
SUBNET_TYPE = f"{VNET_TYPE}/subnets"
NSG_TYPE = f"{NS}/networkSecurityGroups"
RULE_TYPE = f"{NSG_TYPE}/securityRules"
JOIN_ACTION = "Microsoft.Network/virtualNetworks/subnets/join/action"
DELEGATION_ACTIONS = {
    "microsoft.dbforpostgresql/flexibleservers": [JOIN_ACTION],
    "microsoft.app/environments": [JOIN_ACTION],
    "microsoft.web/serverfarms": ["Microsoft.Network/virtualNetworks/subnets/action"],
    "microsoft.containerinstance/containergroups": ["Microsoft.Network/virtualNetworks/subnets/action"],
}
SERVICE_NAME = re.compile(r"^[A-Za-z0-9]+\.[A-Za-z0-9]+/[A-Za-z0-9]+$")
PE_POLICIES = ("Disabled", "Enabled", "NetworkSecurityGroupEnabled", "RouteTableEnabled")


def _canon(value: Any, allowed: tuple[str, ...], what: str, owner: str) -> str:
    for item in allowed:
        if str(value).lower() == item.lower():
            return item
    raise ArmError(400, "InvalidRequestFormat",
                   f"Value '{value}' of {what} in {owner} is invalid. Allowed values: {', '.join(allowed)}.")


def _is_address(value: Any) -> bool:
    """An IP address or CIDR block (not a service tag, not '*')."""
    try:
        ipaddress.ip_network(str(value), strict=False)
        return True
    except ValueError:
        return False


def parse_prefix(prefix: Any, owner_id: str) -> ipaddress.IPv4Network | ipaddress.IPv6Network:
    try:
        net = ipaddress.ip_network(str(prefix), strict=False)
        if "/" not in str(prefix):
            raise ValueError(prefix)
    except ValueError:
        raise ArmError(400, "InvalidAddressPrefixFormat",
                       f"Address prefix {prefix} of resource {owner_id} is not formatted correctly. It should follow "
                       "CIDR notation, for example 10.0.0.0/24.") from None
    if str(net.network_address) != str(prefix).split("/", 1)[0]:
        raise ArmError(400, "InvalidCIDRNotation",
                       f"The address prefix {prefix} in resource {owner_id} has an invalid CIDR notation. For the given "
                       f"prefix length, the address prefix should be {net}.")
    return net


def subnet_prefixes(subnet: dict) -> list[str]:
    props = subnet.get("properties", {})
    return list(props.get("addressPrefixes") or ([props["addressPrefix"]] if props.get("addressPrefix") else []))


def mark_subnet_in_use(ctx: Context, subnet_id: str, user_id: str, in_use: bool = True) -> None:
    """Record (or clear) that user_id (a server, an endpoint) sits in the subnet."""
    subnet = ctx.find(subnet_id)
    if subnet is None:
        raise invalid_request(f"Subnet {subnet_id} was not found.", code="InvalidResourceReference")
    users = [u for u in subnet.get("_usedBy", []) if u.lower() != user_id.lower()]
    subnet["_usedBy"] = users + [user_id] if in_use else users


def _in_use_error(subnet: dict) -> ArmError:
    return ArmError(400, "InUseSubnetCannotBeDeleted",
                    f"Subnet {subnet['name']} is in use by {subnet['_usedBy'][0]} and cannot be deleted. In order to "
                    "delete the subnet, delete all the resources within the subnet. See aka.ms/deletesubnet.")


# resource-name-rules (Microsoft.Network): virtualNetworks and privateEndpoints "2-64" characters, the other network
# names' characters (Azure's code for a refused one: unverified, ARM's InvalidResourceName here).
NAME_2_64 = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_.-]{0,62}[A-Za-z0-9_]$")
NAME_2_64_RULE = ("The name must be 2-64 characters: letters, digits, underscores, periods and hyphens, beginning with a "
                  "word character and ending with a word character.")


class VirtualNetworks(TopLevelType):
    namespace = NS
    types = ("virtualNetworks",)
    name_pattern, name_rule = NAME_2_64, NAME_2_64_RULE

    def build_properties(self, ctx: Context, ref: Ref, body: dict, existing: dict | None, location: str) -> dict:
        props = dict(require_dict(body.get("properties"), "properties"))
        vnet_id = existing["id"] if existing else ref.id
        space = require_dict(props.get("addressSpace"), "properties.addressSpace")
        prefixes = space.get("addressPrefixes") or []
        if not isinstance(prefixes, list) or not prefixes:
            raise ArmError(400, "InvalidAddressSpace",
                           f"Virtual network {vnet_id} must have at least one address prefix in "
                           "properties.addressSpace.addressPrefixes.")
        networks = [parse_prefix(p, vnet_id) for p in prefixes]
        old = {s["name"].lower(): s for s in (existing or {}).get("properties", {}).get("subnets", [])}
        bodies = props.get("subnets") or []
        if not isinstance(bodies, list):
            raise invalid_request("properties.subnets must be a list.")
        subnets = [self.build_subnet(ctx, vnet_id, s, old.get(str(require_dict(s, "subnet").get("name", "")).lower()),
                                     location) for s in bodies]
        seen: set[str] = set()
        for subnet in subnets:
            if subnet["name"].lower() in seen:
                raise ArmError(400, "DuplicateResourceName",
                               f"Resource {vnet_id} has two child resources with the same name ({subnet['name']}).")
            seen.add(subnet["name"].lower())
        for name, subnet in old.items():
            if name not in seen and subnet.get("_usedBy"):
                raise _in_use_error(subnet)
        self.validate_layout(ref.name, networks, subnets)
        check_vnet_reference(ctx, vnet_id, props)   # the DDoS protection plan it names (providers/network_ddos.py)
        props.pop("provisioningState", None)
        props.update({
            "addressSpace": {"addressPrefixes": list(prefixes)},
            "subnets": subnets,
            # Peerings are child resources (providers/network_peering.py): a VNet PUT keeps them whatever its body says
            # (redeploying a VNet without them does not remove them: Azure/arm-template-whatif#281, the ARM team).
            "virtualNetworkPeerings": (existing or {}).get("properties", {}).get("virtualNetworkPeerings") or [],
            "enableDdosProtection": bool(props.get("enableDdosProtection", False)),
            "resourceGuid": (existing or {}).get("properties", {}).get("resourceGuid") or str(uuid.uuid4()),
            "provisioningState": "Succeeded",
        })
        return props

    @staticmethod
    def validate_layout(vnet_name: str, networks: list, subnets: list[dict]) -> None:
        placed: list[Any] = []
        for subnet in subnets:
            for prefix in subnet_prefixes(subnet):
                net = ipaddress.ip_network(prefix)
                if not any(net.version == space.version and net.subnet_of(space) for space in networks):
                    raise ArmError(400, "NetcfgSubnetRangeOutsideVnet",
                                   f"Subnet '{subnet['name']}' is not valid because its IP address range is outside "
                                   f"the IP address range of virtual network '{vnet_name}'.")
                if any(net.version == other.version and net.overlaps(other) for other in placed):
                    raise ArmError(400, "NetcfgSubnetRangesOverlap",
                                   f"Subnet '{subnet['name']}' is not valid because its IP address range overlaps "
                                   f"with that of an existing subnet in virtual network '{vnet_name}'.")
                placed.append(net)

    def build_subnet(self, ctx: Context, vnet_id: str, body: Any, existing: dict | None, location: str) -> dict:
        body = require_dict(body, "subnet")
        name = str(body.get("name") or "")
        self.validate_name(name, TopLevelType.name_pattern, TopLevelType.name_rule)   # a subnet's rule: 1-80
        subnet_id = f"{vnet_id}/subnets/{name}"
        props = dict(require_dict(body.get("properties"), f"properties of subnet {name}"))
        props.pop("provisioningState", None)
        given = ([props["addressPrefix"]] if props.get("addressPrefix") else []) + list(props.get("addressPrefixes") or [])
        if given:   # both fields checked: subnet_prefixes() reads addressPrefixes first (a bad one was a 500)
            for prefix in given:
                parse_prefix(prefix, subnet_id)
        else:
            raise ArmError(400, "InvalidRequestFormat",
                           f"Subnet {subnet_id} must have an address prefix (addressPrefix or addressPrefixes).")
        nsg = props.get("networkSecurityGroup")
        if nsg:
            props["networkSecurityGroup"] = {"id": self._resolve_nsg(ctx, nsg, subnet_id, location)}
        props["delegations"] = [self._delegation(d, subnet_id) for d in props.get("delegations") or []]
        props["serviceEndpoints"] = [self._service_endpoint(e, subnet_id, location)
                                     for e in props.get("serviceEndpoints") or []]
        props["privateEndpointNetworkPolicies"] = _canon(props.get("privateEndpointNetworkPolicies", "Disabled"),
                                                         PE_POLICIES, "privateEndpointNetworkPolicies", subnet_id)
        props["privateLinkServiceNetworkPolicies"] = _canon(props.get("privateLinkServiceNetworkPolicies", "Enabled"),
                                                            ("Enabled", "Disabled"),
                                                            "privateLinkServiceNetworkPolicies", subnet_id)
        props["provisioningState"] = "Succeeded"
        doc = {"id": subnet_id, "name": name, "etag": new_etag(), "type": SUBNET_TYPE, "properties": props}
        if existing and existing.get("_usedBy"):
            doc["_usedBy"] = existing["_usedBy"]
            if not props["delegations"] and existing["properties"].get("delegations"):
                raise ArmError(400, "SubnetMissingRequiredDelegation",
                               f"Subnet {subnet_id} is in use by {existing['_usedBy'][0]}, which requires the "
                               f"delegation {existing['properties']['delegations'][0]['properties']['serviceName']}.")
        return doc

    @staticmethod
    def _resolve_nsg(ctx: Context, nsg: Any, subnet_id: str, location: str) -> str:
        nsg_id = str(require_dict(nsg, "networkSecurityGroup").get("id") or "")
        found = ctx.find(nsg_id) if nsg_id else None
        if found is None or found.get("type", "").lower() != NSG_TYPE.lower() or \
                found["location"].replace(" ", "").lower() != location.replace(" ", "").lower():
            raise ArmError(400, "InvalidResourceReference",
                           f"Resource {nsg_id} referenced by resource {subnet_id} was not found. Please make sure that "
                           "the referenced resource exists, and that both resources are in the same region.")
        return found["id"]

    @staticmethod
    def _delegation(body: Any, subnet_id: str) -> dict:
        body = require_dict(body, "delegation")
        props = require_dict(body.get("properties"), "delegation properties")
        service = str(props.get("serviceName") or body.get("serviceName") or "")
        if not SERVICE_NAME.match(service):
            raise ArmError(400, "InvalidServiceNameOnDelegation",
                           f"Delegation {body.get('name', '')} in subnet {subnet_id} has an invalid service name "
                           f"'{service}'; expected a resource type such as Microsoft.App/environments.")
        name = str(body.get("name") or service.replace("/", "."))
        return {"id": f"{subnet_id}/delegations/{name}", "name": name, "etag": new_etag(),
                "type": f"{SUBNET_TYPE}/delegations",
                "properties": {"serviceName": service,
                               "actions": DELEGATION_ACTIONS.get(service.lower(), [JOIN_ACTION]),
                               "provisioningState": "Succeeded"}}

    @staticmethod
    def _service_endpoint(body: Any, subnet_id: str, location: str) -> dict:
        body = require_dict(body, "serviceEndpoint")
        service = str(body.get("service") or "")
        if not re.match(r"^Microsoft\.[A-Za-z]+$", service, re.IGNORECASE):
            raise ArmError(400, "InvalidServiceEndpoint",
                           f"Service endpoint '{service}' in subnet {subnet_id} is not a valid service name, "
                           "e.g. Microsoft.Storage or Microsoft.KeyVault.")
        locations = body.get("locations") or [location.replace(" ", "").lower()]
        return {"service": service, "locations": list(locations), "provisioningState": "Succeeded"}

    def render(self, ctx: Context, doc: dict) -> dict:
        from .network_peering import render_vnet_peerings  # pylint: disable=import-outside-toplevel  # it imports this module
        return render_vnet_peerings(ctx, doc, super().render(ctx, doc))

    def check_delete(self, ctx: Context, doc: dict) -> None:
        for subnet in doc["properties"].get("subnets", []):
            if subnet.get("_usedBy"):
                raise _in_use_error(subnet)


class Subnets(NestedType):
    namespace = NS
    types = ("virtualNetworks", "subnets")
    parent_type = VNET_TYPE
    list_key = "subnets"

    def put(self, ctx: Context, ref: Ref, body: dict) -> tuple[dict, bool]:
        vnets: VirtualNetworks = self.parent_handler(ctx)  # type: ignore[assignment]
        vnet = self.parent_doc(ctx, ref)
        existing = self.find(ctx, ref)
        subnet = vnets.build_subnet(ctx, vnet["id"], dict(body, name=existing["name"] if existing else ref.name),
                                    existing, vnet["location"])
        siblings = [s for s in self.children(vnet) if s["name"].lower() != ref.name.lower()]
        if existing:
            index = self.children(vnet).index(existing)
            new_list = siblings[:index] + [subnet] + siblings[index:]
        else:
            new_list = siblings + [subnet]
        networks = [ipaddress.ip_network(p) for p in vnet["properties"]["addressSpace"]["addressPrefixes"]]
        vnets.validate_layout(vnet["name"], networks, new_list)
        vnet["properties"]["subnets"] = new_list
        vnet["etag"] = new_etag()
        return subnet, existing is None

    def check_delete(self, ctx: Context, parent: dict, doc: dict) -> None:
        if doc.get("_usedBy"):
            raise _in_use_error(doc)


DEFAULT_RULES = (
    ("AllowVnetInBound", 65000, "Inbound", "Allow", "VirtualNetwork", "VirtualNetwork"),
    ("AllowAzureLoadBalancerInBound", 65001, "Inbound", "Allow", "AzureLoadBalancer", "*"),
    ("DenyAllInBound", 65500, "Inbound", "Deny", "*", "*"),
    ("AllowVnetOutBound", 65000, "Outbound", "Allow", "VirtualNetwork", "VirtualNetwork"),
    ("AllowInternetOutBound", 65001, "Outbound", "Allow", "*", "Internet"),
    ("DenyAllOutBound", 65500, "Outbound", "Deny", "*", "*"),
)
PROTOCOLS = ("Tcp", "Udp", "Icmp", "Esp", "Ah", "*")


class NetworkSecurityGroups(TopLevelType):
    namespace = NS
    types = ("networkSecurityGroups",)

    def build_properties(self, ctx: Context, ref: Ref, body: dict, existing: dict | None, location: str) -> dict:
        props = dict(require_dict(body.get("properties"), "properties"))
        nsg_id = existing["id"] if existing else ref.id
        rules = props.get("securityRules") or []
        if not isinstance(rules, list):
            raise invalid_request("properties.securityRules must be a list.")
        built = [self.build_rule(nsg_id, r, None) for r in rules]
        self.check_conflicts(built)
        props.pop("provisioningState", None)
        props.pop("subnets", None)
        props.update({
            "securityRules": built,
            "defaultSecurityRules": [self._default_rule(nsg_id, *rule) for rule in DEFAULT_RULES],
            "resourceGuid": (existing or {}).get("properties", {}).get("resourceGuid") or str(uuid.uuid4()),
            "provisioningState": "Succeeded",
        })
        return props

    def build_rule(self, nsg_id: str, body: Any, name: str | None) -> dict:
        body = require_dict(body, "security rule")
        name = name or str(body.get("name") or "")
        self.validate_name(name)
        rule_id = f"{nsg_id}/securityRules/{name}"
        props = dict(require_dict(body.get("properties"), f"properties of security rule {name}"))
        props.pop("provisioningState", None)
        try:
            priority = int(props.get("priority"))
        except (TypeError, ValueError):
            priority = -1
        if not 100 <= priority <= 4096:
            raise ArmError(400, "SecurityRuleInvalidPriority",
                           f"Security rule has invalid Priority. Value provided: {props.get('priority')} "
                           "Allowed values: 100-4096.")
        props["priority"] = priority
        props["protocol"] = _canon(props.get("protocol"), PROTOCOLS, "protocol", rule_id)
        props["access"] = _canon(props.get("access"), ("Allow", "Deny"), "access", rule_id)
        props["direction"] = _canon(props.get("direction"), ("Inbound", "Outbound"), "direction", rule_id)
        for side in ("source", "destination"):
            ports, prefixes = f"{side}PortRange", f"{side}AddressPrefix"
            if not props.get(ports) and not props.get(ports + "s"):
                raise ArmError(400, "InvalidRequestFormat", f"Security rule {rule_id} must specify {ports} or {ports}s.")
            if not props.get(prefixes) and not props.get(prefixes + "es") and \
                    not props.get(f"{side}ApplicationSecurityGroups"):
                raise ArmError(400, "InvalidRequestFormat",
                               f"Security rule {rule_id} must specify {prefixes}, {prefixes}es or "
                               f"{side}ApplicationSecurityGroups.")
            for value in props.get(prefixes + "es") or []:
                if not _is_address(value):
                    # Azure's answer (terraform-provider-azurerm#5617): tags and '*' only in the singular field.
                    field = prefixes[0].upper() + prefixes[1:] + "es"
                    raise ArmError(400, "SecurityRuleParameterContainsUnsupportedValue",
                                   f"Security rule parameter {field} for rule with Id {rule_id} cannot specify existing "
                                   f"VIRTUALNETWORK, INTERNET, AZURELOADBALANCER, '*' or system tags. Unsupported value used: {value}.")
            props.setdefault(ports + "s", [])
            props.setdefault(prefixes + "es", [])
        props["provisioningState"] = "Succeeded"
        return {"id": rule_id, "name": name, "etag": new_etag(), "type": RULE_TYPE, "properties": props}

    @staticmethod
    def check_conflicts(rules: list[dict]) -> None:
        seen: dict[tuple, str] = {}
        for rule in rules:
            key = (rule["properties"]["priority"], rule["properties"]["direction"])
            if key in seen:
                raise ArmError(400, "SecurityRuleConflict",
                               f"Security rule {seen[key]} conflicts with rule {rule['name']}. Rules cannot have the "
                               "same Priority and Direction. To learn more, see aka.ms/nsgrules.")
            seen[key] = rule["name"]

    @staticmethod
    def _default_rule(nsg_id: str, name: str, priority: int, direction: str, access: str, src: str, dst: str) -> dict:
        return {"id": f"{nsg_id}/defaultSecurityRules/{name}", "name": name, "etag": new_etag(),
                "type": f"{NSG_TYPE}/defaultSecurityRules",
                "properties": {"description": f"Default rule {name}", "protocol": "*", "sourcePortRange": "*",
                               "destinationPortRange": "*", "sourceAddressPrefix": src, "destinationAddressPrefix": dst,
                               "access": access, "priority": priority, "direction": direction,
                               "sourcePortRanges": [], "destinationPortRanges": [], "sourceAddressPrefixes": [],
                               "destinationAddressPrefixes": [], "provisioningState": "Succeeded"}}

    @staticmethod
    def users(ctx: Context, nsg_id: str) -> list[str]:
        """Ids of the subnets associated with this NSG (ARM shows them as properties.subnets)."""
        subscription = "/".join(nsg_id.split("/")[:3])
        return [subnet["id"] for vnet in ctx.state.of_type(VNET_TYPE, subscription)
                for subnet in vnet["properties"].get("subnets", [])
                if subnet["properties"].get("networkSecurityGroup", {}).get("id", "").lower() == nsg_id.lower()]

    def render(self, ctx: Context, doc: dict) -> dict:
        out = super().render(ctx, doc)
        users = self.users(ctx, doc["id"])
        if users:
            out["properties"]["subnets"] = [{"id": i} for i in users]
        return out

    def check_delete(self, ctx: Context, doc: dict) -> None:
        users = self.users(ctx, doc["id"])
        if users:
            raise ArmError(400, "InUseNetworkSecurityGroupCannotBeDeleted",
                           f"Network security group {doc['id']} cannot be deleted because it is in use by the "
                           f"following resources: {', '.join(users)}. In order to delete the Network security group, "
                           "remove the association with the resource(s). To learn how to do this, see aka.ms/deletensg.")


class SecurityRules(NestedType):
    namespace = NS
    types = ("networkSecurityGroups", "securityRules")
    parent_type = NSG_TYPE
    list_key = "securityRules"

    def put(self, ctx: Context, ref: Ref, body: dict) -> tuple[dict, bool]:
        nsgs: NetworkSecurityGroups = self.parent_handler(ctx)  # type: ignore[assignment]
        nsg = self.parent_doc(ctx, ref)
        existing = self.find(ctx, ref)
        rule = nsgs.build_rule(nsg["id"], body, existing["name"] if existing else ref.name)
        rules = [r for r in self.children(nsg) if r["name"].lower() != ref.name.lower()] + [rule]
        nsgs.check_conflicts(rules)
        nsg["properties"]["securityRules"] = rules
        nsg["etag"] = new_etag()
        return rule, existing is None


# Usage rows the emulator serves: (usage name, localized name, the type it counts). The shape of a row (currentValue,
# limit, name {value, localizedValue}, unit Count, id .../locations/{location}/usages/{name}) and these two names are
# those of the REST reference's sample (learn.microsoft.com rest/api/virtualnetwork/usages, "List usages"); Azure
# lists more rows (public IPs, NICs, load balancers, ...), which nothing here reads.
USAGE_ROWS = (("VirtualNetworks", "Virtual Networks", VNET_TYPE),
              ("NetworkSecurityGroups", "Network Security Groups", NSG_TYPE))


def same_location(left: str, right: str) -> bool:
    return str(left).replace(" ", "").lower() == str(right).replace(" ", "").lower()


class Usages(ResourceType):
    """GET /subscriptions/{id}/providers/Microsoft.Network/locations/{location}/usages (Usages_List): how many virtual
    networks and NSGs the subscription has in the location, against the limits of the emulator's capacity config."""

    namespace = NS
    types = ("locations", "usages")

    def list(self, ctx: Context, ref: Ref) -> list[dict]:
        location, limits = ref.names[0], ctx.config.capacity_snapshot()["limits"]
        rows = []
        for name, localized, type_name in USAGE_ROWS:
            current = sum(1 for doc in ctx.state.of_type(type_name, f"/subscriptions/{ref.subscription}")
                          if same_location(doc.get("location", ""), location))
            rows.append({"id": f"/subscriptions/{ref.subscription}/providers/{NS}/locations/{location}/usages/{name}",
                         "currentValue": current, "limit": limits[name], "name": {"value": name, "localizedValue": localized},
                         "unit": "Count"})
        return rows


TYPES = [VirtualNetworks(), Subnets(), NetworkSecurityGroups(), SecurityRules(), Usages()]
