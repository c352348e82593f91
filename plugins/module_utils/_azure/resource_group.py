# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Resource groups for the resource engine. PRIVATE to the collection.

A group's delete deletes everything in it, except a storage account whose blobs are under a locked time-based retention
policy: Azure deletes the rest, keeps the account and fails the delete (ResourceGroupDeletionBlocked, the group's state
rolled back). So a delete is refused, before anything goes, when the group holds a container with a locked policy: the
evidence store of an audit group (docs/emulator.md cites the sources). Azure would let an empty such container go; its
blobs cannot be listed here (shared key off, data-plane roles), so an empty one is refused too.
"""

from __future__ import annotations

from urllib.parse import quote

from ansible_collections.complianceflow.infra.plugins.module_utils._azure.arm import GenericApi
from ansible_collections.complianceflow.infra.plugins.module_utils._azure.ids import ResourceId
from ansible_collections.complianceflow.infra.plugins.module_utils._azure.runner import Plan, Resource
from ansible_collections.complianceflow.infra.plugins.module_utils._azure.storage_account import (
    ACCOUNT_TYPE, API as STORAGE_API, container_view)
from ansible_collections.complianceflow.infra.plugins.module_utils._azure.values import (
    AzureInputError, merge_tags, same_location, validate_name, validate_tags)

# Microsoft.Resources/resourceGroups: the version azure-mgmt-resource 26 sends (docs/resource-engine.md).
API = GenericApi("2025-04-01")


def resources_of_type(module, group: ResourceId, type_name: str) -> list[dict]:
    """The resources of one type in a group (Resources_ListByResourceGroup with $filter=resourceType eq '<type>', REST
    spec Microsoft.Resources stable 2025-04-01): one read for any type, whatever api-version its own module sends. A
    missing group is an empty list."""
    query = quote(f"resourceType eq '{type_name}'")
    return module.get_or_none(f"list the {type_name} resources of group {group.resource_group}", module.arm.list,
                              f"{group}/resources?$filter={query}", API.api_version) or []


def locked_containers(accounts: dict[str, list]) -> list[str]:
    """`account/container (N days)` for each container whose time-based immutability policy is locked."""
    return [f"{account}/{view['name']} ({view['immutability_period_days']} days)"
            for account, containers in accounts.items() for view in map(container_view, containers)
            if view["immutability_locked"]]


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

    def read_related(self, rid, existing):
        """For a delete: the containers of each storage account in the group (their immutability policies)."""
        if self.params["state"] != "absent":
            return {}
        module = self.module
        return {"storage_containers": {account["name"]: module.get_or_none(
            f"list containers of storage account {account['name']}", module.arm.list,
            f"{account['id']}/blobServices/default/containers", STORAGE_API.api_version) or []
            for account in resources_of_type(module, rid, ACCOUNT_TYPE)}}

    def check_delete(self, existing, related):
        locked = locked_containers(related.get("storage_containers") or {})
        if locked:
            raise AzureInputError(
                f"resource group {self.params['name']} holds blob containers with a locked immutability policy: {', '.join(locked)}. "
                "Azure keeps such a storage account until every blob in it is past its retention, deletes the rest of the group "
                "and fails the delete (ResourceGroupDeletionBlocked); nothing was deleted. Keep the group (teardown without "
                "teardown_delete_audit), or delete the container first once no blob in it is under retention")

    def plan(self, existing, related):
        return plan_group(existing, self.params["name"], self.params["location"], self.tags, self.params["purge_tags"])
