# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Azure Container Registries for the resource engine. PRIVATE to the collection.

Sources (docs/emulator.md lists them with the emulator's behaviour):
- REST spec Microsoft.ContainerRegistry stable 2025-11-01, Registry/stable/2025-11-01/containerregistry.json
  (Azure/azure-rest-api-specs at e10841fe5bd4efff452e04ca5f4a2685161b4a2d, the newest stable version the search tool
  holds): registry names are 5-50 characters of ``^[a-zA-Z0-9]*$`` ("globally unique", Registries_CheckNameAvailability);
  ``sku.name`` is required (Classic, Basic, Standard, Premium); ``adminUserEnabled`` and ``anonymousPullEnabled``
  default to false, ``publicNetworkAccess`` to Enabled; Registries_Create (PUT) and Registries_Update (PATCH: sku,
  tags and the writable properties) are long-running.
- learn.microsoft.com/azure/container-registry/container-registry-skus: three tiers (Basic, Standard, Premium); private
  link with private endpoints and public IP network rules are Premium only.
- Disabling public network access on Basic or Standard: 400 DisablingPublicNetworkAccessNotSupported "Disabling public
  network access is not supported for the SKU <sku>." (hashicorp/terraform-provider-azurerm#26054, which made the
  provider refuse it before the call for the same reason). A registry name taken anywhere: AlreadyInUse "The registry
  DNS name <name>.azurecr.io is already in use." (MicrosoftDocs/azure-dev-docs#1303; its HTTP status is unverified).
- learn.microsoft.com/azure/container-registry/anonymous-pull-access: anonymous pull access is available in the
  Standard and Premium tiers (the code Azure answers on Basic is unverified).
- networkRuleSet is Premium only (the SKU page above; terraform-provider-azurerm documents ``network_rule_set`` as
  Premium only, #7258); the code Azure answers with is unverified. This module does not manage IP rules: a registry
  that must not be public has public network access disabled and is reached through a private endpoint.
"""

from __future__ import annotations

import re

from ansible_collections.complianceflow.infra.plugins.module_utils._azure.arm import GenericApi
from ansible_collections.complianceflow.infra.plugins.module_utils._azure.runner import Plan, Resource
from ansible_collections.complianceflow.infra.plugins.module_utils._azure.values import (
    AzureInputError, check_reserved_name, merge_tags, same_location, validate_name, validate_tags)

REGISTRY_TYPE = "Microsoft.ContainerRegistry/registries"
API = GenericApi("2025-11-01")   # no SDK: ARM's generic operations (docs/resource-engine.md)
NAME_RE = re.compile(r"^[A-Za-z0-9]{5,50}$")
SKUS = ("Basic", "Standard", "Premium")   # Classic is in the spec's enum but no longer a tier one can create
# Option -> (key in properties, or "sku") of what the module manages.
FIELDS = {"sku": "sku", "admin_user_enabled": "adminUserEnabled", "anonymous_pull_enabled": "anonymousPullEnabled",
          "public_network_access": "publicNetworkAccess", "network_rule_bypass_options": "networkRuleBypassOptions"}


def validate_registry(params: dict) -> None:
    """Checks before any call."""
    validate_name(params["resource_group"], "resource_group", "resource group")
    name = params["name"]
    if not isinstance(name, str) or not NAME_RE.match(name):
        raise AzureInputError(f"name: {name!r} is not a valid container registry name; Azure allows 5-50 letters and digits "
                              "(no hyphens), unique across Azure (it becomes <name>.azurecr.io)")
    check_reserved_name(name)
    check_sku_features(params.get("sku"), params.get("public_network_access"), params.get("anonymous_pull_enabled"))


def check_sku_features(sku: str | None, public_network_access: str | None, anonymous_pull: bool | None = None) -> None:
    """Public network access can be disabled on a Premium registry only (private endpoints are Premium only);
    anonymous pull exists on Standard and Premium only."""
    if sku == "Basic" and anonymous_pull:
        raise AzureInputError("anonymous_pull_enabled: true needs sku Standard or Premium, not Basic (Azure offers anonymous "
                              "pull access on those tiers only)")
    if sku and sku != "Premium" and public_network_access == "Disabled":
        raise AzureInputError(f"public_network_access: Disabled needs sku Premium, not {sku}; Azure refuses it "
                              f"(DisablingPublicNetworkAccessNotSupported): a {sku} registry has no private endpoints "
                              "and is always reached over its public endpoint, with Microsoft Entra authentication")


def registry_view(doc: dict | None) -> dict:
    if not doc:
        return {}
    props = doc.get("properties") or {}
    view = {"id": doc.get("id"), "name": doc.get("name"), "location": doc.get("location"), "tags": dict(doc.get("tags") or {}),
            "login_server": props.get("loginServer"), "provisioning_state": props.get("provisioningState"),
            "sku": (doc.get("sku") or {}).get("name")}
    view.update({key: props.get(prop) for key, prop in FIELDS.items() if key != "sku"})
    # The spec's defaults, where Azure leaves a property out.
    for key, default in (("admin_user_enabled", False), ("anonymous_pull_enabled", False), ("public_network_access", "Enabled")):
        if view[key] is None:
            view[key] = default
    return view


def plan_registry(existing: dict | None, params: dict) -> Plan:
    """Create (PUT), PATCH of the options given that differ (sku, properties, tags), or nothing."""
    name = params["name"]
    if existing is None:
        if not params.get("location"):
            raise AzureInputError(f"container registry {name!r} does not exist: location is needed to create it")
        if not params.get("sku"):
            raise AzureInputError(f"container registry {name!r} does not exist: sku is needed to create it "
                                  f"({', '.join(SKUS)})")
    elif params.get("location") and not same_location(existing["location"], params["location"]):
        raise AzureInputError(f"container registry {name!r} is in {existing['location']}; Azure cannot move it to {params['location']}")
    have = registry_view(existing)
    given = {key: params[key] for key in FIELDS if params.get(key) is not None}
    check_sku_features(given.get("sku", have.get("sku")), given.get("public_network_access", have.get("public_network_access")),
                       given.get("anonymous_pull_enabled", have.get("anonymous_pull_enabled")))
    before, after, props, sku = {}, {}, {}, None
    for key, value in given.items():
        before[key], after[key] = have.get(key), value
        if have.get(key) != value:
            if key == "sku":
                sku = {"name": value}
            else:
                props[FIELDS[key]] = value
    old_tags = dict((existing or {}).get("tags") or {})
    tags = merge_tags(old_tags, params.get("tags"), params.get("purge_tags", True))
    if params.get("tags") is not None:
        before["tags"], after["tags"] = old_tags, tags
    if existing is None:
        return Plan("create", {"location": params["location"], "sku": sku, "tags": tags, "properties": props}, {}, after)
    patch = dict({"properties": props} if props else {}, **({"sku": sku} if sku else {}))
    if tags != old_tags:
        patch["tags"] = tags
    return Plan("patch" if patch else "none", patch or None, before, after)


class ContainerRegistry(Resource):
    what = "container registry"
    result_key = "registry"
    api = API
    provider_type = REGISTRY_TYPE

    def validate(self):
        self.params["tags"] = validate_tags(self.params.get("tags"))
        validate_registry(self.params)

    def view(self, doc):
        return registry_view(doc)

    def plan(self, existing, related):
        return plan_registry(existing, self.params)

    def predict(self, existing, plan):
        doc = super().predict(existing, plan)
        if existing is None and doc is not None:   # what Azure fills in on create
            doc["properties"] = dict({"loginServer": f"{self.params['name'].lower()}.azurecr.io"}, **doc.get("properties", {}))
        return doc
