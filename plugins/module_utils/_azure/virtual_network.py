# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Virtual networks with their subnets for the resource engine. PRIVATE to the collection.

Pure planning on ARM REST JSON: the body to PUT keeps what exists and the user did not set (a route
table attached by someone else, subnets not listed unless purge_subnets), and before/after hold only
what the user set.
"""

from __future__ import annotations

import copy
import ipaddress
import re

from ansible_collections.complianceflow.infra.plugins.module_utils._azure.arm import SdkApi
from ansible_collections.complianceflow.infra.plugins.module_utils._azure.ids import id_or_name, ids_equal
from ansible_collections.complianceflow.infra.plugins.module_utils._azure.runner import Resource, merge_keyed, tags_plan
from ansible_collections.complianceflow.infra.plugins.module_utils._azure.values import (
    AzureInputError, merge_tags, pick, same_location, validate_name, validate_tags)
from ansible_collections.complianceflow.infra.plugins.module_utils._deployment.cidr import overlaps, parse_cidr

# azure-mgmt-network 33 sends api-version 2026-03-01 (docs/resource-engine.md: why this type keeps its SDK).
NETWORK_API_VERSION = "2026-03-01"
API = SdkApi("network", "virtual_networks", NETWORK_API_VERSION, model="VirtualNetwork", patch="update_tags")
SUBNET_API = SdkApi("network", "subnets", NETWORK_API_VERSION, args_of=lambda rid: (rid.resource_group, rid.names[0], rid.name))

NSG_TYPE = "Microsoft.Network/networkSecurityGroups"
DDOS_PLAN_TYPE = "Microsoft.Network/ddosProtectionPlans"
VNET_TYPE = "Microsoft.Network/virtualNetworks"
SUBNET_FIELDS = ("address_prefix", "delegations", "service_endpoints", "network_security_group",
                 "private_endpoint_network_policies", "private_link_service_network_policies")
_DELEGATION = re.compile(r"^[A-Za-z0-9.]+/[A-Za-z0-9./]+$")
_SERVICE_ENDPOINT = re.compile(r"^Microsoft\.[A-Za-z]+(\.[A-Za-z]+)*$")


def validate_virtual_network(spec: dict) -> dict:
    """Check names, CIDRs and subnet placement before any call; return the spec with parsed parts."""
    validate_name(spec["name"], "name", "network 2-64")
    spec["tags"] = validate_tags(spec.get("tags"))
    spaces = [_cidr(p, "address_prefixes") for p in spec.get("address_prefixes") or []]
    for i, a in enumerate(spaces):
        for b in spaces[i + 1:]:
            if a.version == b.version and overlaps(a, b):
                raise AzureInputError(f"address_prefixes: {a} and {b} overlap")
    for server in spec.get("dns_servers") or []:
        try:
            ipaddress.ip_address(server)
        except ValueError as err:
            raise AzureInputError(f"dns_servers: {server!r} is not an IP address") from err
    seen = {}
    for subnet in spec.get("subnets") or []:
        name = validate_name(subnet.get("name"), "subnets[].name")
        if name.lower() in seen:
            raise AzureInputError(f"subnets: {name!r} is listed twice")
        what = f"subnets[{name}].address_prefix"
        if subnet.get("address_prefix") is None:
            raise AzureInputError(f"{what} is required")
        net = _cidr(subnet["address_prefix"], what)
        if spaces and not any(net.version == s.version and net in s for s in spaces):
            raise AzureInputError(f"{what}: {net} is outside the address space {', '.join(map(str, spaces))}")
        for other, other_net in seen.values():
            if net.version == other_net.version and overlaps(net, other_net):
                raise AzureInputError(f"{what}: {net} overlaps subnet {other!r} ({other_net})")
        seen[name.lower()] = (name, net)
        for service in subnet.get("delegations") or []:
            if not _DELEGATION.match(service):
                raise AzureInputError(f"subnets[{name}].delegations: {service!r} is not a service name like Microsoft.App/environments")
        for service in subnet.get("service_endpoints") or []:
            if not _SERVICE_ENDPOINT.match(service):
                raise AzureInputError(f"subnets[{name}].service_endpoints: {service!r} is not a service like Microsoft.Storage")
    return spec


def _cidr(value, what: str):
    return parse_cidr(value, what, within=None, error=AzureInputError, version=None)


def _prefixes(props: dict) -> list:
    return list(props.get("addressPrefixes") or ([props["addressPrefix"]] if props.get("addressPrefix") else []))


def subnet_view(subnet: dict) -> dict:
    props = subnet.get("properties") or {}
    prefixes = _prefixes(props)
    return {
        "name": subnet.get("name"),
        "id": subnet.get("id"),
        "address_prefix": prefixes[0] if len(prefixes) == 1 else None,
        "address_prefixes": prefixes,
        "delegations": sorted((d.get("properties") or {}).get("serviceName", "") for d in props.get("delegations") or []),
        "service_endpoints": sorted(e.get("service", "") for e in props.get("serviceEndpoints") or []),
        "network_security_group": (props.get("networkSecurityGroup") or {}).get("id"),
        "private_endpoint_network_policies": props.get("privateEndpointNetworkPolicies"),
        "private_link_service_network_policies": props.get("privateLinkServiceNetworkPolicies"),
    }


def vnet_view(vnet: dict | None) -> dict:
    if not vnet:
        return {}
    props = vnet.get("properties") or {}
    return {
        "id": vnet.get("id"),
        "name": vnet.get("name"),
        "location": vnet.get("location"),
        "tags": dict(vnet.get("tags") or {}),
        "address_prefixes": list((props.get("addressSpace") or {}).get("addressPrefixes") or []),
        "dns_servers": list((props.get("dhcpOptions") or {}).get("dnsServers") or []),
        "ddos_protection_plan": (props.get("ddosProtectionPlan") or {}).get("id") if props.get("enableDdosProtection") else None,
        "subnets": [subnet_view(s) for s in props.get("subnets") or []],
        # Read only here (module virtual_network_peering manages them; a VNet PUT keeps them): preflight.yml notes the
        # collection's peerings an inventory no longer declares.
        "peerings": [{"name": p.get("name"),
                      "remote_virtual_network": ((p.get("properties") or {}).get("remoteVirtualNetwork") or {}).get("id"),
                      "peering_state": (p.get("properties") or {}).get("peeringState")}
                     for p in props.get("virtualNetworkPeerings") or []],
        "provisioning_state": props.get("provisioningState"),
    }


def _wanted_subnet(spec: dict, subscription_id: str, resource_group: str) -> dict:
    """The user-set fields of one subnet (and its name), normalised like subnet_view."""
    wanted = {k: spec.get(k) for k in SUBNET_FIELDS if spec.get(k) is not None}
    for key in ("delegations", "service_endpoints"):
        if key in wanted:
            wanted[key] = sorted(set(wanted[key]))
    nsg = wanted.get("network_security_group")
    if nsg is not None:
        wanted["network_security_group"] = id_or_name(nsg, subscription_id, resource_group, NSG_TYPE, "network_security_group") if nsg else None
    return {"name": spec["name"], **wanted}


def _same_subnet(have: dict, want: dict) -> bool:
    return all(ids_equal(have.get(k), v) if k == "network_security_group" else have.get(k) == v
               for k, v in want.items() if k != "name")


def _subnet_diff_view(subnet: dict) -> dict:
    return {"name": subnet.get("name"), **pick(subnet_view(subnet), SUBNET_FIELDS)}


def _apply_subnet(existing: dict | None, wanted: dict) -> dict:
    """A subnet body: the existing one (fields the user did not set kept) with `wanted` applied."""
    subnet = copy.deepcopy(existing) if existing else {"name": wanted["name"], "properties": {}}
    props = subnet.setdefault("properties", {})
    if "address_prefix" in wanted:
        props.pop("addressPrefixes", None)
        props["addressPrefix"] = wanted["address_prefix"]
    if "delegations" in wanted:
        by_service = {(d.get("properties") or {}).get("serviceName"): d for d in props.get("delegations") or []}
        props["delegations"] = [by_service.get(s) or {"name": s.replace("/", "."), "properties": {"serviceName": s}}
                                for s in wanted["delegations"]]
    if "service_endpoints" in wanted:
        by_service = {e.get("service"): e for e in props.get("serviceEndpoints") or []}
        props["serviceEndpoints"] = [by_service.get(s) or {"service": s} for s in wanted["service_endpoints"]]
    if "network_security_group" in wanted:
        if wanted["network_security_group"]:
            props["networkSecurityGroup"] = {"id": wanted["network_security_group"]}
        else:
            props.pop("networkSecurityGroup", None)
    for key, rest in (("private_endpoint_network_policies", "privateEndpointNetworkPolicies"),
                      ("private_link_service_network_policies", "privateLinkServiceNetworkPolicies")):
        if key in wanted:
            props[rest] = wanted[key]
    return subnet


def plan_virtual_network(existing: dict | None, spec: dict, subscription_id: str, resource_group: str):
    """The Plan for state=present: create, PUT of the whole network, a tags-only PATCH, or nothing."""
    if existing is None and not spec.get("address_prefixes"):
        raise AzureInputError(f"virtual network {spec['name']!r} does not exist: address_prefixes is needed to create it")
    if existing is None and not spec.get("location"):
        raise AzureInputError(f"virtual network {spec['name']!r} does not exist: location is needed to create it")
    if existing and spec.get("location") and not same_location(existing.get("location"), spec["location"]):
        raise AzureInputError(f"virtual network {spec['name']!r} is in {existing.get('location')}; "
                              f"Azure cannot move it to {spec['location']} (delete it first)")
    body = copy.deepcopy(existing) if existing else {"location": spec["location"], "properties": {}}
    props = body.setdefault("properties", {})
    have = vnet_view(existing)
    before, after, changed = {}, {}, False
    if spec.get("address_prefixes") is not None:
        before["address_prefixes"] = have.get("address_prefixes", [])
        after["address_prefixes"] = list(spec["address_prefixes"])
        if sorted(before["address_prefixes"]) != sorted(after["address_prefixes"]):
            props.setdefault("addressSpace", {})["addressPrefixes"] = list(spec["address_prefixes"])
            changed = True
        else:
            after["address_prefixes"] = before["address_prefixes"]
    if spec.get("dns_servers") is not None:
        before["dns_servers"] = have.get("dns_servers", [])
        after["dns_servers"] = list(spec["dns_servers"])
        if before["dns_servers"] != after["dns_servers"]:
            props.setdefault("dhcpOptions", {})["dnsServers"] = list(spec["dns_servers"])
            changed = True
    if spec.get("ddos_protection_plan") is not None:   # REST spec 2026-03-01 VirtualNetworkPropertiesFormat (_azure/ddos_protection_plan.py)
        plan = spec["ddos_protection_plan"]
        plan = id_or_name(plan, subscription_id, resource_group, DDOS_PLAN_TYPE, "ddos_protection_plan") if plan else None
        before["ddos_protection_plan"], after["ddos_protection_plan"] = have.get("ddos_protection_plan"), plan
        if not (ids_equal(have.get("ddos_protection_plan"), plan) if plan else have.get("ddos_protection_plan") is None):
            if plan:
                props.update(enableDdosProtection=True, ddosProtectionPlan={"id": plan})
            else:
                props["enableDdosProtection"] = False
                props.pop("ddosProtectionPlan", None)
            changed = True
        else:
            after["ddos_protection_plan"] = before["ddos_protection_plan"]
    if spec.get("subnets") is not None:
        wanted = [_wanted_subnet(s, subscription_id, resource_group) for s in spec["subnets"]]
        merged = merge_keyed(props.get("subnets") or [], wanted, purge=spec.get("purge_subnets"), view=_subnet_diff_view,
                             build=_apply_subnet, same=_same_subnet)
        props["subnets"] = merged.items
        before["subnets"], after["subnets"] = merged.before, merged.after
        changed = changed or merged.changed
    old_tags = dict((existing or {}).get("tags") or {})
    tags = merge_tags(old_tags, spec.get("tags"), spec.get("purge_tags", True))
    if spec.get("tags") is not None:
        before["tags"], after["tags"] = old_tags, tags
    return tags_plan(existing, body, {} if existing is None else before, after, changed, tags)


class VirtualNetwork(Resource):
    what = "virtual network"
    result_key = "virtual_network"
    api = API
    provider_type = VNET_TYPE

    def validate(self):
        validate_name(self.params["resource_group"], "resource_group", "resource group")
        self.spec = validate_virtual_network({k: self.params.get(k) for k in (
            "name", "location", "address_prefixes", "dns_servers", "ddos_protection_plan", "subnets", "purge_subnets", "tags",
            "purge_tags")})

    def view(self, doc):
        return vnet_view(dict(doc, name=doc.get("name") or self.params["name"]) if doc else doc)

    def deleted_view(self, existing, related):
        view = vnet_view(existing)
        return {"address_prefixes": view["address_prefixes"], "subnets": [_subnet_diff_view(s) for s in existing["properties"].get("subnets") or []]}

    def plan(self, existing, related):
        return plan_virtual_network(existing, self.spec, self.module.subscription_id, self.params["resource_group"])
