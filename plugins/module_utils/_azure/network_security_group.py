# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Network security groups with their rules for the resource engine. PRIVATE to the collection."""

from __future__ import annotations

import copy
import ipaddress
import re

from ansible_collections.complianceflow.infra.plugins.module_utils._azure.arm import SdkApi
from ansible_collections.complianceflow.infra.plugins.module_utils._azure.runner import Resource, merge_keyed, tags_plan
from ansible_collections.complianceflow.infra.plugins.module_utils._azure.values import (
    AzureInputError, merge_tags, validate_name, validate_tags)
from ansible_collections.complianceflow.infra.plugins.module_utils._azure.virtual_network import NETWORK_API_VERSION

NSG_TYPE = "Microsoft.Network/networkSecurityGroups"
API = SdkApi("network", "network_security_groups", NETWORK_API_VERSION, model="NetworkSecurityGroup", patch="update_tags")

PROTOCOLS = {p.lower(): p for p in ("Tcp", "Udp", "Icmp", "Esp", "Ah", "*")}
DIRECTIONS = {d.lower(): d for d in ("Inbound", "Outbound")}
ACCESS = {a.lower(): a for a in ("Allow", "Deny")}
RULE_FIELDS = ("priority", "direction", "access", "protocol", "source_address_prefixes", "source_port_ranges",
               "destination_address_prefixes", "destination_port_ranges")
_LISTS = (("source_address_prefixes", "sourceAddressPrefix", "sourceAddressPrefixes"),
          ("source_port_ranges", "sourcePortRange", "sourcePortRanges"),
          ("destination_address_prefixes", "destinationAddressPrefix", "destinationAddressPrefixes"),
          ("destination_port_ranges", "destinationPortRange", "destinationPortRanges"))
_SERVICE_TAG = re.compile(r"^[A-Za-z][A-Za-z0-9]*(\.[A-Za-z0-9]+)*$")


def _port_range(value, what: str) -> str:
    text = str(value).strip()
    if text == "*":
        return text
    parts = text.split("-")
    if len(parts) in (1, 2) and all(p.isdigit() and 0 <= int(p) <= 65535 for p in parts) and int(parts[0]) <= int(parts[-1]):
        return text
    raise AzureInputError(f"{what}: {value!r} is not a port, a range like 5432-5433, or *")


def _address(value, what: str) -> str:
    text = str(value).strip()
    if text == "*" or _SERVICE_TAG.match(text):
        return text  # any address, or a service tag (VirtualNetwork, AzureLoadBalancer, Internet, Storage.WestEurope ...)
    try:
        net = ipaddress.ip_network(text, strict=False) if "/" in text else ipaddress.ip_address(text)
    except ValueError as err:
        raise AzureInputError(f"{what}: {value!r} is not an IP address, a CIDR block, a service tag or *") from err
    if "/" in text and net.network_address != ipaddress.ip_interface(text).ip:   # spelling (FD00::/48) is no host bit
        raise AzureInputError(f"{what}: {value!r} has host bits set; the network is {net}")
    return text


def _is_ip(text: str) -> bool:
    try:
        ipaddress.ip_network(text, strict=False)
        return True
    except ValueError:
        return False


def _choice(table: dict, value, what: str) -> str:
    try:
        return table[str(value).lower()]
    except KeyError:
        raise AzureInputError(f"{what}: {value!r} is not one of {', '.join(table.values())}") from None


def normalize_rules(rules: list | None) -> list | None:
    """Validated rules with Azure's spelling and the documented defaults filled in."""
    if rules is None:
        return None
    result, names, priorities = [], set(), {}
    for rule in rules:
        name = validate_name(rule.get("name"), "rules[].name")
        what = f"rules[{name}]"
        if name.lower() in names:
            raise AzureInputError(f"{what}: the rule name is listed twice")
        names.add(name.lower())
        priority = rule.get("priority")
        if not isinstance(priority, int) or isinstance(priority, bool) or not 100 <= priority <= 4096:
            raise AzureInputError(f"{what}.priority: {priority!r} must be an integer from 100 to 4096")
        direction = _choice(DIRECTIONS, rule.get("direction") or "Inbound", f"{what}.direction")
        if (direction, priority) in priorities:
            raise AzureInputError(f"{what}.priority: {priority} is already used by {direction} rule {priorities[(direction, priority)]!r}")
        priorities[(direction, priority)] = name
        out = {"name": name, "priority": priority, "direction": direction,
               "access": _choice(ACCESS, rule.get("access") or "Allow", f"{what}.access"),
               "protocol": _choice(PROTOCOLS, rule.get("protocol") or "*", f"{what}.protocol")}
        for key, _single, _plural in _LISTS:
            values = rule.get(key) or ["*"]
            check = _port_range if key.endswith("port_ranges") else _address
            out[key] = sorted({check(v, f"{what}.{key}") for v in values})
            tags = [v for v in out[key] if key.endswith("address_prefixes") and not _is_ip(v)]
            if tags and len(out[key]) > 1:
                # Azure sends several prefixes in the plural field, which takes no tag and no '*' (400
                # SecurityRuleParameterContainsUnsupportedValue; terraform-provider-azurerm#5617, its docs).
                raise AzureInputError(f"{what}.{key}: {tags[0]!r} must stand alone: Azure accepts a service tag or * only as "
                                      f"the single prefix of a rule, not with {', '.join(v for v in out[key] if v != tags[0])}; "
                                      "split it into two rules")
        if rule.get("description") is not None:
            if len(rule["description"]) > 140:
                raise AzureInputError(f"{what}.description: Azure allows at most 140 characters")
            out["description"] = rule["description"]
        result.append(out)
    return result


