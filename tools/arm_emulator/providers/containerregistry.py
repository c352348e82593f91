"""Microsoft.ContainerRegistry: container registries.

Sources: REST spec stable 2025-11-01 (Registry/stable/2025-11-01/containerregistry.json: the body is checked against
its excerpt in specs/; Registries_Create and Registries_Update are long-running; names 5-50 of [a-zA-Z0-9], globally
unique); learn.microsoft.com container-registry/container-registry-skus (Basic, Standard, Premium; private endpoints
and network rules Premium only); DisablingPublicNetworkAccessNotSupported (400, hashicorp/terraform-provider-azurerm
#26054), anonymous pull Standard and Premium only (container-registry/anonymous-pull-access) and AlreadyInUse
(MicrosoftDocs/azure-dev-docs#1303; status unverified). docs/emulator.md lists each rule with its source; the codes
of the other refusals are unverified.
"""
from __future__ import annotations

import re
import time

from ..errors import ArmError
from .base import Context, Ref, TopLevelType, refuse_reserved_name, require_dict

NS = "Microsoft.ContainerRegistry"
TYPE = f"{NS}/registries"
SKUS = ("Basic", "Standard", "Premium")


def _bad(code: str, message: str) -> ArmError:
    return ArmError(400, code, message)


def _now() -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())


class Registries(TopLevelType):
    namespace, types = NS, ("registries",)
    lro_patch = True   # Registries_Update is long-running (x-ms-long-running-operation)
    top_level_keys = ("sku", "identity")
    name_pattern = re.compile(r"^[A-Za-z0-9]{5,50}$")
    name_rule = "Registry names have 5-50 alphanumeric characters."

    def put(self, ctx: Context, ref: Ref, body: dict) -> tuple[dict, bool]:
        self.validate_name(ref.name)
        refuse_reserved_name(ref.name)   # its own DNS name
        if self.find(ctx, ref) is None:
            taken = next((d for d in ctx.state.resources.values()
                          if d.get("type", "").lower() == TYPE.lower() and d["name"].lower() == ref.name.lower()), None)
            if taken is not None:   # names are global: another group or subscription holds it
                raise _bad("AlreadyInUse", f"The registry DNS name {ref.name.lower()}.azurecr.io is already in use. You can "
                           "check if the name is already claimed using following API: "
                           "https://docs.microsoft.com/en-us/rest/api/containerregistry/registries/checknameavailability")
        return super().put(ctx, ref, body)

    def build_properties(self, ctx: Context, ref: Ref, body: dict, existing: dict | None, location: str) -> dict:
        sku = require_dict(body.get("sku"), "sku").get("name")
        return self._properties(ref, sku, require_dict(body.get("properties"), "properties"), existing)

    def _properties(self, ref: Ref, sku, props: dict, existing: dict | None) -> dict:
        if sku == "Classic":   # Azure's code and message (Azure/bicep#4577, hashicorp/terraform-provider-azurerm#17248)
            raise _bad("ClassicSkuDeprecated", "Classic SKU is now deprecated. Please select a managed SKU. Kindly refer to "
                       "docs for instructions: https://docs.microsoft.com/en-us/azure/container-registry/container-registry-upgrade")
        if sku not in SKUS:
            raise _bad("InvalidSku", f"The SKU '{sku}' is not valid; a registry is Basic, Standard or Premium.")   # code unverified
        props = dict(props)
        props.setdefault("adminUserEnabled", False)
        props.setdefault("anonymousPullEnabled", False)
        props.setdefault("publicNetworkAccess", "Enabled")
        props.setdefault("networkRuleBypassOptions", "AzureServices")
        props.setdefault("zoneRedundancy", "Disabled")
        if sku != "Premium":
            if props["publicNetworkAccess"] == "Disabled":
                raise _bad("DisablingPublicNetworkAccessNotSupported",
                           f"Disabling public network access is not supported for the SKU {sku}. For more information, "
                           "please visit https://aka.ms/acr/private-link.")
            rules = props.get("networkRuleSet")
            if rules and (rules.get("defaultAction") == "Deny" or rules.get("ipRules")):   # code unverified
                raise _bad("NetworkRuleNotSupported", f"Network rules are not supported for the SKU {sku}; they need Premium.")
            if sku == "Basic" and props["anonymousPullEnabled"]:   # code unverified
                raise _bad("AnonymousPullNotSupported", "Anonymous pull access is available in the Standard and Premium "
                                                        "service tiers only.")
            if props["zoneRedundancy"] == "Enabled":   # code unverified
                raise _bad("ZoneRedundancyNotSupported", f"Zone redundancy is not supported for the SKU {sku}; it needs Premium.")
        old = (existing or {}).get("properties", {})
        return dict(props, loginServer=f"{ref.name.lower()}.azurecr.io", creationDate=old.get("creationDate") or _now(),
                    provisioningState="Succeeded")

    def render(self, ctx: Context, doc: dict) -> dict:
        out = super().render(ctx, doc)
        if isinstance(out.get("sku"), dict) and out["sku"].get("name"):
            out["sku"] = {"name": out["sku"]["name"], "tier": out["sku"]["name"]}
        return out

    def patch(self, ctx: Context, ref: Ref, body: dict) -> dict:   # Registries_Update: sku, tags, identity, properties
        doc = self.get(ctx, ref)
        sku = require_dict(body.get("sku"), "sku").get("name") or doc["sku"]["name"]
        merged = dict(doc["properties"], **require_dict(body.get("properties"), "properties"))
        doc["properties"] = self._properties(ref, sku, merged, doc)
        doc["sku"] = {"name": sku}
        if "identity" in body:
            doc["identity"] = body["identity"]
        return super().patch(ctx, ref, body)


TYPES = [Registries()]
