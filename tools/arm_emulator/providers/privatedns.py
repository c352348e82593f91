"""Microsoft.Network private DNS: zones (location "global") and their virtual network links.

Links are stored as their own documents below the zone's id, so a zone delete sees them (and
refuses, as Azure does) and a resource group delete takes them along.
"""
from __future__ import annotations

import re
import uuid

from ..errors import ArmError
from .base import Context, Ref, TagLimits, TopLevelType, require_dict

NS = "Microsoft.Network"
ZONE_TYPE = f"{NS}/privateDnsZones"
LINK_TYPE = f"{ZONE_TYPE}/virtualNetworkLinks"
LABEL = re.compile(r"^(?!-)[A-Za-z0-9-_]{1,63}(?<!-)$")


def _kept_tags(tags: dict) -> dict:
    """Azure answers a zone write whose tag names hold a colon or a space, and drops those tags (a colon:
    Azure/azure-rest-api-specs#11748; a space: Azure/Azure-Landing-Zones#2315, "causing drift")."""
    return {key: value for key, value in tags.items() if ":" not in key and not any(c.isspace() for c in key)}


class PrivateDnsZones(TopLevelType):
    # At most 15 tags: Azure's 400 BadRequest as quoted in Azure/bicep-registry-modules#1541 (a zone's create); Azure
    # support in Azure/azure-rest-api-specs#13600 ("exists for private and public zones by design"). A link's: unverified.
    tag_limits = TagLimits(count=15, count_error=(
        "BadRequest", "The resource tags are invalid. A maximum of {count} tags are allowed with keys no longer than 512 "
        "and values no longer than 256 characters."))
    namespace = NS
    types = ("privateDnsZones",)
    fixed_location = "global"
    weak_etag = False
    lro_patch = True   # begin_update

    def validate_name(self, name: str) -> None:
        # 2 to 34 labels: Microsoft Learn, dns/private-dns-privatednszone (Restrictions).
        labels = name.rstrip(".").split(".")
        if len(labels) < 2:   # Azure's answer (crossplane-contrib/provider-upjet-azure#19)
            raise ArmError(400, "BadRequest", f"The zone name '{name}' does not have enough labels. Zone names must have "
                           "two or more labels.")
        if len(name) > 253 or not 2 <= len(labels) <= 34 or not all(LABEL.match(label) for label in labels):
            raise ArmError(400, "InvalidResourceName",
                           f"Resource name {name} is invalid. A private DNS zone name must be a fully qualified "
                           "domain name of 2 to 34 labels (e.g. privatelink.postgres.database.azure.com), each "
                           "label 1-63 letters, digits, hyphens or underscores, 253 characters in all.")

    def put(self, ctx: Context, ref: Ref, body: dict) -> tuple[dict, bool]:
        doc, created = super().put(ctx, ref, body)
        doc["tags"] = _kept_tags(doc["tags"])
        return doc, created

    def patch(self, ctx: Context, ref: Ref, body: dict) -> dict:
        doc = super().patch(ctx, ref, body)
        doc["tags"] = _kept_tags(doc.get("tags") or {})
        return doc

    def build_properties(self, ctx: Context, ref: Ref, body: dict, existing: dict | None, location: str) -> dict:
        old = (existing or {}).get("properties", {})
        return {"maxNumberOfRecordSets": 25000, "maxNumberOfVirtualNetworkLinks": 1000,
                "maxNumberOfVirtualNetworkLinksWithRegistration": 100, "numberOfRecordSets": 1,
                "internalId": old.get("internalId") or uuid.uuid4().hex, "provisioningState": "Succeeded"}

    def render(self, ctx: Context, doc: dict) -> dict:
        out = super().render(ctx, doc)
        links = list(ctx.state.of_type(LINK_TYPE, doc["id"]))
        out["properties"]["numberOfVirtualNetworkLinks"] = len(links)
        out["properties"]["numberOfVirtualNetworkLinksWithRegistration"] = sum(
            1 for link in links if link["properties"].get("registrationEnabled"))
        return out

    def check_delete(self, ctx: Context, doc: dict) -> None:
        links = list(ctx.state.of_type(LINK_TYPE, doc["id"]))
        if links:
            nested = ", ".join(f"'{ZONE_TYPE}/{doc['name']}/virtualNetworkLinks/{link['name']}'" for link in links[:3])
            raise ArmError(409, "CannotDeleteResource",
                           "Cannot delete resource while nested resources exist. Some existing nested resource IDs "
                           f"include: {nested}. Please delete all nested resources before deleting this resource.")