def rule_view(rule: dict) -> dict:
    props = rule.get("properties") or {}
    view = {"name": rule.get("name"), "priority": props.get("priority"), "direction": props.get("direction"),
            "access": props.get("access"), "protocol": props.get("protocol")}
    for key, single, plural in _LISTS:
        view[key] = sorted(props.get(plural) or ([props[single]] if props.get(single) else []))
    view["description"] = props.get("description")
    return view


def rule_body(rule: dict) -> dict:
    props = {"priority": rule["priority"], "direction": rule["direction"], "access": rule["access"], "protocol": rule["protocol"]}
    for key, single, plural in _LISTS:
        # Azure keeps one value in the singular field and several in the plural one.
        if len(rule[key]) == 1:
            props[single] = rule[key][0]
        else:
            props[plural] = list(rule[key])
    if rule.get("description") is not None:
        props["description"] = rule["description"]
    return {"name": rule["name"], "properties": props}


def nsg_view(nsg: dict | None) -> dict:
    if not nsg:
        return {}
    props = nsg.get("properties") or {}
    return {"id": nsg.get("id"), "name": nsg.get("name"), "location": nsg.get("location"), "tags": dict(nsg.get("tags") or {}),
            "rules": sorted((rule_view(r) for r in props.get("securityRules") or []), key=lambda r: (r["direction"] or "", r["priority"] or 0)),
            "subnets": [s.get("id") for s in props.get("subnets") or []],
            "provisioning_state": props.get("provisioningState")}


def _same_rule(have: dict, want: dict) -> bool:
    keys = RULE_FIELDS + (("description",) if "description" in want else ())
    return all(have.get(k) == want.get(k) for k in keys)


def plan_network_security_group(existing: dict | None, spec: dict):
    """The Plan for state=present; only the listed rules (and tags, when given) are compared."""
    validate_name(spec["name"], "name")
    tags_wanted = validate_tags(spec.get("tags"))
    rules = normalize_rules(spec.get("rules"))
    if existing is None and not spec.get("location"):
        raise AzureInputError(f"network security group {spec['name']!r} does not exist: location is needed to create it")
    body = copy.deepcopy(existing) if existing else {"location": spec["location"], "properties": {}}
    props = body.setdefault("properties", {})
    before, after, changed = {}, {}, False
    if rules is not None:
        merged = merge_keyed(props.get("securityRules") or [], rules, purge=spec.get("purge_rules"), view=rule_view,
                             build=lambda _old, want: rule_body(want), same=_same_rule)
        props["securityRules"] = merged.items
        before["rules"], after["rules"], changed = merged.before, merged.after, merged.changed
    old_tags = dict((existing or {}).get("tags") or {})
    tags = merge_tags(old_tags, tags_wanted, spec.get("purge_tags", True))
    if tags_wanted is not None:
        before["tags"], after["tags"] = old_tags, tags
    return tags_plan(existing, body, before, after, changed, tags)


class NetworkSecurityGroup(Resource):
    what = "network security group"
    result_key = "network_security_group"
    api = API
    provider_type = NSG_TYPE

    def validate(self):
        validate_name(self.params["resource_group"], "resource_group", "resource group")
        validate_name(self.params["name"], "name")
        normalize_rules(self.params["rules"])

    def view(self, doc):
        return nsg_view(dict(doc, name=doc.get("name") or self.params["name"]) if doc else doc)

    def deleted_view(self, existing, related):
        return {"rules": nsg_view(existing)["rules"]}

    def plan(self, existing, related):
        return plan_network_security_group(existing, {k: self.params[k] for k in ("name", "location", "rules", "purge_rules", "tags", "purge_tags")})
