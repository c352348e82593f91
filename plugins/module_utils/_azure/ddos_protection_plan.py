# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""DDoS protection plans (Azure DDoS Network Protection) for the resource engine. PRIVATE to the collection.

Sources (docs/emulator.md lists them with the emulator's behaviour):
- REST spec Microsoft.Network stable 2026-03-01 (the network modules' version, NETWORK_API_VERSION), virtualNetwork.json:
  `DdosProtectionPlan` is a tracked resource (location, tags) whose properties are all read-only (resourceGuid,
  provisioningState, publicIPAddresses, virtualNetworks: "The list of virtual networks associated with the DDoS
  protection plan resource. This list is read-only."). A VNet joins a plan through its own properties
  `ddosProtectionPlan` (a SubResource id) and `enableDdosProtection` (`_azure/virtual_network.py`).
- terraform-provider-azurerm, network_ddos_protection_plan: "Azure only allows `one` DDoS Protection Plan per region";
  Microsoft Q&A (learn.microsoft.com/answers/questions/559735, quoting the DDoS FAQ): "Under a tenant, a single DDoS
  protection plan can be used across multiple subscriptions". The collection keeps one plan per region in a group of
  its own (`_deployment/naming.py` ddos_protection_plan), shared by the region's prod VNets.
- A plan still linked to VNets is not deleted: state=absent leaves it and says who uses it (keep_if_in_use), or fails
  naming them; whether and how Azure refuses such a delete is unverified.
"""

from __future__ import annotations

from ansible_collections.complianceflow.infra.plugins.module_utils._azure.arm import GenericApi
from ansible_collections.complianceflow.infra.plugins.module_utils._azure.runner import Resource, tags_plan
from ansible_collections.complianceflow.infra.plugins.module_utils._azure.values import (
    AzureInputError, merge_tags, same_location, validate_name, validate_tags)
from ansible_collections.complianceflow.infra.plugins.module_utils._azure.virtual_network import NETWORK_API_VERSION

PLAN_TYPE = "Microsoft.Network/ddosProtectionPlans"
API = GenericApi(NETWORK_API_VERSION)   # no SDK import: bodies of a location and tags (docs/resource-engine.md)


def validate_plan(params: dict) -> None:
    validate_name(params["resource_group"], "resource_group", "resource group")
    validate_name(params["name"], "name")
    params["tags"] = validate_tags(params.get("tags"))


def plan_view(doc: dict | None) -> dict:
    if not doc:
        return {}
    props = doc.get("properties") or {}
    return {"id": doc.get("id"), "name": doc.get("name"), "location": doc.get("location"), "tags": dict(doc.get("tags") or {}),
            "virtual_networks": [v.get("id") for v in props.get("virtualNetworks") or []],
            "public_ip_addresses": len(props.get("publicIPAddresses") or []),
            "provisioning_state": props.get("provisioningState")}


def plan_ddos_plan(existing: dict | None, params: dict):
    """Create (PUT with location and tags), a tags-only PATCH, or nothing: a plan has nothing else to set."""
    if existing is None and not params.get("location"):
        raise AzureInputError(f"DDoS protection plan {params['name']!r} does not exist: location is needed to create it")
    if existing and params.get("location") and not same_location(existing.get("location"), params["location"]):
        raise AzureInputError(f"DDoS protection plan {params['name']!r} is in {existing.get('location')}; Azure cannot move it "
                              f"to {params['location']}")
    old_tags = dict((existing or {}).get("tags") or {})
    tags = merge_tags(old_tags, params.get("tags"), params.get("purge_tags", True))
    before, after = ({"tags": old_tags}, {"tags": tags}) if params.get("tags") is not None else ({}, {})
    body = {"location": (existing or {}).get("location") or params.get("location"), "properties": {}}
    return tags_plan(existing, body, {} if existing is None else before, after, False, tags)


def still_used(existing: dict) -> list:
    return plan_view(existing)["virtual_networks"]


class DdosProtectionPlan(Resource):
    what = "DDoS protection plan"
    result_key = "ddos_protection_plan"
    api = API
    provider_type = PLAN_TYPE

    def validate(self):
        validate_plan(self.params)

    def view(self, doc):
        return plan_view(doc)

    def deleted_view(self, existing, related):
        """state=absent on a plan some VNet still uses: left as it is (keep_if_in_use) or a failure, naming the VNets."""
        users = still_used(existing)
        if users:
            message = (f"DDoS protection plan {existing.get('name')} is still used by {len(users)} virtual network(s): "
                       f"{', '.join(users)}; it is deleted once none uses it")
            if not self.params.get("keep_if_in_use", True):
                self.module.fail_json(msg=message, virtual_networks=users)
            self.module.warn(message)
            self.module.exit_json(changed=False, **self.result(existing, related))
        return {k: v for k, v in plan_view(existing).items() if k not in ("id", "provisioning_state")}

    def plan(self, existing, related):
        return plan_ddos_plan(existing, self.params)

    def result(self, doc, related):
        return {self.result_key: plan_view(doc) if doc else {}, "deleted": doc is None and self.params.get("state") == "absent"}
