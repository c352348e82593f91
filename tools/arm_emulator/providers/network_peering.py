"""Microsoft.Network virtual network peerings (virtualNetworks/{vnet}/virtualNetworkPeerings/{name}), api-version 2026-03-01.

A peering lives inline in its VNet's properties.virtualNetworkPeerings (as ARM returns it) and is reachable as a child
resource. Sources (docs/emulator.md lists each rule with its code):

- REST spec virtualNetwork.json 2026-03-01 (VirtualNetworkPeerings_CreateOrUpdate: PUT, long-running, 200/201 with
  Azure-AsyncOperation; _Delete: 200/202/204; VirtualNetworkPeeringPropertiesFormat: remoteVirtualNetwork,
  allowVirtualNetworkAccess, allowForwardedTraffic, allowGatewayTransit, useRemoteGateways, remoteAddressSpace,
  peeringState Initiated|Connected|Disconnected, peeringSyncLevel, the syncRemoteAddressSpace query parameter).
- The states: a peering is Initiated until the remote VNet peers back, then both are Connected; when the remote peering
  or the remote VNet is deleted (and re-created) the peering is Disconnected, and the remote side cannot be created or
  updated while it is (RemotePeeringIsDisconnected, 400: "Update or re-create the remote peering to get it back to
  Initiated state. Peering gets Disconnected when remote vnet or remote peering is deleted and re-created.", quoted in
  hashicorp/terraform-provider-azurerm#14051); deleting one side does not delete the other (MicrosoftDocs/azure-docs
  #29220, the service team: only the portal does that; Azure/bicep#8520: a deleted VNet leaves its peer's peering).
- Overlapping address spaces cannot be peered (learn.microsoft.com/azure/virtual-network/virtual-network-peering-overview);
  the code for two overlapping VNets is unverified (VnetAddressSpacesOverlap here); the one for a VNet overlapping a
  VNet already peered with the remote one is VnetAddressSpaceOverlapsWithAlreadyPeeredVnet (Azure/ResourceModules#731,
  its message quoted).
- A remote VNet that does not exist: InvalidGlobalResourceReference, 400 (FreddyAyala/AzureAIServicesLandingZone#2,
  a peering PUT's answer); a VNet not in Succeeded state: ReferencedResourceNotProvisioned, 400
  (hashicorp/terraform-provider-azurerm#3392).
- useRemoteGateways on a remote VNet without a gateway: RemoteVnetHasNoGateways, 400 (hashicorp/terraform#30569);
  the emulator has no virtual network gateways, so it is always refused.

The state is computed when a peering is read (effective_state): the stored state, turned Disconnected when the remote
VNet is gone or re-created (its resourceGuid differs) or a Connected peer's remote peering is gone. Writes store it.
"""
from __future__ import annotations

import ipaddress
import uuid

from ..errors import ArmError
from ..state import new_etag
from .base import Context, NestedType, Ref, public, require_dict
from .network import NS, VNET_TYPE

PEERING_TYPE = f"{VNET_TYPE}/virtualNetworkPeerings"
STATES = ("Initiated", "Connected", "Disconnected")


def _prefixes(vnet: dict) -> list[str]:
    return list(vnet.get("properties", {}).get("addressSpace", {}).get("addressPrefixes") or [])


def _overlap(left: list[str], right: list[str]) -> list[str]:
    """The prefixes of `left` that overlap one of `right`."""
    nets = [ipaddress.ip_network(p) for p in right]
    return [p for p in left if any(ipaddress.ip_network(p).version == n.version and ipaddress.ip_network(p).overlaps(n)
                                   for n in nets)]


def _remote_id(peering: dict) -> str:
    return str((peering.get("properties", {}).get("remoteVirtualNetwork") or {}).get("id") or "")


def back_peering(vnet: dict, remote: dict | None) -> dict | None:
    """The remote VNet's peering that points at `vnet` (made while `vnet` was this VNet: same resourceGuid)."""
    if remote is None:
        return None
    guid = vnet.get("properties", {}).get("resourceGuid")
    return next((p for p in remote.get("properties", {}).get("virtualNetworkPeerings", [])
                 if _remote_id(p).lower() == vnet["id"].lower() and p.get("_remoteGuid") == guid), None)


