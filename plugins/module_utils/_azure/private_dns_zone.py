# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Private DNS zones and their virtual network links: validation and plans. PRIVATE to the collection."""

from __future__ import annotations

import re

from ansible_collections.complianceflow.infra.plugins.module_utils._azure.values import (
    AzureInputError, ids_equal, id_or_name, merge_tags, validate_name, validate_tags)

VNET_TYPE = "Microsoft.Network/virtualNetworks"
_LABEL = re.compile(r"^(?!-)[a-z0-9-]{1,63}(?<!-)$")


def validate_zone_name(name: str) -> str:
    text = (name or "").rstrip(".").lower()
    labels = text.split(".")
    if len(labels) < 2 or len(text) > 253 or not all(_LABEL.match(label) for label in labels):
        raise AzureInputError(f"name: {name!r} is not a DNS zone name; use 2-34 labels of letters, digits and hyphens "
                              "separated by dots, e.g. privatelink.postgres.database.azure.com")
    return text


def link_view(link: dict) -> dict:
    props = link.get("properties") or {}
    return {"name": link.get("name"), "id": link.get("id"),
            "virtual_network": (props.get("virtualNetwork") or {}).get("id"),
            "registration_enabled": bool(props.get("registrationEnabled")),
            "state": props.get("virtualNetworkLinkState")}


def zone_view(zone: dict | None, links: list | None = None) -> dict:
    if not zone:
        return {}
    props = zone.get("properties") or {}
    return {"id": zone.get("id"), "name": zone.get("name"), "tags": dict(zone.get("tags") or {}),
            "number_of_record_sets": props.get("numberOfRecordSets"),
            "virtual_network_links": sorted((link_view(l) for l in links or []), key=lambda l: l["name"].lower()),
            "provisioning_state": props.get("provisioningState")}


def normalize_links(links: list | None, subscription_id: str, resource_group: str) -> list | None:
    if links is None:
        return None
    result, names = [], set()
    for link in links:
        name = validate_name(link.get("name"), "virtual_network_links[].name")
        if name.lower() in names:
            raise AzureInputError(f"virtual_network_links: {name!r} is listed twice")
        names.add(name.lower())
        vnet = link.get("virtual_network")
        if not vnet:
            raise AzureInputError(f"virtual_network_links[{name}].virtual_network is required (a name in this resource group or an id)")
        if not vnet.startswith("/"):
            validate_name(vnet, f"virtual_network_links[{name}].virtual_network")
        result.append({"name": name, "virtual_network": id_or_name(vnet, subscription_id, resource_group, VNET_TYPE),
                       "registration_enabled": bool(link.get("registration_enabled"))})
    return result


def plan_private_dns_zone(zone: dict | None, links: list, spec: dict, subscription_id: str, resource_group: str) -> dict:
    """{zone_changed, tags_only, zone_body, put_links, delete_links, changed, before, after} for state=present."""
    spec["name"] = validate_zone_name(spec["name"])
    tags_wanted = validate_tags(spec.get("tags"))
    wanted_links = normalize_links(spec.get("virtual_network_links"), subscription_id, resource_group)
    old_tags = dict((zone or {}).get("tags") or {})
    tags = merge_tags(old_tags, tags_wanted, spec.get("purge_tags", True))
    before, after = {}, {}
    if tags_wanted is not None:
        before["tags"], after["tags"] = old_tags, tags
    have = {l["name"].lower(): link_view(l) for l in links}
    put_links, delete_links = [], []
    if wanted_links is not None:
        before["virtual_network_links"], after["virtual_network_links"] = [], []
        for link in wanted_links:
            current = have.pop(link["name"].lower(), None)
            if current:
                before["virtual_network_links"].append({k: current[k] for k in link})
            after["virtual_network_links"].append(link)
            if current is None or not ids_equal(current["virtual_network"], link["virtual_network"]) \
                    or current["registration_enabled"] != link["registration_enabled"]:
                put_links.append(link)
        if spec.get("purge_virtual_network_links"):
            for current in have.values():
                delete_links.append(current["name"])
                before["virtual_network_links"].append({k: current[k] for k in ("name", "virtual_network", "registration_enabled")})
    tags_changed = zone is not None and tags != old_tags
    if zone is None:
        before = {}
    return {"zone_create": zone is None, "tags_changed": tags_changed, "tags": tags,
            "zone_body": {"location": "global", "tags": tags},
            "put_links": put_links, "delete_links": delete_links,
            "changed": zone is None or tags_changed or bool(put_links) or bool(delete_links),
            "before": before, "after": after}


def link_body(link: dict, tags: dict | None = None) -> dict:
    body = {"location": "global", "properties": {"virtualNetwork": {"id": link["virtual_network"]},
                                                 "registrationEnabled": link["registration_enabled"]}}
    if tags is not None:
        body["tags"] = tags
    return body
