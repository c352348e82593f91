"""Microsoft.ApiManagement: API Management services with soft delete, restore and purge.

Sources (docs/emulator.md lists each rule with its source; codes marked "unverified" there are the emulator's own):
- REST spec Microsoft.ApiManagement stable 2024-05-01 (vendored excerpt specs/Microsoft.ApiManagement/2024-05-01/
  apimdeployment.json; the body schema is checked by openapi.py): ServiceNameParameter (apimanagement.json) 1-50
  characters, ^[a-zA-Z](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?$; PUT, PATCH and DELETE long-running; publicIpAddressId optional
  ("Supported only for Developer and Premium SKU being deployed in Virtual Network"); customProperties defaults
  ("False" for a service created after April 1, 2018); restore "Undelete Api Management Service if it was previously
  soft-deleted ... all other properties will be ignored"; apimdeletedservices.json: GET and DELETE (purge) of
  /subscriptions/{s}/providers/Microsoft.ApiManagement/locations/{l}/deletedservices/{name}.
- learn.microsoft.com/azure/api-management/virtual-network-reference: only the Developer and Premium (classic) tiers are
  injected in a VNet; with stv2 the subnet needs an NSG ("it is required to assign a Network Security Group").
  api-management-using-with-internal-vnet (prerequisites): the subnet "shouldn't have any delegations enabled".
- Soft delete: a deleted service is kept 48 hours; a create of the same name answers
  ServiceAlreadyExistsInSoftDeletedState "Api service <name> was soft-deleted. In order to create the new service with
  the same name, you have to either undelete the service or purge it. See https://aka.ms/apimsoftdelete."
  (terraform-provider-azurerm issues 11580 and 11061; the HTTP status is unverified).
- The name is global (<name>.azure-api.net; the spec's checkNameAvailability answers AlreadyExists): a name live in
  another group or subscription is refused (code unverified).
"""
from __future__ import annotations

import re
import time

from ..errors import ArmError
from .base import Context, Ref, ResourceType, TagLimits, TopLevelType, answered_identity, public, refuse_reserved_name, require_dict

NS = "Microsoft.ApiManagement"
SERVICE_TYPE = f"{NS}/service"
DELETED_TYPE = f"{NS}/deletedservices"
NAME_PATTERN = re.compile(r"^(?=.{1,50}$)[a-zA-Z](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?$")
NAME_RULE = ("The name must be 1-50 characters long, start with a letter, end with a letter or digit, and contain only "
             "letters, digits and hyphens.")
VNET_SKUS = ("Developer", "Premium")
V2_SKUS = ("BasicV2", "StandardV2")
# The spec's SkuType and VirtualNetworkType enums (modelAsString, so the body check lets any string through; docs/emulator.md).
SKU_NAMES = ("Developer", "Standard", "Premium", "Basic", "Consumption", "Isolated", "BasicV2", "StandardV2")
VNET_TYPES = ("None", "External", "Internal")
SOFT_DELETE_HOURS = 48
_SECURITY = "Microsoft.WindowsAzure.ApiManagement.Gateway.Security."
CUSTOM_DEFAULTS = {_SECURITY + key: "False" for key in (
    "Protocols.Tls10", "Protocols.Tls11", "Backend.Protocols.Tls10", "Backend.Protocols.Tls11", "Ciphers.TripleDes168")}


def _bad(message: str, code: str = "ValidationError", status: int = 400) -> ArmError:
    return ArmError(status, code, message)   # codes unverified unless docs/emulator.md cites them


def _loc(location: str) -> str:
    return location.replace(" ", "").lower()


def deleted_id(subscription: str, location: str, name: str) -> str:
    return f"/subscriptions/{subscription}/providers/{NS}/locations/{_loc(location)}/deletedservices/{name}"


def _all(ctx: Context, type_name: str) -> list[dict]:
    """Every document of the type in the emulator, any subscription (service names are global)."""
    return [d for d in ctx.state.resources.values() if d.get("type", "").lower() == type_name.lower()]


