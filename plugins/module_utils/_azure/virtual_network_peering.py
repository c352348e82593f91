# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Virtual network peerings (one direction) for the resource engine. PRIVATE to the collection.

Sources (docs/emulator.md lists them with the emulator's behaviour):
- REST spec Microsoft.Network stable 2026-03-01, virtualNetwork.json (the network modules' version, NETWORK_API_VERSION;
  commit d7a2364fe3101023c5bb381847ef26fc8ec8a2dd): VirtualNetworkPeerings_CreateOrUpdate (PUT .../virtualNetworks/{vnet}/
  virtualNetworkPeerings/{name}, long-running, body VirtualNetworkPeering: properties.remoteVirtualNetwork.id,
  allowVirtualNetworkAccess, allowForwardedTraffic, allowGatewayTransit, useRemoteGateways; peeringState Initiated |
  Connected | Disconnected; peeringSyncLevel; query parameter syncRemoteAddressSpace=true to sync after an address space
  change), VirtualNetworkPeerings_Delete (200/202/204). A peering has no tags and no location.
- learn.microsoft.com/azure/virtual-network/virtual-network-peering-overview and virtual-network-manage-peering: a
  peering is made on each side; one side alone is Initiated, both sides make both Connected; VNets whose address spaces
  overlap cannot be peered; a peered VNet's address space can change, after which the peerings must be synced
  (peeringSyncLevel LocalNotInSync / RemoteNotInSync until then).
- Azure's answers quoted in public issues: RemotePeeringIsDisconnected ("Update or re-create the remote peering to get it
  back to Initiated state. Peering gets Disconnected when remote vnet or remote peering is deleted and re-created.",
  hashicorp/terraform-provider-azurerm#14051), so a Disconnected peering is written again; deleting one side leaves the
  other (MicrosoftDocs/azure-docs#29220), so teardown deletes both; RemoteVnetHasNoGateways for useRemoteGateways without a
  gateway on the remote side (hashicorp/terraform#30569); VnetAddressSpaceOverlapsWithAlreadyPeeredVnet
  (Azure/ResourceModules#731). Overlapping VNets are refused here before any write (the code Azure answers for two
  overlapping VNets is unverified).
- Names: the network name rule (values.validate_name "network", from learn.microsoft.com/azure/azure-resource-manager/
  management/resource-name-rules, Microsoft.Network): 1-80 letters, digits, underscores, periods and hyphens, starting
  with a letter or digit and ending with a letter, digit or underscore; that page's row for virtualNetworkPeerings was not
  re-read through the search tool (unverified for this type).
"""

from __future__ import annotations

from ansible_collections.complianceflow.infra.plugins.module_utils._azure.arm import GenericApi
from ansible_collections.complianceflow.infra.plugins.module_utils._azure.carry import Carried
from ansible_collections.complianceflow.infra.plugins.module_utils._azure.ids import ResourceId, id_or_name, ids_equal, name_from_id
from ansible_collections.complianceflow.infra.plugins.module_utils._azure.runner import Plan, Resource
from ansible_collections.complianceflow.infra.plugins.module_utils._azure.values import AzureInputError, validate_name
from ansible_collections.complianceflow.infra.plugins.module_utils._azure.virtual_network import NETWORK_API_VERSION, VNET_TYPE
from ansible_collections.complianceflow.infra.plugins.module_utils._deployment.cidr import overlaps, parse_cidr

API = GenericApi(NETWORK_API_VERSION)   # no SDK import: a body of five properties (docs/resource-engine.md)
PEERING_TYPE = f"{VNET_TYPE}/virtualNetworkPeerings"
SETTINGS = {"allow_virtual_network_access": "allowVirtualNetworkAccess", "allow_forwarded_traffic": "allowForwardedTraffic",
            "allow_gateway_transit": "allowGatewayTransit", "use_remote_gateways": "useRemoteGateways"}
# What a new peering gets for the options not given (Azure's portal and terraform-provider-azurerm defaults).
DEFAULTS = {"allow_virtual_network_access": True, "allow_forwarded_traffic": False, "allow_gateway_transit": False,
            "use_remote_gateways": False}


def validate_peering(params: dict, subscription_id: str) -> str:
    """Checks before any call; the remote VNet's id (a name stands for a VNet of remote_resource_group)."""
    validate_name(params["resource_group"], "resource_group", "resource group")
    validate_name(params["virtual_network"], "virtual_network", "network 2-64")
    validate_name(params["name"], "name")
    if params.get("remote_resource_group"):
        validate_name(params["remote_resource_group"], "remote_resource_group", "resource group")
    remote = str(params.get("remote_virtual_network") or "").strip()
    if not remote:
        if params.get("state") == "present":
            raise AzureInputError("remote_virtual_network is required: the id or name of the virtual network to peer with")
        return ""
    if not remote.startswith("/"):
        validate_name(remote, "remote_virtual_network")
    remote_id = id_or_name(remote, subscription_id, params.get("remote_resource_group") or params["resource_group"], VNET_TYPE,
                           "remote_virtual_network")
    if params.get("use_remote_gateways") and params.get("allow_gateway_transit"):
        raise AzureInputError("use_remote_gateways and allow_gateway_transit: a VNet that uses the remote VNet's gateway "
                              "offers no gateway transit of its own; set one of them")
    return remote_id


def overlapping(local: list, remote: list) -> list:
    """(local prefix, remote prefix) pairs that overlap: Azure does not peer such VNets."""
    nets = [(p, parse_cidr(p, "address prefix", within=None, error=AzureInputError, version=None)) for p in remote]
    out = []
    for prefix in local:
        net = parse_cidr(prefix, "address prefix", within=None, error=AzureInputError, version=None)
        out += [(prefix, other) for other, other_net in nets if net.version == other_net.version and overlaps(net, other_net)]
    return out


def peering_view(doc: dict | None) -> dict:
    if not doc:
        return {}
    props = doc.get("properties") or {}
    view = {"id": doc.get("id"), "name": doc.get("name"),
            "remote_virtual_network": (props.get("remoteVirtualNetwork") or {}).get("id"),
            "remote_address_prefixes": list((props.get("remoteAddressSpace") or {}).get("addressPrefixes") or []),
            "peering_state": props.get("peeringState"), "peering_sync_level": props.get("peeringSyncLevel"),
            "provisioning_state": props.get("provisioningState")}
    view.update({key: props.get(rest) for key, rest in SETTINGS.items()})
    return view


def plan_peering(existing: dict | None, params: dict, remote_id: str, back_state: str | None = None) -> Plan:
    """Create, PUT of the whole peering (what exists, the options given over it), or nothing. A Disconnected peering is
    written again: that brings it back to Initiated (Connected when the remote side still peers back)."""
    have = peering_view(existing)
    given = {key: params[key] for key in SETTINGS if params.get(key) is not None}
    if existing is not None and not ids_equal(have.get("remote_virtual_network"), remote_id):
        raise AzureInputError(f"peering {params['name']!r} connects to {have.get('remote_virtual_network')}, not {remote_id}; "
                              "delete it (state=absent) to peer with another virtual network")
    merged = dict(DEFAULTS)
    merged.update({k: v for k, v in have.items() if k in SETTINGS and v is not None})
    merged.update(given)
    body = {"properties": {"remoteVirtualNetwork": {"id": remote_id}, **{rest: merged[key] for key, rest in SETTINGS.items()}}}
    after = dict(given, remote_virtual_network=remote_id)
    if existing is None:
        after["peering_state"] = "Connected" if back_state in ("Initiated", "Connected") else "Initiated"
        return Plan("create", body, {}, after)
    before = {key: have.get(key) for key in after if key != "peering_state"}
    before["remote_virtual_network"] = have.get("remote_virtual_network")
    changed = any(have.get(key) != value for key, value in given.items())
    notes = []
    if have.get("peering_state") == "Disconnected":
        before["peering_state"], after["peering_state"] = "Disconnected", "Connected" if back_state else "Initiated"
        changed = True
    elif have.get("peering_sync_level") not in (None, "FullyInSync"):
        notes.append(f"peering {params['name']} is {have['peering_sync_level']}: an address space changed since it was made; sync "
                     "it (az network vnet peering sync, or a PUT with syncRemoteAddressSpace=true)")
    return Plan("put" if changed else "none", body if changed else None, before, after, notes=notes)


class VirtualNetworkPeering(Resource):
    what = "virtual network peering"
    # VirtualNetworkPeeringPropertiesFormat (2026-03-01) writable parts this module does not manage (carry.py): a peering
    # of some subnets stays one
    carried = Carried(properties=dict.fromkeys(("peerCompleteVnets", "localSubnetNames", "remoteSubnetNames",
                                                "enableOnlyIPv6Peering", "doNotVerifyRemoteGateways")))
    result_key = "peering"
    api = API
    provider_type = PEERING_TYPE
    tags_method = None

    def validate(self):
        self.remote_id = validate_peering(self.params, self.module.subscription_id)
        self.skipped = None
        self.back_state = None

    def resource_id(self) -> ResourceId:
        return ResourceId.build(self.module.subscription_id, self.params["resource_group"], PEERING_TYPE,
                                self.params["virtual_network"], self.params["name"])

    def view(self, doc):
        return peering_view(doc)

    def _vnet(self, rid: str) -> dict | None:
        return self.module.get_or_none(f"get virtual network {name_from_id(rid)}", self.module.arm.get, rid, API.api_version)

    def before_plan(self, existing, related):
        """Both VNets must exist and not overlap; a missing one is predicted in check mode, skipped or refused otherwise."""
        local_id = str(self.resource_id().parent)
        local, remote = self._vnet(local_id), self._vnet(self.remote_id)
        missing = [rid for rid, doc in ((local_id, local), (self.remote_id, remote)) if doc is None]
        if missing:
            names = " and ".join(name_from_id(rid) for rid in missing)
            if self.module.check_mode:
                self.skipped = f"would peer once {names} exists"
                self.module.warn(f"peering {self.params['name']}: {self.skipped}")
                return existing
            message = f"peering {self.params['name']}: virtual network {names} does not exist (yet)"
            if self.params.get("when_missing") == "skip":
                self.module.warn(message + "; skipped: the deployment that runs once both exist makes it")
                self.module.exit_json(changed=False, skipped=True, msg=message, peering=peering_view(existing))
            self.module.fail_json(msg=message + " (when_missing=skip reports this instead of failing)")
        clash = overlapping(_prefixes(local), _prefixes(remote))
        if clash:
            self.module.fail_json(msg=f"virtual networks {local.get('name')} ({', '.join(_prefixes(local))}) and {remote.get('name')} "
                                      f"({', '.join(_prefixes(remote))}) overlap ({', '.join(f'{a} / {b}' for a, b in clash)}): Azure "
                                      "peers only virtual networks whose address spaces do not overlap")
        back = next((p for p in (remote.get("properties") or {}).get("virtualNetworkPeerings") or []
                     if ids_equal(((p.get("properties") or {}).get("remoteVirtualNetwork") or {}).get("id"), local_id)), None)
        self.back_state = ((back or {}).get("properties") or {}).get("peeringState")
        return existing

    def plan(self, existing, related):
        plan = plan_peering(existing, self.params, self.remote_id, self.back_state)
        if self.skipped:
            plan.notes.append(f"peering {self.params['name']}: {self.skipped}")
        return plan

    def predict(self, existing, plan):
        doc = super().predict(existing, plan)
        if doc is not None and plan.action != "none":
            doc["properties"]["peeringState"] = plan.after.get("peering_state")
        return doc

    def result(self, doc, related):
        out = {self.result_key: peering_view(doc) if doc else {}}
        if self.skipped:
            out["msg"] = self.skipped
        return out


def _prefixes(vnet: dict) -> list:
    return list(((vnet.get("properties") or {}).get("addressSpace") or {}).get("addressPrefixes") or [])
