# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Resource groups for the resource engine. PRIVATE to the collection."""

from __future__ import annotations

from ansible_collections.complianceflow.infra.plugins.module_utils._azure.arm import GenericApi
from ansible_collections.complianceflow.infra.plugins.module_utils._azure.ids import ResourceId
from ansible_collections.complianceflow.infra.plugins.module_utils._azure.runner import Plan, Resource
from ansible_collections.complianceflow.infra.plugins.module_utils._azure.values import (
    AzureInputError, merge_tags, same_location, validate_name, validate_tags)

# Microsoft.Resources/resourceGroups: the version azure-mgmt-resource 26 sends (docs/resource-engine.md).
API = GenericApi("2025-04-01")


def group_view(doc: dict | None) -> dict:
    if not doc:
        return {}
    return {"id": doc.get("id"), "name": doc.get("name"), "location": doc.get("location"),
            "tags": dict(doc.get("tags") or {}), "provisioning_state": (doc.get("properties") or {}).get("provisioningState")}


def plan_group(existing: dict | None, name: str, location: str | None, tags_wanted: dict | None, purge_tags: bool) -> Plan:
    """Create, a tags-only PATCH, or nothing; a group never moves."""
    if existing is None and not location:
        raise AzureInputError(f"resource group {name!r} does not exist: location is needed to create it")
    if existing and location and not same_location(existing["location"], location):
        raise AzureInputError(f"resource group {name!r} is in {existing['location']}; a resource group cannot move to {location}")
    old_tags = dict((existing or {}).get("tags") or {})
    tags = merge_tags(old_tags, tags_wanted, purge_tags)
    before = {"location": existing["location"], "tags": old_tags} if existing else {}
    after = {"location": existing["location"] if existing else location, "tags": tags}
    if existing is None:
        return Plan("create", {"location": location, "tags": tags}, before, after)
    return Plan("tags" if tags != old_tags else "none", {"tags": tags}, before, after)


class ResourceGroup(Resource):
    what = "resource group"
    result_key = "resource_group"
    api = API

    def validate(self):
        validate_name(self.params["name"], "name", "resource group")
        self.tags = validate_tags(self.params["tags"])

    def resource_id(self) -> ResourceId:
        return ResourceId(self.module.subscription_id, self.params["name"])

    def view(self, doc):
        return group_view(doc)

    def deleted_view(self, existing, related):
        return {k: group_view(existing)[k] for k in ("name", "location", "tags")}

    def plan(self, existing, related):
        return plan_group(existing, self.params["name"], self.params["location"], self.tags, self.params["purge_tags"])
