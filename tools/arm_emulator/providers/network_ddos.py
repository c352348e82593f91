"""Microsoft.Network DDoS protection plans (DDoS Network Protection) and who uses them.

Sources (docs/emulator.md lists each rule with its status/code):
- REST spec Microsoft.Network stable 2026-03-01, virtualNetwork.json (specs/Microsoft.Network/2026-03-01/ddosProtectionPlan.json
  is its excerpt): DdosProtectionPlan (TrackedResourceWithOptionalLocation) whose properties are all read-only:
  resourceGuid, provisioningState, publicIPAddresses and virtualNetworks ("The list of virtual networks associated with
  the DDoS protection plan resource. This list is read-only."): the plan lists the VNets whose
  properties.ddosProtectionPlan points at it. PUT and DELETE long-running, PATCH (UpdateTags) not, as the network
  SDK's begin_create_or_update / begin_delete / update_tags (azure-mgmt-network 33.1).
- terraform-provider-azurerm, network_ddos_protection_plan: "Azure only allows `one` DDoS Protection Plan per region":
  a second plan in a region of the same subscription is refused (status and code unverified).
- A plan still linked to virtual networks is not deleted (status and code unverified): teardown must unlink first
  (playbooks/teardown.yml deletes the plan only when its virtualNetworks list is empty).
"""
from __future__ import annotations

import uuid

from ..errors import ArmError
from .base import Context, Ref, TopLevelType, public, require_dict

NS = "Microsoft.Network"
VNET_TYPE = "Microsoft.Network/virtualNetworks"


def _loc(value) -> str:
    return str(value or "").replace(" ", "").lower()


def users(ctx: Context, plan_id: str) -> list[dict]:
    """The virtual networks (of any group of the subscription) whose ddosProtectionPlan is plan_id."""
    sub = "/".join(plan_id.split("/")[:3])
    return [v for v in ctx.state.of_type(VNET_TYPE, sub)
            if str(((v.get("properties") or {}).get("ddosProtectionPlan") or {}).get("id", "")).lower() == plan_id.lower()]


class DdosProtectionPlans(TopLevelType):
    namespace, types = NS, ("ddosProtectionPlans",)

    def build_properties(self, ctx: Context, ref: Ref, body: dict, existing: dict | None, location: str) -> dict:
        require_dict(body.get("properties"), "properties")   # nothing writable: the spec marks every property read-only
        if existing is None:
            for other in ctx.state.of_type(self.type_name, f"/subscriptions/{ref.subscription}"):
                if _loc(other.get("location")) == _loc(location):
                    raise ArmError(400, "DdosProtectionPlanCountLimitReached",   # status and code unverified
                                   f"Only one DDoS protection plan is allowed per region; {other['id']} is already in {location}.")
        old = (existing or {}).get("properties") or {}
        return {"resourceGuid": old.get("resourceGuid") or str(uuid.uuid4()), "provisioningState": "Succeeded"}

    def render(self, ctx: Context, doc: dict) -> dict:
        out = public(doc)
        out.setdefault("properties", {})["virtualNetworks"] = [{"id": v["id"]} for v in users(ctx, doc["id"])]
        out["properties"].setdefault("publicIPAddresses", [])
        return out

    def check_delete(self, ctx: Context, doc: dict) -> None:
        linked = users(ctx, doc["id"])
        if linked:
            # Azure's answer, quoted in Azure/Azure-Landing-Zones#389 and #3645 (docs/emulator.md)
            raise ArmError(400, "InUseDdosProtectionPlanCannotBeDeleted",
                           f"DDoS Protection Plan {doc['id']} cannot be deleted because it is in use with virtual networks "
                           f"{', '.join(v['id'] for v in linked)}.")


def check_vnet_reference(ctx: Context, vnet_id: str, props: dict) -> None:
    """A VNet's ddosProtectionPlan must exist; enableDdosProtection needs one ("It requires a DDoS protection plan
    associated with the resource": the VirtualNetwork model of the network SDKs). Status and codes unverified."""
    plan = (props.get("ddosProtectionPlan") or {}).get("id") if isinstance(props.get("ddosProtectionPlan"), dict) else None
    if plan and ctx.state.get(plan) is None:
        raise ArmError(400, "InvalidResourceReference",
                       f"Resource {plan} referenced by resource {vnet_id} was not found. Please make sure that the "
                       "referenced resource exists, and that both resources are in the same region.")
    if props.get("enableDdosProtection") and not plan:
        raise ArmError(400, "DdosProtectionPlanRequired",
                       f"Virtual network {vnet_id} cannot enable DDoS protection without properties.ddosProtectionPlan.")


TYPES = [DdosProtectionPlans()]
