# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Virtual networks and subnets: validation, views and the desired ARM body. PRIVATE to the collection.

Pure Python on ARM REST JSON. `plan_virtual_network` answers the body to PUT (existing fields
the user did not set are kept), whether only tags change, and before/after views of what the
user set, so the module only has to call Azure.
"""

from __future__ import annotations

import copy
import ipaddress
import re

from ansible_collections.complianceflow.infra.plugins.module_utils._azure.values import (
    AzureInputError, ids_equal, id_or_name, merge_tags, parse_cidr, pick, validate_name, validate_tags)

NSG_TYPE = "Microsoft.Network/networkSecurityGroups"
VNET_TYPE = "Microsoft.Network/virtualNetworks"
SUBNET_FIELDS = ("address_prefix", "delegations", "service_endpoints", "network_security_group",
                 "private_endpoint_network_policies", "private_link_service_network_policies")
_DELEGATION = re.compile(r"^[A-Za-z0-9.]+/[A-Za-z0-9./]+$")
_SERVICE_ENDPOINT = re.compile(r"^Microsoft\.[A-Za-z]+(\.[A-Za-z]+)*$")


def validate_virtual_network(spec: dict) -> dict:
    """Check names, CIDRs and subnet placement before any call; return the spec with parsed parts."""
    validate_name(spec["name"], "name")
    spec["tags"] = validate_tags(spec.get("tags"))
    spaces = [parse_cidr(p, "address_prefixes") for p in spec.get("address_prefixes") or []]
    for i, a in enumerate(spaces):
        for b in spaces[i + 1:]:
            if a.overlaps(b):
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
        net = parse_cidr(subnet["address_prefix"], what)
        if spaces and not any(net.version == s.version and net.subnet_of(s) for s in spaces):
            raise AzureInputError(f"{what}: {net} is outside the address space {', '.join(map(str, spaces))}")
        for other, other_net in seen.values():
            if net.overlaps(other_net):
                raise AzureInputError(f"{what}: {net} overlaps subnet {other!r} ({other_net})")
        seen[name.lower()] = (name, net)
        for service in subnet.get("delegations") or []:
            if not _DELEGATION.match(service):
                raise AzureInputError(f"subnets[{name}].delegations: {service!r} is not a service name like Microsoft.App/environments")
        for service in subnet.get("service_endpoints") or []:
            if not _SERVICE_ENDPOINT.match(service):
                raise AzureInputError(f"subnets[{name}].service_endpoints: {service!r} is not a service like Microsoft.Storage")
    return spec


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
        "subnets": [subnet_view(s) for s in props.get("subnets") or []],
        "provisioning_state": props.get("provisioningState"),
    }


def _wanted_subnet(spec: dict, subscription_id: str, resource_group: str) -> dict:
    """The user-set fields of one subnet, normalised like subnet_view."""
    wanted = {k: spec.get(k) for k in SUBNET_FIELDS if spec.get(k) is not None}
    for key in ("delegations", "service_endpoints"):
        if key in wanted:
            wanted[key] = sorted(set(wanted[key]))
    nsg = wanted.get("network_security_group")
    if nsg is not None:
        wanted["network_security_group"] = id_or_name(nsg, subscription_id, resource_group, NSG_TYPE) if nsg else None
    return wanted


def _field_equal(key: str, have, want) -> bool:
    if key == "network_security_group":
        return ids_equal(have, want)
    return have == want


def _apply_subnet(existing: dict | None, name: str, wanted: dict) -> dict:
    """A subnet body: the existing one (fields the user did not set kept) with `wanted` applied."""
    subnet = copy.deepcopy(existing) if existing else {"name": name, "properties": {}}
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


def plan_virtual_network(existing: dict | None, spec: dict, subscription_id: str, resource_group: str) -> dict:
    """What to do for state=present.

    Returns {changed, tags_only, body (REST JSON to PUT), tags (final), before, after} where
    before/after hold only what the user set (plus subnets purge_subnets removes).
    """
    if existing is None and not spec.get("address_prefixes"):
        raise AzureInputError(f"virtual network {spec['name']!r} does not exist: address_prefixes is needed to create it")
    if existing is None and not spec.get("location"):
        raise AzureInputError(f"virtual network {spec['name']!r} does not exist: location is needed to create it")
    if existing and spec.get("location") and existing.get("location", "").replace(" ", "").lower() != spec["location"].replace(" ", "").lower():
        raise AzureInputError(f"virtual network {spec['name']!r} is in {existing.get('location')}; "
                              f"Azure cannot move it to {spec['location']} (delete it first)")
    body = copy.deepcopy(existing) if existing else {"location": spec["location"], "properties": {}}
    props = body.setdefault("properties", {})
    have = vnet_view(existing)
    before, after = {}, {}
    changed = False

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

    if spec.get("subnets") is not None:
        changed = _plan_subnets(props, have, spec, subscription_id, resource_group, before, after) or changed

    tags = merge_tags(existing.get("tags") if existing else {}, spec.get("tags"), spec.get("purge_tags", True))
    tags_changed = tags != dict((existing or {}).get("tags") or {})
    if spec.get("tags") is not None:
        before["tags"] = dict((existing or {}).get("tags") or {})
        after["tags"] = tags
    body["tags"] = tags
    if existing is None:
        changed = True
        before = {}
    return {"changed": changed or tags_changed, "tags_only": bool(existing) and tags_changed and not changed,
            "body": body, "tags": tags, "before": before, "after": after}


def _plan_subnets(props, have, spec, subscription_id, resource_group, before, after) -> bool:
    existing_subnets = {s["name"].lower(): s for s in props.get("subnets") or []}
    have_views = {s["name"].lower(): s for s in have.get("subnets", [])}
    new_subnets, changed = [], False
    before["subnets"], after["subnets"] = [], []
    listed = set()
    for sub in spec["subnets"]:
        key = sub["name"].lower()
        listed.add(key)
        wanted = _wanted_subnet(sub, subscription_id, resource_group)
        current = have_views.get(key)
        differs = current is None or any(not _field_equal(k, current.get(k), v) for k, v in wanted.items())
        if current is not None:
            before["subnets"].append({"name": current["name"], **pick(current, wanted)})
        after["subnets"].append({"name": sub["name"], **wanted})
        if differs:
            changed = True
            new_subnets.append(_apply_subnet(existing_subnets.get(key), sub["name"], wanted))
        else:
            new_subnets.append(existing_subnets[key])
    for key, subnet in existing_subnets.items():
        if key in listed:
            continue
        if spec.get("purge_subnets"):
            changed = True
            before["subnets"].append({"name": subnet["name"], **pick(have_views[key], SUBNET_FIELDS)})
        else:
            new_subnets.append(subnet)
    props["subnets"] = new_subnets
    return changed
