# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Private DNS zones and their virtual network links for the resource engine. PRIVATE to the collection.

The links are child resources: the plan writes the zone (create, or a tags-only PATCH) and then starts
every link write together; a delete removes the links first (Azure refuses a zone that has links).
"""

from __future__ import annotations

import re

from ansible_collections.complianceflow.infra.plugins.module_utils._azure.arm import GenericApi
from ansible_collections.complianceflow.infra.plugins.module_utils._azure.carry import Carried, carry_over
from ansible_collections.complianceflow.infra.plugins.module_utils._azure.ids import ResourceId, id_or_name, ids_equal
from ansible_collections.complianceflow.infra.plugins.module_utils._azure.runner import Child, Plan, Resource, merge_keyed
from ansible_collections.complianceflow.infra.plugins.module_utils._azure.values import (
    PRIVATE_DNS_ZONE_MAX_TAGS, AzureInputError, check_dns_zone_tag_names, check_tag_count, merge_tags, validate_name,
    validate_tags)

ZONE_TYPE = "Microsoft.Network/privateDnsZones"
VNET_TYPE = "Microsoft.Network/virtualNetworks"
# The version azure-mgmt-privatedns 2.0 sends (docs/resource-engine.md: generic operations, no SDK needed).
API = GenericApi("2024-06-01")
LINKS = "virtualNetworkLinks"
_LABEL = re.compile(r"^(?!-)[a-z0-9-]{1,63}(?<!-)$")


def validate_zone_name(name: str) -> str:
    """2 to 34 labels (learn.microsoft.com/azure/dns/private-dns-privatednszone, Restrictions), 253 characters."""
    text = (name or "").rstrip(".").lower()
    labels = text.split(".")
    if not 2 <= len(labels) <= 34 or len(text) > 253 or not all(_LABEL.match(label) for label in labels):
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
        result.append({"name": name, "virtual_network": id_or_name(vnet, subscription_id, resource_group, VNET_TYPE,
                                                                   f"virtual_network_links[{name}].virtual_network"),
                       "registration_enabled": bool(link.get("registration_enabled"))})
    return result


# VirtualNetworkLinkProperties (2024-06-01): a link's PUT (its only write besides a PATCH) keeps its resolution policy
# and its tags, which this module does not manage (carry.py).
LINK_CARRIED = Carried(properties={"resolutionPolicy": None}, top_level={"tags": None})


def link_body(link: dict) -> dict:
    return {"location": "global", "properties": {"virtualNetwork": {"id": link["virtual_network"]},
                                                 "registrationEnabled": link["registration_enabled"]}}


def _same_link(have: dict, want: dict) -> bool:
    return ids_equal(have["virtual_network"], want["virtual_network"]) and have["registration_enabled"] == want["registration_enabled"]


def _link_diff_view(link: dict) -> dict:
    view = link_view(link)
    return {k: view[k] for k in ("name", "virtual_network", "registration_enabled")}


def _refuse_moved_links(links: list, wanted: list | None, zone: str) -> None:
    """A link's virtual network is set when the link is made: terraform-provider-azurerm replaces a link whose
    virtual_network_id changes (ForceNew), and the emulator refuses the PUT. Refused here before any write."""
    have = {str(link.get("name", "")).lower(): link_view(link) for link in links}
    for want in wanted or []:
        current = have.get(want["name"].lower())
        if current and not ids_equal(current["virtual_network"], want["virtual_network"]):
            raise AzureInputError(f"virtual_network_links[{want['name']}]: the link of zone {zone} already joins "
                                  f"{current['virtual_network']}; a link's virtual network is set when it is made. Give the "
                                  "new link another name (purge_virtual_network_links=true removes the old one)")


def plan_private_dns_zone(zone: dict | None, links: list, spec: dict, zone_id: ResourceId) -> Plan:
    """The zone's write (create, tags-only PATCH, or none) plus the link writes as children."""
    tags_wanted = validate_tags(spec.get("tags"), max_count=PRIVATE_DNS_ZONE_MAX_TAGS, what="private DNS zone")
    check_dns_zone_tag_names(tags_wanted)
    wanted = normalize_links(spec.get("virtual_network_links"), zone_id.subscription, zone_id.resource_group)
    old_tags = dict((zone or {}).get("tags") or {})
    tags = merge_tags(old_tags, tags_wanted, spec.get("purge_tags", True))
    check_tag_count(tags, PRIVATE_DNS_ZONE_MAX_TAGS, "private DNS zone")   # with the tags purge_tags=false keeps
    before, after = {}, {}
    if tags_wanted is not None:
        before["tags"], after["tags"] = old_tags, tags
    _refuse_moved_links(links, wanted, zone_id.name)
    merged = merge_keyed(links, wanted, purge=spec.get("purge_virtual_network_links"), view=_link_diff_view, same=_same_link)
    if wanted is not None:
        before["virtual_network_links"], after["virtual_network_links"] = merged.before, merged.after
    existing = {str(link.get("name", "")).lower(): link for link in links}
    children = [Child(f"link private DNS zone {zone_id.name} to {link['virtual_network']} as {link['name']}", "PUT",
                      zone_id.child(LINKS, link["name"]), carry_over(existing.get(link["name"].lower()), link_body(link), LINK_CARRIED), API)
                for link in merged.added + merged.updated]
    children += [Child(f"delete virtual network link {link['name']} of {zone_id.name}", "DELETE",
                       zone_id.child(LINKS, link["name"]), None, API) for link in merged.removed]
    if zone is None:
        return Plan("create", {"location": "global", "tags": tags}, {}, after, children)
    return Plan("tags" if tags != old_tags else "none", {"tags": tags}, before, after, children)


