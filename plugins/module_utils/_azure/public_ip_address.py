# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Public IP addresses for the resource engine. PRIVATE to the collection.

Sources (docs/emulator.md lists them with the emulator's behaviour):
- REST spec Microsoft.Network stable 2026-03-01, virtualNetwork.json (Azure/azure-rest-api-specs commit
  d7a2364fe3101023c5bb381847ef26fc8ec8a2dd; the TypeSpec-generated file that holds the public IP operations at this
  version): PublicIPAddress (sku, zones, properties), PublicIPAddressPropertiesFormat (publicIPAllocationMethod,
  publicIPAddressVersion, idleTimeoutInMinutes, dnsSettings; ipAddress assigned by Azure), PublicIPAddressSku (name
  Basic/Standard/StandardV2, tier Regional/Global). PUT is long-running, the tags PATCH (PublicIPAddresses_UpdateTags)
  is not (the path templates as azure-mgmt-network 33.1's request builders have them).
- learn.microsoft.com/azure/virtual-network/ip-services/public-ip-basic-upgrade-guidance: Basic SKU public IPs were
  retired on 30 September 2025: Basic is refused before any call.
- learn.microsoft.com/azure/virtual-network/ip-services/public-ip-addresses: a Standard public IP is always Static.
- learn.microsoft.com/azure/bastion/configuration-settings ("Public IP address"): Azure Bastion needs a Standard, Static
  public IP.
- learn.microsoft.com/azure/azure-resource-manager/management/resource-name-rules (Microsoft.Network): 1-80
  alphanumerics, underscores, periods and hyphens; start alphanumeric, end alphanumeric or underscore.
"""

from __future__ import annotations

from ansible_collections.complianceflow.infra.plugins.module_utils._azure.arm import GenericApi
from ansible_collections.complianceflow.infra.plugins.module_utils._azure.carry import Carried, ids_only
from ansible_collections.complianceflow.infra.plugins.module_utils._azure.runner import Resource, tags_plan
from ansible_collections.complianceflow.infra.plugins.module_utils._azure.values import (
    AzureInputError, merge_tags, same_location, validate_name, validate_tags)

PUBLIC_IP_TYPE = "Microsoft.Network/publicIPAddresses"
API = GenericApi("2026-03-01")   # the network modules' version; no SDK import needed for a body built from scratch
SKUS = ("Standard", "StandardV2")
TIERS = ("Regional", "Global")
ALLOCATIONS = ("Static", "Dynamic")
VERSIONS = ("IPv4", "IPv6")
# Option -> path in the public IP document.
FIELDS = {"sku": ("sku", "name"), "tier": ("sku", "tier"), "allocation_method": ("properties", "publicIPAllocationMethod"),
          "ip_version": ("properties", "publicIPAddressVersion"), "idle_timeout_in_minutes": ("properties", "idleTimeoutInMinutes"),
          "zones": ("zones",)}
# Set when the address is created and not changed in place by this module (a new address would be a new resource).
IMMUTABLE = ("sku", "tier", "ip_version", "zones")


def validate_public_ip(params: dict) -> None:
    """Checks before any call; each message names the option and what is valid."""
    validate_name(params["resource_group"], "resource_group", "resource group")
    validate_name(params["name"], "name")
    sku = params.get("sku")
    if sku == "Basic":
        raise AzureInputError("sku: 'Basic' public IPs were retired on 30 September 2025 and cannot be created; use Standard")
    if sku is not None and sku not in SKUS:
        raise AzureInputError(f"sku: {sku!r} is not one of {', '.join(SKUS)}")
    if params.get("allocation_method") == "Dynamic" and (sku or "Standard") in SKUS:
        raise AzureInputError(f"allocation_method: a {sku or 'Standard'} public IP is always Static; 'Dynamic' was a Basic "
                              "SKU allocation (retired)")
    timeout = params.get("idle_timeout_in_minutes")
    if timeout is not None and not 4 <= timeout <= 30:
        raise AzureInputError(f"idle_timeout_in_minutes: {timeout} is out of range 4-30")
    for zone in params.get("zones") or []:
        if str(zone) not in ("1", "2", "3"):
            raise AzureInputError(f"zones: {zone!r} is not an availability zone (1, 2 or 3)")


def _get(doc: dict | None, path: tuple):
    for key in path:
        doc = (doc or {}).get(key)
    return doc


def public_ip_view(doc: dict | None) -> dict:
    if not doc:
        return {}
    props = doc.get("properties") or {}
    view = {"id": doc.get("id"), "name": doc.get("name"), "location": doc.get("location"), "tags": dict(doc.get("tags") or {}),
            "ip_address": props.get("ipAddress"), "ip_configuration_id": (props.get("ipConfiguration") or {}).get("id"),
            "provisioning_state": props.get("provisioningState")}
    view.update({key: _get(doc, path) for key, path in FIELDS.items()})
    view["zones"] = sorted(view["zones"] or [])
    return view


def _body(location: str, wanted: dict) -> dict:
    body: dict = {"location": location, "sku": {"name": wanted["sku"], "tier": wanted["tier"]}, "properties": {}}
    for key in ("allocation_method", "ip_version", "idle_timeout_in_minutes"):
        if wanted.get(key) is not None:
            body["properties"][FIELDS[key][1]] = wanted[key]
    if wanted.get("zones"):
        body["zones"] = list(wanted["zones"])
    return body


def plan_public_ip(existing: dict | None, params: dict):
    """Create (PUT), a PUT of the whole address when a changeable option differs, a tags PATCH, or nothing."""
    if existing is None and not params.get("location"):
        raise AzureInputError(f"public IP {params['name']!r} does not exist: location is needed to create it")
    if existing and params.get("location") and not same_location(existing["location"], params["location"]):
        raise AzureInputError(f"public IP {params['name']!r} is in {existing['location']}; Azure cannot move it to {params['location']}")
    have = public_ip_view(existing)
    given = {key: params[key] for key in FIELDS if params.get(key) is not None}
    if "zones" in given:
        given["zones"] = sorted(str(z) for z in given["zones"])
    before, after = ({k: have.get(k) for k in given} if existing else {}), dict(given)
    if existing:
        for key in IMMUTABLE:
            if key in given and have.get(key) not in (None, []) and have.get(key) != given[key]:
                raise AzureInputError(f"{key}: public IP {params['name']!r} has {have.get(key)!r}; it is set when the address is "
                                      "created: delete the address (its IP changes) to create it with another value")
    defaults = {"sku": "Standard", "tier": "Regional", "allocation_method": "Static", "ip_version": "IPv4"}
    wanted = dict(defaults)
    wanted.update({k: v for k, v in have.items() if k in FIELDS and v not in (None, [])})
    wanted.update(given)
    old_tags = dict((existing or {}).get("tags") or {})
    tags = merge_tags(old_tags, params.get("tags"), params.get("purge_tags", True))
    if params.get("tags") is not None:
        before["tags"], after["tags"] = old_tags, tags
    changed = existing is not None and any(have.get(k) != v for k, v in given.items())
    return tags_plan(existing, _body(existing["location"] if existing else params["location"], wanted), before, after, changed, tags)


class PublicIpAddress(Resource):
    what = "public IP address"
    # PublicIPAddressPropertiesFormat (2026-03-01) writable parts this module does not manage (carry.py). Terraform's
    # azurerm sends back the whole IP as read on its update (public_ip_resource.go, resourcePublicIpUpdate: the payload
    # is the GET's model), its NAT gateway and prefix references among them; here they go back as their ids.
    carried = Carried(properties={"dnsSettings": None, "ddosSettings": None, "ipTags": None, "publicIPPrefix": ids_only,
                                  "natGateway": ids_only, "deleteOption": None}, top_level={"extendedLocation": None})
    result_key = "public_ip_address"
    api = API
    provider_type = PUBLIC_IP_TYPE

    def validate(self):
        self.params["tags"] = validate_tags(self.params.get("tags"))
        validate_public_ip(self.params)

    def view(self, doc):
        return public_ip_view(doc)

    def plan(self, existing, related):
        return plan_public_ip(existing, self.params)