class Services(TopLevelType):
    # At most 15 tags: Azure's 400 InvalidParameters, as quoted in hashicorp/terraform#31416 (MicrosoftDocs/azure-docs#93117)
    tag_limits = TagLimits(count=15, count_error=(
        "InvalidParameters", "Invalid parameter: Tags count out of bound. Maximum count value is {count}."))
    namespace, types = NS, ("service",)
    lro_patch = True
    name_pattern, name_rule = NAME_PATTERN, NAME_RULE
    top_level_keys = ("sku", "identity", "zones")

    def put(self, ctx: Context, ref: Ref, body: dict) -> tuple[dict, bool]:
        self.validate_name(ref.name)
        refuse_reserved_name(ref.name)   # its own DNS name
        existing = self.find(ctx, ref)
        props = require_dict(body.get("properties"), "properties")
        restore = props.get("restore") is True
        if existing is None:
            taken = next((s for s in _all(ctx, SERVICE_TYPE) if s["name"].lower() == ref.name.lower()), None)
            if taken is not None:
                raise _bad(f"Api service name {ref.name} is already in use (service names are global: {ref.name}.azure-api.net).",
                           "ServiceAlreadyExists", 409)
            deleted = next((d for d in _all(ctx, DELETED_TYPE) if d["name"].lower() == ref.name.lower()), None)
            if deleted is not None and not restore:
                raise _bad(f"Api service {ref.name} was soft-deleted. In order to create the new service with the same name, "
                           "you have to either undelete the service or purge it. See https://aka.ms/apimsoftdelete.",
                           "ServiceAlreadyExistsInSoftDeletedState", 409)
            if restore:
                if deleted is None or not deleted["id"].lower().startswith(f"/subscriptions/{ref.subscription}/".lower()):
                    raise _bad(f"There is no soft-deleted Api service named {ref.name} to restore.", "ServiceNotFound", 404)
                doc = deleted["_service"]
                ctx.state.delete(deleted["id"])
                ctx.state.put(doc)
                return doc, True
        elif restore:
            raise _bad(f"Api service {ref.name} exists; restore applies only to a soft-deleted service.")
        return super().put(ctx, ref, body)

    def build_properties(self, ctx: Context, ref: Ref, body: dict, existing: dict | None, location: str) -> dict:
        sku = require_dict(body.get("sku"), "sku")
        props = dict(require_dict(body.get("properties"), "properties"))
        old = dict((existing or {}).get("properties") or {})
        old_sku = ((existing or {}).get("sku") or {}).get("name")
        if sku.get("name") not in SKU_NAMES:
            raise _bad(f"The SKU {sku.get('name')!r} is not valid; valid: {', '.join(SKU_NAMES)}.", "InvalidRequestContent")
        if props.get("virtualNetworkType", "None") not in VNET_TYPES:
            raise _bad(f"The virtualNetworkType {props.get('virtualNetworkType')!r} is not valid; valid: {', '.join(VNET_TYPES)}.",
                       "InvalidRequestContent")
        if old_sku and sku.get("name") != old_sku and (
                "Consumption" in (old_sku, sku.get("name")) or (old_sku in V2_SKUS) != (sku.get("name") in V2_SKUS)):
            raise _bad(f"Api service {ref.name} is {old_sku}; it cannot be changed to {sku.get('name')}.")
        if sku.get("name") == "Developer" and sku.get("capacity") != 1:
            raise _bad(f"The Developer tier has one unit; capacity {sku.get('capacity')} is not valid.")
        if sku.get("name") == "Consumption" and sku.get("capacity") != 0:   # Azure/bicep-registry-modules#2362
            raise _bad("Invalid parameter: For Consumption SKU Type capacity must be specified as 0.", "InvalidParameters")
        vnet_type = props.get("virtualNetworkType", old.get("virtualNetworkType", "None"))
        config = props.get("virtualNetworkConfiguration", old.get("virtualNetworkConfiguration"))
        if vnet_type in ("External", "Internal"):
            if sku.get("name") not in VNET_SKUS:
                raise _bad(f"The {sku.get('name')} tier cannot be deployed in a virtual network; Developer and Premium can.")
            self._check_subnet(ctx, (config or {}).get("subnetResourceId"), location)
        elif config and config.get("subnetResourceId"):
            raise _bad("virtualNetworkConfiguration needs virtualNetworkType External or Internal.")
        merged = dict(old, **props)
        merged["customProperties"] = dict(CUSTOM_DEFAULTS, **(props.get("customProperties") or {}))
        merged.pop("restore", None)
        host = ref.name.lower()
        merged.update(virtualNetworkType=vnet_type, provisioningState="Succeeded", targetProvisioningState="",
                      gatewayUrl=f"https://{host}.azure-api.net", platformVersion="stv2",
                      createdAtUtc=old.get("createdAtUtc") or time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
                      privateIPAddresses=["10.0.0.4"] if vnet_type == "Internal" else [], publicIPAddresses=[])
        if config:
            merged["virtualNetworkConfiguration"] = {"subnetResourceId": config.get("subnetResourceId"),
                                                     "subnetname": str(config.get("subnetResourceId", "")).rsplit("/", 1)[-1]}
            if vnet_type == "Internal":
                subnet = ctx.find(config["subnetResourceId"])
                prefix = (subnet or {}).get("properties", {}).get("addressPrefix", "")
                if prefix:
                    merged["privateIPAddresses"] = [prefix.split("/")[0].rsplit(".", 1)[0] + ".4"]
        return merged

    @staticmethod
    def _check_subnet(ctx: Context, subnet_id: str | None, location: str) -> None:
        if not subnet_id:
            raise _bad("virtualNetworkConfiguration.subnetResourceId is required for a service in a virtual network.")
        subnet = ctx.find(subnet_id)
        if subnet is None or subnet.get("type", "").lower() != "microsoft.network/virtualnetworks/subnets":
            raise _bad(f"The subnet '{subnet_id}' was not found.", "InvalidSubnet")
        vnet = ctx.find(subnet_id.rsplit("/subnets/", 1)[0])
        if vnet is not None and _loc(vnet["location"]) != _loc(location):
            raise _bad(f"The virtual network of subnet '{subnet_id}' is in {vnet['location']}, not in {location}.", "InvalidSubnet")
        props = subnet.get("properties", {})
        if props.get("delegations"):
            raise _bad(f"The subnet '{subnet_id}' is delegated; API Management needs a subnet without delegations.", "InvalidSubnet")
        if not props.get("networkSecurityGroup"):
            raise _bad(f"The subnet '{subnet_id}' has no network security group; API Management (stv2) in a virtual network "
                       "requires one.", "InvalidSubnet")

    def patch(self, ctx: Context, ref: Ref, body: dict) -> dict:   # ApiManagementService_Update
        doc = self.get(ctx, ref)
        props = require_dict(body.get("properties"), "properties")
        merged = {"sku": body.get("sku") or doc.get("sku"), "properties": props}
        if "customProperties" not in props:   # the spec: omitted custom properties are reset to their defaults
            props = dict(props, customProperties={})
            merged["properties"] = props
        doc["properties"] = self.build_properties(ctx, ref, merged, doc, doc["location"])
        doc["sku"] = merged["sku"]
        if "identity" in body:
            doc["identity"] = answered_identity(body["identity"], doc["id"])
        return super().patch(ctx, ref, body)

    def delete_plan(self, ctx: Context, ref: Ref) -> list[str] | None:
        doc = self.find(ctx, ref)
        if doc is None:
            return None
        # Soft delete: the service is kept (48 hours) as a deletedservices document, restorable under its name.
        purge_at = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(time.time() + SOFT_DELETE_HOURS * 3600))
        ctx.state.put({"id": deleted_id(ref.subscription, doc["location"], doc["name"]), "name": doc["name"], "type": DELETED_TYPE,
                       "location": _loc(doc["location"]),
                       "properties": {"serviceId": doc["id"], "scheduledPurgeDate": purge_at,
                                      "deletionDate": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())},
                       "_service": public(doc)})
        return [doc["id"]]

    def render(self, ctx: Context, doc: dict) -> dict:
        view = public(doc)
        if doc.get("identity"):
            view["identity"] = answered_identity(doc["identity"], doc["id"])
        return view