def effective_state(ctx: Context, vnet: dict, peering: dict) -> str:
    stored = peering.get("properties", {}).get("peeringState", "Initiated")
    if stored == "Disconnected":
        return stored
    remote = ctx.find(_remote_id(peering))
    if remote is None or remote.get("properties", {}).get("resourceGuid") != peering.get("_remoteGuid"):
        return "Disconnected"
    back = back_peering(vnet, remote)
    if stored == "Connected" and (back is None or back.get("properties", {}).get("peeringState") == "Disconnected"):
        return "Disconnected"
    return stored


def sync_level(ctx: Context, vnet: dict, peering: dict) -> str:
    """FullyInSync, or which side's address space changed since the peering was written (a sync is needed)."""
    remote = ctx.find(_remote_id(peering))
    if remote is None:
        return peering.get("properties", {}).get("peeringSyncLevel", "FullyInSync")
    if sorted(_prefixes(remote)) != sorted(peering["properties"].get("remoteAddressSpace", {}).get("addressPrefixes") or []):
        return "RemoteNotInSync"
    back = back_peering(vnet, remote)
    if back is not None and sorted(_prefixes(vnet)) != sorted(back["properties"].get("remoteAddressSpace", {}).get("addressPrefixes") or []):
        return "LocalNotInSync"
    return "FullyInSync"


def render_peering(ctx: Context, vnet: dict, peering: dict) -> dict:
    out = public(peering)
    out["properties"]["peeringState"] = effective_state(ctx, vnet, peering)
    out["properties"]["peeringSyncLevel"] = sync_level(ctx, vnet, peering)
    return out


def render_vnet_peerings(ctx: Context, vnet: dict, rendered: dict) -> dict:
    """A VNet's GET with its peerings' live state (network.py VirtualNetworks.render)."""
    peerings = vnet.get("properties", {}).get("virtualNetworkPeerings") or []
    if peerings:
        rendered["properties"]["virtualNetworkPeerings"] = [render_peering(ctx, vnet, p) for p in peerings]
    return rendered


def _succeeded(vnet: dict, peering_id: str) -> None:
    state = vnet.get("properties", {}).get("provisioningState", "Succeeded")
    if state != "Succeeded":
        raise ArmError(400, "ReferencedResourceNotProvisioned",
                       f"Cannot proceed with operation because resource {vnet['id']} used by resource {peering_id} is not in "
                       f"Succeeded state. Resource is in {state} state and the last operation that updated/is updating the "
                       "resource is PutVirtualNetworkOperation.")


