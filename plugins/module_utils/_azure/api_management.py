# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""API Management services (Microsoft.ApiManagement/service) for the resource engine. PRIVATE to the collection.

Sources (docs/emulator.md lists them with the emulator's behaviour):
- REST spec Microsoft.ApiManagement stable 2024-05-01 (Azure/azure-rest-api-specs), the newest stable version the
  search tool holds: apimdeployment.json (commit f00aeb2098e414f7f2cd072fc7621d195d1b3b8e): PUT, PATCH and DELETE are
  long-running; location, sku (name and capacity) and properties are required, publisherEmail and publisherName
  required (at most 100 characters); the SKU enum (Developer, Standard, Premium, Basic, Consumption, Isolated, BasicV2,
  StandardV2: no Premium v2 at this version); virtualNetworkType None/External/Internal and
  virtualNetworkConfiguration.subnetResourceId; publicIpAddressId optional ("Supported only for Developer and Premium
  SKU being deployed in Virtual Network"); customProperties: `...Security.Protocols.Tls10`/`Tls11`,
  `...Security.Backend.Protocols.Tls10`/`Tls11` disable TLS 1.0/1.1 towards clients and backends,
  `...Security.Ciphers.TripleDes168` disables 3DES, and "Not specifying any of these properties on PATCH operation will
  reset omitted properties' values to their defaults" (so every PATCH of ours sends the whole map); `restore`
  "Undelete Api Management Service if it was previously soft-deleted ... all other properties will be ignored".
  apimanagement.json (commit f236398fe9a156bf9e0a0db052283198f96b5f6d) ServiceNameParameter: 1-50 characters,
  ^[a-zA-Z](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?$. apimdeletedservices.json (commit 23170271434249039c0b9d80ececc2f3af7ce382):
  GET and DELETE (purge, long-running) of /subscriptions/{s}/providers/Microsoft.ApiManagement/locations/{location}/
  deletedservices/{serviceName}.
- learn.microsoft.com/azure/api-management/virtual-network-reference: "APPLIES TO: Developer | Premium" (classic tiers
  only can be injected); the NSG rules (the plan's tiers.py).
- The soft delete (learn.microsoft.com/azure/api-management/soft-delete, as quoted in MicrosoftDocs/azure-docs pull
  request 126097): since 2020-06-01-preview a deleted service is soft-deleted; a create of the same name fails with
  ServiceAlreadyExistsInSoftDeletedState "Api service <name> was soft-deleted. In order to create the new service with the
  same name, you have to either undelete the service or purge it" (terraform-provider-azurerm issues 11580, 11061). As
  for a soft-deleted Key Vault (key_vault.py), the module restores it with restore=true, else fails naming both ways out.
"""

from __future__ import annotations

import re

from ansible_collections.complianceflow.infra.plugins.module_utils._azure.arm import GenericApi
from ansible_collections.complianceflow.infra.plugins.module_utils._azure.ids import ResourceId, id_or_name
from ansible_collections.complianceflow.infra.plugins.module_utils._azure.runner import Plan, Resource, apply
from ansible_collections.complianceflow.infra.plugins.module_utils._azure.values import (
    API_MANAGEMENT_MAX_TAGS, AzureInputError, check_reserved_name, check_tag_count, merge_tags, same_location, validate_name, validate_tags)

SERVICE_TYPE = "Microsoft.ApiManagement/service"
SUBNET_TYPE = "Microsoft.Network/virtualNetworks/subnets"
API = GenericApi("2024-05-01")   # no SDK: ARM's generic operations (docs/resource-engine.md)
NAME_RE = re.compile(r"^[a-zA-Z](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?$")
SKUS = ("Developer", "Standard", "Premium", "Basic", "Consumption", "Isolated", "BasicV2", "StandardV2")
VNET_SKUS = ("Developer", "Premium")   # the classic tiers that can be injected in a VNet
V2_SKUS = ("BasicV2", "StandardV2")
VNET_TYPES = ("None", "External", "Internal")
IDENTITY_TYPES = ("None", "SystemAssigned")
_SECURITY = "Microsoft.WindowsAzure.ApiManagement.Gateway.Security."
# What disable_legacy_tls=true sets to "False" (TLS 1.0/1.1 to clients and backends, the 3DES cipher).
LEGACY_TLS = tuple(_SECURITY + key for key in ("Protocols.Tls10", "Protocols.Tls11", "Backend.Protocols.Tls10",
                                               "Backend.Protocols.Tls11", "Ciphers.TripleDes168"))
# Option -> path in the service document.
FIELDS = {"sku_name": ("sku", "name"), "sku_capacity": ("sku", "capacity"),
          "publisher_email": ("properties", "publisherEmail"), "publisher_name": ("properties", "publisherName"),
          "virtual_network_type": ("properties", "virtualNetworkType")}


def validate_api_management(params: dict) -> None:
    """Checks before any call; each message names the option and what is valid."""
    validate_name(params["resource_group"], "resource_group", "resource group")
    name = params.get("name") or ""
    if not (len(name) <= 50 and NAME_RE.match(name)):
        raise AzureInputError(f"name: {name!r} is not a valid API Management service name; Azure allows 1-50 letters, digits "
                              "and hyphens, starting with a letter and ending with a letter or digit")
    check_reserved_name(name)
    for key in ("publisher_email", "publisher_name"):
        value = params.get(key)
        if value is not None and not (isinstance(value, str) and 1 <= len(value) <= 100):
            raise AzureInputError(f"{key}: {value!r} is not valid; Azure takes 1-100 characters")
    email = params.get("publisher_email")
    if email is not None and not re.match(r"^[^@\s]+@[^@\s]+\.[^@\s]+$", email):
        raise AzureInputError(f"publisher_email: {email!r} is not an email address (Azure sends the service's notifications there)")
    capacity = params.get("sku_capacity")
    if params.get("sku_name") == "Consumption":
        # The REST spec's sku.capacity: "For Consumption SKU capacity must be specified as 0" (docs/emulator.md).
        if capacity not in (None, 0):
            raise AzureInputError(f"sku_capacity: {capacity} units; the Consumption tier takes 0 (Azure scales it)")
    elif capacity is not None and (isinstance(capacity, bool) or not 0 <= capacity <= 31
                                   or (capacity == 0 and params.get("sku_name") is not None)):
        # 0 without sku_name: an existing Consumption service's; plan_api_management checks it against the service
        raise AzureInputError(f"sku_capacity: {capacity!r} is not a number of units (1 or more; Developer has 1, "
                              "Consumption 0)")
    if params.get("sku_name") == "Developer" and capacity not in (None, 1):
        raise AzureInputError(f"sku_capacity: {capacity} units; the Developer tier has exactly 1")
    vnet = params.get("virtual_network_type")
    if vnet in ("External", "Internal"):
        if params.get("sku_name") and params["sku_name"] not in VNET_SKUS:
            raise AzureInputError(f"sku_name: {params['sku_name']!r} cannot be injected in a virtual network "
                                  f"(virtual_network_type={vnet}); valid: {', '.join(VNET_SKUS)}")
        if not params.get("subnet"):
            raise AzureInputError(f"subnet is required with virtual_network_type={vnet} (a subnet id or <vnet>/<subnet>)")
    if params.get("subnet") and vnet in (None, "None"):
        raise AzureInputError("subnet: a subnet is used only with virtual_network_type External or Internal")


def consumption_or(sku_name: str, units: int) -> int:
    """A new service's units when none are given: 0 in the Consumption tier (the only value Azure takes), else `units`."""
    return 0 if sku_name == "Consumption" else units


def subnet_id(value: str | None, subscription_id: str | None, resource_group: str) -> str | None:
    if not value:
        return None
    return id_or_name(value, subscription_id or "-", resource_group, SUBNET_TYPE, "subnet")


def legacy_tls_disabled(custom: dict | None) -> bool:
    """True when every legacy protocol and 3DES is off (Azure answers "False" or "false")."""
    custom = {k.lower(): str(v).lower() for k, v in (custom or {}).items()}
    return all(custom.get(key.lower()) == "false" for key in LEGACY_TLS)


def _get(doc: dict | None, path: tuple) -> object:
    for key in path:
        doc = (doc or {}).get(key)
    return doc


def service_view(doc: dict | None) -> dict:
    if not doc:
        return {}
    props = doc.get("properties") or {}
    view = {key: _get(doc, path) for key, path in FIELDS.items()}
    view.update({"id": doc.get("id"), "name": doc.get("name"), "location": doc.get("location"), "tags": dict(doc.get("tags") or {}),
                 "subnet_id": (props.get("virtualNetworkConfiguration") or {}).get("subnetResourceId"),
                 "disable_legacy_tls": legacy_tls_disabled(props.get("customProperties")),
                 "identity": (doc.get("identity") or {}).get("type") or "None",
                 "principal_id": (doc.get("identity") or {}).get("principalId"),
                 "gateway_url": props.get("gatewayUrl"), "private_ip_addresses": props.get("privateIPAddresses") or [],
                 "platform_version": props.get("platformVersion"), "provisioning_state": props.get("provisioningState")})
    return view


def _custom_properties(have: dict | None, disable: bool | None) -> dict:
    """The whole customProperties map to send (a PATCH that omits a key resets it): what exists, the legacy keys set."""
    custom = dict(have or {})
    if disable is not None:
        custom.update({key: "False" if disable else "True" for key in LEGACY_TLS})
    return custom


def plan_api_management(existing: dict | None, params: dict, subscription_id: str | None) -> Plan:
    """Create (PUT), or a PATCH of the options given that differ; or nothing."""
    name = params["name"]
    subnet = subnet_id(params.get("subnet"), subscription_id, params["resource_group"])
    given = {key: params[key] for key in (*FIELDS, "disable_legacy_tls", "identity") if params.get(key) is not None}
    if subnet:
        given["subnet_id"] = subnet
    tags = merge_tags((existing or {}).get("tags"), params.get("tags"), params.get("purge_tags", True))
    check_tag_count(tags, API_MANAGEMENT_MAX_TAGS, "API Management service")
    if existing is None:
        missing = [key for key in ("location", "sku_name", "publisher_email", "publisher_name") if not params.get(key)]
        if missing:
            raise AzureInputError(f"API Management service {name!r} does not exist: {', '.join(missing)} needed to create it")
        props = {"publisherEmail": params["publisher_email"], "publisherName": params["publisher_name"],
                 "virtualNetworkType": params.get("virtual_network_type") or "None",
                 "customProperties": _custom_properties(None, params.get("disable_legacy_tls"))}
        if subnet:
            props["virtualNetworkConfiguration"] = {"subnetResourceId": subnet}
        capacity = params["sku_capacity"] if params.get("sku_capacity") is not None else consumption_or(params["sku_name"], 1)
        body = {"location": params["location"], "tags": tags, "sku": {"name": params["sku_name"], "capacity": capacity},
                "properties": props}
        if params.get("identity"):
            body["identity"] = {"type": params["identity"]}
        after = dict(given, **({"tags": tags} if params.get("tags") is not None else {}))
        return Plan("create", body, {}, after)
    if params.get("location") and not same_location(existing["location"], params["location"]):
        raise AzureInputError(f"API Management service {name!r} is in {existing['location']}; Azure cannot move it to {params['location']}")
    have = service_view(existing)
    new_sku = params.get("sku_name")
    if new_sku and new_sku != have["sku_name"] and (
            "Consumption" in (new_sku, have["sku_name"]) or (new_sku in V2_SKUS) != (have["sku_name"] in V2_SKUS)):
        raise AzureInputError(f"sku_name: {name} is {have['sku_name']}; Azure cannot change it to {new_sku} (a classic tier "
                              "cannot become a v2 tier or Consumption, nor the other way): create a new service")
    units = params.get("sku_capacity")
    if units is not None and (units == 0) != (have["sku_name"] == "Consumption"):
        raise AzureInputError(f"sku_capacity: {units} units; {name} is in the {have['sku_name']} tier, which takes "
                              + ("0 (Azure scales it)" if have["sku_name"] == "Consumption" else "1 or more"))
    before, after, patch = {}, {}, {}
    for key, value in given.items():
        old = have.get(key)
        if key == "subnet_id":
            same = (old or "").lower() == value.lower()
        else:
            same = old == value
        before[key], after[key] = old, value
        if same:
            continue
        if key in FIELDS:
            section, field = FIELDS[key]
            patch.setdefault(section, {})[field] = value
        elif key == "subnet_id":
            patch.setdefault("properties", {})["virtualNetworkConfiguration"] = {"subnetResourceId": value}
        elif key == "identity":
            patch["identity"] = {"type": value}
    if "sku" in patch:   # the SKU is one object: send name and capacity together
        patch["sku"] = {"name": patch["sku"].get("name", have["sku_name"]), "capacity": patch["sku"].get("capacity", have["sku_capacity"])}
    custom = (existing.get("properties") or {}).get("customProperties")
    if "properties" in patch or before.get("disable_legacy_tls") != after.get("disable_legacy_tls", before.get("disable_legacy_tls")):
        patch.setdefault("properties", {})["customProperties"] = _custom_properties(custom, params.get("disable_legacy_tls"))
    if params.get("tags") is not None:
        old_tags = dict(existing.get("tags") or {})
        before["tags"], after["tags"] = old_tags, tags
        if tags != old_tags:
            patch["tags"] = tags
    return Plan("patch" if patch else "none", patch or None, before, after)


def deleted_service_id(subscription_id: str, location: str, name: str) -> ResourceId:
    """Where ARM keeps a soft-deleted service: /subscriptions/{s}/providers/Microsoft.ApiManagement/locations/{l}/deletedservices/{n}."""
    return ResourceId(subscription_id, None, "Microsoft.ApiManagement", ("locations", "deletedservices"),
                      (location.replace(" ", "").lower(), name))


class ApiManagement(Resource):
    what = "API Management service"
    result_key = "api_management"
    api = API
    provider_type = SERVICE_TYPE
    restored = False

    def validate(self):
        self.params["tags"] = validate_tags(self.params.get("tags"), max_count=API_MANAGEMENT_MAX_TAGS, what="API Management service")
        validate_api_management(self.params)
        if self.params.get("state") == "absent" and self.params.get("purge") and not self.params.get("location"):
            raise AzureInputError("purge=true needs location (where the soft-deleted service is kept)")

    def view(self, doc):
        return service_view(doc)

    def find_deleted(self, location: str | None) -> dict | None:
        if not location:
            return None
        rid = deleted_service_id(self.module.subscription_id, location, self.params["name"])
        return self.module.get_or_none(f"look for soft-deleted API Management service {rid.name}", API.get, self.module, rid)

    def before_plan(self, existing, related):
        """Restore a soft-deleted service of the same name (restore=true) before comparing the options."""
        if existing is not None:
            return existing
        name, location = self.params["name"], self.params.get("location")
        if self.find_deleted(location) is None:
            return None
        if not self.params.get("restore"):
            self.module.fail_json(msg=f"API Management service {name} is soft-deleted in {location} (Azure keeps it 48 hours); "
                                      "restore=true restores it, or purge it first (api_management state=absent purge=true)")
        if self.module.check_mode:
            self.module.exit_with(True, {}, {"restored": name}, api_management={"name": name, "location": location}, restored=True)
        # "If this flag is specified and set to True all other properties will be ignored"; the schema still requires them.
        missing = [key for key in ("sku_name", "publisher_email", "publisher_name") if not self.params.get(key)]
        if missing:
            self.module.fail_json(msg=f"restore=true: {', '.join(missing)} needed (Azure's schema requires them in the restore request)")
        body = {"location": location, "sku": {"name": self.params["sku_name"], "capacity": self.params.get("sku_capacity") or 1},
                "properties": {"publisherEmail": self.params["publisher_email"], "publisherName": self.params["publisher_name"],
                               "restore": True}}
        self.restored = self.already_changed = True
        return apply(self.module, API, f"restore soft-deleted API Management service {name}", "PUT", self.resource_id(), body)

    def plan(self, existing, related):
        return plan_api_management(existing, self.params, self.module.subscription_id)

    def predict(self, existing, plan):
        doc = super().predict(existing, plan)
        if plan.action == "create":
            doc = dict(doc, properties=dict(doc["properties"], provisioningState="Creating"))
        return doc

    def after_delete(self, existing):
        """purge=true: purge the soft-deleted service (also one deleted before this run)."""
        if not self.params.get("purge"):
            return False
        name, location = self.params["name"], self.params["location"]
        if existing is None and self.find_deleted(location) is None:
            return False
        if not self.module.check_mode:
            apply(self.module, API, f"purge soft-deleted API Management service {name}", "DELETE",
                  deleted_service_id(self.module.subscription_id, location, name))
        return True

    def result(self, doc, related):
        return {self.result_key: service_view(doc) if doc else {}, "restored": self.restored}