class PrivateDnsZone(Resource):
    what = "private DNS zone"
    result_key = "private_dns_zone"
    api = API

    def validate(self):
        validate_name(self.params["resource_group"], "resource_group", "resource group")
        self.zone = validate_zone_name(self.params["name"])
        validate_tags(self.params["tags"], max_count=PRIVATE_DNS_ZONE_MAX_TAGS, what="private DNS zone")
        check_dns_zone_tag_names(self.params["tags"])
        # Names only here: ids need the subscription, which needs the credentials.
        normalize_links(self.params["virtual_network_links"], "-", self.params["resource_group"])

    def resource_id(self) -> ResourceId:
        return ResourceId.build(self.module.subscription_id, self.params["resource_group"], ZONE_TYPE, self.zone)

    def read_related(self, rid, existing):
        with self.module.operation(f"list virtual network links of private DNS zone {rid.name}"):
            return {"links": API.list(self.module, rid, LINKS)}

    def view(self, doc):
        return zone_view(doc)

    def result(self, doc, related):
        return {self.result_key: zone_view(doc, related.get("links")) if doc else {}}

    def deleted_view(self, existing, related):
        view = zone_view(existing, related["links"])
        return {"tags": view["tags"], "virtual_network_links": view["virtual_network_links"]}

    def delete_children(self, existing, related):
        rid = self.resource_id()
        return [Child(f"delete virtual network link {link['name']} of {rid.name}", "DELETE", rid.child(LINKS, link["name"]), None, API)
                for link in related["links"]]

    def plan(self, existing, related):
        spec = {k: self.params[k] for k in ("virtual_network_links", "purge_virtual_network_links", "tags", "purge_tags")}
        return plan_private_dns_zone(existing, related.get("links", []), spec, self.resource_id())

    def predict_related(self, related, plan):
        links = {link["name"].lower(): link for link in related.get("links", [])}
        for child in plan.children:
            if child.method == "DELETE":
                links.pop(child.resource_id.name.lower(), None)
            else:
                links[child.resource_id.name.lower()] = dict(child.body, name=child.resource_id.name)
        return {"links": list(links.values())}