class VirtualNetworkPeerings(NestedType):
    namespace = NS
    types = ("virtualNetworks", "virtualNetworkPeerings")
    parent_type = VNET_TYPE
    list_key = "virtualNetworkPeerings"

    def render(self, ctx: Context, doc: dict) -> dict:
        vnet = ctx.find(doc["id"].rsplit("/virtualNetworkPeerings/", 1)[0])
        return render_peering(ctx, vnet, doc) if vnet is not None else public(doc)

    def put(self, ctx: Context, ref: Ref, body: dict) -> tuple[dict, bool]:
        vnets = self.parent_handler(ctx)
        vnets.validate_name(ref.name)
        vnet = self.parent_doc(ctx, ref)
        existing = self.find(ctx, ref)
        peering_id = f"{vnet['id']}/virtualNetworkPeerings/{existing['name'] if existing else ref.name}"
        props = dict(require_dict(body.get("properties"), "properties"))
        remote_id = str(require_dict(props.get("remoteVirtualNetwork"), "properties.remoteVirtualNetwork").get("id") or "")
        if not remote_id:
            # The spec marks nothing required; Azure's answer to a peering without a remote network is unverified.
            raise ArmError(400, "InvalidRequestFormat", f"Peering {peering_id} must reference a remote virtual network "
                           "(properties.remoteVirtualNetwork.id).")
        remote = ctx.find(remote_id)
        if remote is None or remote.get("type", "").lower() != VNET_TYPE.lower():
            raise ArmError(400, "InvalidGlobalResourceReference",
                           f"Resource {remote_id} referenced by resource {peering_id} was not found. Please make sure that the "
                           "referenced resource exists.")
        if existing and _remote_id(existing).lower() != remote["id"].lower():
            # Unverified: the emulator refuses to point an existing peering at another network (delete it first).
            raise ArmError(400, "InvalidRequestFormat", f"Peering {peering_id} references {_remote_id(existing)}; its remote "
                           "virtual network cannot be changed.")
        _succeeded(vnet, peering_id)
        _succeeded(remote, peering_id)
        clash = _overlap(_prefixes(vnet), _prefixes(remote))
        if clash:
            raise ArmError(400, "VnetAddressSpacesOverlap",
                           f"Cannot create or update peering {peering_id}. Virtual networks {vnet['id']} and {remote['id']} "
                           f"cannot be peered because their address spaces overlap. Overlapping address prefixes: "
                           f"{', '.join(clash)}.")
        for other in remote.get("properties", {}).get("virtualNetworkPeerings", []):
            third = ctx.find(_remote_id(other))
            if third is None or third["id"].lower() == vnet["id"].lower():
                continue
            clash = _overlap(_prefixes(vnet), _prefixes(third))
            if clash:
                raise ArmError(400, "VnetAddressSpaceOverlapsWithAlreadyPeeredVnet",
                               f"Cannot create or update peering {peering_id}. Virtual networks {vnet['id']} and {remote['id']} "
                               "cannot be peered because address space of the first virtual network overlaps with address "
                               f"space of virtual network {third['id']} already peered with the second virtual network. "
                               f"Overlapping address prefixes: {', '.join(clash)}.")
        if props.get("useRemoteGateways"):
            raise ArmError(400, "RemoteVnetHasNoGateways",
                           f"Peering {peering_id} cannot have UseRemoteGateway flag set to true because remote virtual network "
                           f"{remote['id']} referenced by the peering does not have any gateways.")
        back = back_peering(vnet, remote)
        if back is not None and effective_state(ctx, remote, back) == "Disconnected":
            raise ArmError(400, "RemotePeeringIsDisconnected",
                           f"Cannot create or update peering {peering_id} because remote peering {back['id']} referencing parent "
                           f"virtual network {vnet['id']} is in Disconnected state. Update or re-create the remote peering to "
                           "get it back to Initiated state. Peering gets Disconnected when remote vnet or remote peering is "
                           "deleted and re-created.")
        state = "Connected" if back is not None else "Initiated"
        if back is not None:
            back["properties"]["peeringState"] = "Connected"
            back["etag"] = new_etag()
        for key in ("peeringState", "peeringSyncLevel", "provisioningState", "resourceGuid"):   # the service's, not the body's
            props.pop(key, None)
        props.update({
            "remoteVirtualNetwork": {"id": remote["id"]},
            "allowVirtualNetworkAccess": bool(props.get("allowVirtualNetworkAccess", True)),
            "allowForwardedTraffic": bool(props.get("allowForwardedTraffic", False)),
            "allowGatewayTransit": bool(props.get("allowGatewayTransit", False)),
            "useRemoteGateways": False,
            "remoteAddressSpace": {"addressPrefixes": _prefixes(remote)},
            "remoteVirtualNetworkAddressSpace": {"addressPrefixes": _prefixes(remote)},
            "peeringState": state,
            "peeringSyncLevel": "FullyInSync",
            "resourceGuid": (existing or {}).get("properties", {}).get("resourceGuid") or str(uuid.uuid4()),
            "provisioningState": "Succeeded",
        })
        doc = {"id": peering_id, "name": peering_id.rsplit("/", 1)[-1], "etag": new_etag(), "type": PEERING_TYPE,
               "properties": props, "_remoteGuid": remote.get("properties", {}).get("resourceGuid")}
        siblings = [p for p in self.children(vnet) if p["name"].lower() != ref.name.lower()]
        vnet["properties"]["virtualNetworkPeerings"] = siblings + [doc]
        vnet["etag"] = new_etag()
        return doc, existing is None

    def delete_plan(self, ctx: Context, ref: Ref) -> list[str] | None:
        ids = super().delete_plan(ctx, ref)
        if ids:
            vnet = self.parent_doc(ctx, ref)
            doc = self.find(ctx, ref)
            remote = ctx.find(_remote_id(doc))
            back = back_peering(vnet, remote) if doc.get("_remoteGuid") == (remote or {}).get("properties", {}).get("resourceGuid") else None
            if back is not None and back["properties"].get("peeringState") == "Connected":
                back["properties"]["peeringState"] = "Disconnected"   # the other side stays, Disconnected
        return ids


TYPES = [VirtualNetworkPeerings()]

