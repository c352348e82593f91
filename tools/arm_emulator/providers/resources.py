"""Microsoft.Resources: resource groups. Deleting a group deletes everything in it."""
from __future__ import annotations

import re

from ..errors import ArmError, location_required, resource_group_not_found
from .base import Context, Ref, TopLevelType, check_tags

# Azure: 1-90 characters; letters, digits, underscores, hyphens, periods, parentheses; not ending in '.'.
RG_NAME = re.compile(r"^[-\w._()]{0,89}[-\w_()]$")


class ResourceGroups(TopLevelType):
    namespace = "Microsoft.Resources"
    types = ("resourceGroups",)
    lro_put = False      # create_or_update is synchronous in the SDK
    lro_patch = False

    def validate_name(self, name: str) -> None:
        if not RG_NAME.match(name):
            raise ArmError(400, "InvalidResourceGroupName",
                           f"The resource group name '{name}' is invalid. Resource group names must be 1-90 "
                           "characters long, may contain letters, digits, underscores, hyphens, periods and "
                           "parentheses, and cannot end with a period.")

    def not_found(self, ref: Ref) -> ArmError:
        return resource_group_not_found(ref.name)

    def list(self, ctx: Context, ref: Ref) -> list[dict]:
        return ctx.state.of_type(self.type_name, f"/subscriptions/{ref.subscription}")

    def put(self, ctx: Context, ref: Ref, body: dict) -> tuple[dict, bool]:
        self.validate_name(ref.name)
        existing = self.find(ctx, ref)
        location = body.get("location")
        if not location:
            raise location_required()
        if existing is not None:
            if existing["properties"].get("provisioningState") == "Deleting":
                raise ArmError(409, "ResourceGroupBeingDeleted",
                               f"The resource group '{existing['name']}' is in deprovisioning state and cannot "
                               "perform this operation.")
            if existing["location"].replace(" ", "").lower() != str(location).replace(" ", "").lower():
                raise ArmError(409, "InvalidResourceGroupLocation",
                               f"Invalid resource group location '{location}'. The Resource group already exists "
                               f"in location '{existing['location']}'.")
        doc = {
            "id": existing["id"] if existing else ref.id,
            "name": existing["name"] if existing else ref.name,
            "type": self.type_name,
            "location": existing["location"] if existing else str(location),
            "tags": check_tags(body.get("tags")),
            "properties": {"provisioningState": "Succeeded"},
        }
        if body.get("managedBy"):
            doc["managedBy"] = str(body["managedBy"])
        ctx.state.put(doc)
        return doc, existing is None

    def patch(self, ctx: Context, ref: Ref, body: dict) -> dict:
        doc = self.get(ctx, ref)
        if "tags" in body:
            doc["tags"] = check_tags(body["tags"])
        if body.get("managedBy"):
            doc["managedBy"] = str(body["managedBy"])
        return doc

    def delete_plan(self, ctx: Context, ref: Ref) -> list[str] | None:
        doc = self.find(ctx, ref)
        if doc is None:
            # ARM answers a DELETE of a missing group with 404, unlike other resources (204).
            raise resource_group_not_found(ref.name)
        # Everything inside goes with it, regardless of in-use checks between its resources; but not a resource whose
        # provider refuses its delete (a storage account holding blobs under a locked retention policy): ARM deletes the
        # rest, fails the group's delete with ResourceGroupDeletionBlocked and rolls the group's state back.
        children = list(ctx.state.under(doc["id"]))
        blocked = {}
        for child in children:
            check = getattr(ctx.registry.get(str(child.get("type", "")).lower()), "refuses_group_delete", None)
            refusal = check(ctx, child) if check else None
            if refusal is not None:
                blocked[child["id"]] = refusal
        if not blocked:
            return [doc["id"]] + [child["id"] for child in children]
        survivors = tuple(resource_id.lower() for resource_id in blocked)
        deleted = [child["id"] for child in children
                   if not any(child["id"].lower() == kept or child["id"].lower().startswith(kept + "/") for kept in survivors)]
        ctx.failure = group_delete_blocked(doc["name"], blocked, ctx.request_id, deleted)
        return [doc["id"]] + deleted


def group_delete_blocked(group: str, blocked: dict, tracking_id: str, deleted: list[str]) -> dict:
    """The failed operation of a group's delete that some resources survived (its `_then`: what the operation still
    deletes, and the group's state afterwards). Code and message as Azure reports them (docs/emulator.md)."""
    names = ", ".join(resource_id.split("/providers/", 1)[1] for resource_id in blocked)   # e.g. Microsoft.Storage/storageAccounts/x
    return {"code": "ResourceGroupDeletionBlocked", "status": 409,
            "message": f"Deletion of resource group '{group}' failed as resources with identifiers '{names}' could not be "
                       f"deleted. The provisioning state of the resource group will be rolled back. The tracking Id is "
                       f"'{tracking_id}'. Please check audit logs for more details.",
            "details": [{"target": resource_id, "message": f"{error.code}: {error.message}"} for resource_id, error in blocked.items()],
            "_then": {"delete": deleted, "state": "Succeeded"}}


TYPES = [ResourceGroups()]