class VirtualNetworkLinks(TopLevelType):
    namespace = NS
    types = ("privateDnsZones", "virtualNetworkLinks")
    fixed_location = "global"
    weak_etag = False
    lro_patch = True

    def find(self, ctx: Context, ref: Ref) -> dict | None:
        return ctx.state.get(ref.id)

    def get(self, ctx: Context, ref: Ref) -> dict:
        ctx.handler(ZONE_TYPE).get(ctx, ref.parent())
        return super().get(ctx, ref)

    def list(self, ctx: Context, ref: Ref) -> list[dict]:
        zone = ctx.handler(ZONE_TYPE).get(ctx, ref.parent())
        return ctx.state.of_type(LINK_TYPE, zone["id"])

    def put(self, ctx: Context, ref: Ref, body: dict) -> tuple[dict, bool]:
        ctx.handler(ZONE_TYPE).get(ctx, ref.parent())
        return super().put(ctx, ref, body)

    def patch(self, ctx: Context, ref: Ref, body: dict) -> dict:
        """VirtualNetworkLinks_Update (2024-06-01): its body is a whole VirtualNetworkLink, merged into the link; the
        properties go through the PUT's checks (a changed virtual network is refused the same way)."""
        doc = self.get(ctx, ref)
        given = require_dict(body.get("properties"), "properties")
        if given:
            keep = {k: v for k, v in doc["properties"].items() if k in ("virtualNetwork", "registrationEnabled", "resolutionPolicy")}
            doc["properties"] = self.build_properties(ctx, ref, {"properties": dict(keep, **given)}, doc, doc["location"])
        return super().patch(ctx, ref, body)

    def build_properties(self, ctx: Context, ref: Ref, body: dict, existing: dict | None, location: str) -> dict:
        props = require_dict(body.get("properties"), "properties")
        vnet_id = str(require_dict(props.get("virtualNetwork"), "properties.virtualNetwork").get("id") or "")
        vnet = ctx.find(vnet_id) if vnet_id else None
        if vnet is None or vnet.get("type", "").lower() != "microsoft.network/virtualnetworks":
            raise ArmError(400, "BadRequest", f"Virtual network resource '{vnet_id}' referenced by virtual network "
                                              f"link '{ref.name}' was not found.")
        # terraform-provider-azurerm makes virtual_network_id ForceNew (a new link); Azure's answer to an in-place
        # change, and its code: unverified (docs/emulator.md).
        if existing and existing["properties"]["virtualNetwork"]["id"].lower() != vnet_id.lower():
            raise ArmError(400, "BadRequest", "The virtual network of an existing virtual network link cannot be changed.")
        zone_id = ref.parent().id
        for other in ctx.state.of_type(LINK_TYPE, zone_id):
            if other["name"].lower() != ref.name.lower() and \
                    other["properties"]["virtualNetwork"]["id"].lower() == vnet_id.lower():
                raise ArmError(409, "Conflict",
                               f"A virtual network link to virtual network '{vnet['id']}' already exists in this zone "
                               f"('{other['name']}'). A virtual network can be linked to a zone only once.")
        _refuse_overlapping_namespace(ctx, zone_id, vnet, ref.name)
        policy = props.get("resolutionPolicy", "Default")
        return {"virtualNetwork": {"id": vnet["id"]}, "registrationEnabled": bool(props.get("registrationEnabled", False)),
                "resolutionPolicy": policy, "virtualNetworkLinkState": "Completed", "provisioningState": "Succeeded"}


def _overlaps(zone_a: str, zone_b: str) -> bool:
    """Same name, or one zone's name a parent domain of the other's."""
    a, b = zone_a.lower().rstrip("."), zone_b.lower().rstrip(".")
    return a == b or a.endswith("." + b) or b.endswith("." + a)


def _refuse_overlapping_namespace(ctx: Context, zone_id: str, vnet: dict, link_name: str) -> None:
    """A VNet linked to two zones of the same name (in any group or subscription) is refused with Azure's 400
    (message as quoted in MicrosoftDocs/azure-aks-docs#212 and microsoft-foundry/foundry-samples#214). Whether a
    parent and a child zone (contoso.com, a.contoso.com) count as overlapping is unverified: refused here (stricter)."""
    zone_name = zone_id.rsplit("/", 1)[-1]
    for other in [d for d in ctx.state.resources.values() if d.get("type", "").lower() == LINK_TYPE.lower()]:
        other_zone_id = other["id"].rsplit("/virtualNetworkLinks/", 1)[0]
        if other_zone_id.lower() == zone_id.lower() or \
                other["properties"]["virtualNetwork"]["id"].lower() != vnet["id"].lower():
            continue
        other_zone = other_zone_id.rsplit("/", 1)[-1]
        if _overlaps(zone_name, other_zone):
            raise ArmError(400, "BadRequest", "A virtual network cannot be linked to multiple zones with overlapping "
                                              f"namespaces. You tried to link virtual network with '{zone_name}' and "
                                              f"'{other_zone}' zones.")


TYPES = [PrivateDnsZones(), VirtualNetworkLinks()]