class DeletedServices(ResourceType):
    """GET a soft-deleted service and DELETE (purge) it, at subscription scope (DeletedServices_GetByName / _Purge)."""

    namespace = NS
    types = ("locations", "deletedservices")
    subscription_scoped = True
    lro_put = False

    def find(self, ctx: Context, ref: Ref) -> dict | None:
        return ctx.state.get(deleted_id(ref.subscription, ref.names[0], ref.name))

    def not_found(self, ref: Ref) -> ArmError:
        return ArmError(404, "ResourceNotFound", f"Deleted Api service '{ref.name}' was not found in location '{ref.names[0]}'.")

    def list(self, ctx: Context, ref: Ref) -> list[dict]:
        return [d for d in _all(ctx, DELETED_TYPE) if d["id"].lower().startswith(f"/subscriptions/{ref.subscription}/".lower())]

    def put(self, ctx: Context, ref: Ref, body: dict) -> tuple[dict, bool]:
        raise ArmError(405, "MethodNotAllowed", "Deleted services cannot be written; restore one with a service PUT (restore: true).")

    def delete_plan(self, ctx: Context, ref: Ref) -> list[str] | None:
        doc = self.find(ctx, ref)
        return [doc["id"]] if doc is not None else None


TYPES = [Services(), DeletedServices()]
