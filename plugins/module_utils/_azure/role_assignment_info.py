# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The role assignments that apply to a principal at a scope, and what they let it do. PRIVATE to the collection.

Read only, for the resource engine's `inspect()` (module role_assignment_info).

Sources:
- REST spec Microsoft.Authorization stable 2022-04-01, authorization-RoleAssignmentsCalls.json (RoleAssignments_ListForScope,
  `$filter`), and learn.microsoft.com azure/role-based-access-control/role-assignments-list-rest: `atScope() and
  assignedTo('{objectId}')` lists a user's or service principal's assignments at the scope and above (not below),
  including those of the groups it is a member of, transitively; assignedTo takes the object id of a user or service
  principal, not of a group. The id is quoted (an unquoted id is refused: Azure/azure-rest-api-specs#28255).
- authorization-RoleDefinitionsCalls.json (RoleDefinitions_GetById, GET /{roleId}): a definition's `permissions`
  (actions, notActions, dataActions, notDataActions).
- learn.microsoft.com azure/role-based-access-control/role-definitions: a role's effective permissions are its Actions
  minus its NotActions (NotActions is not a deny: another role granting the operation grants it), `*` is a wildcard.
  Deny assignments and the conditions of an assignment are not evaluated here (reported, see `conditional`).
"""

from __future__ import annotations

import re
from urllib.parse import quote

from ansible_collections.complianceflow.infra.plugins.module_utils._azure.arm import GenericApi
from ansible_collections.complianceflow.infra.plugins.module_utils._azure.errors import is_subscription_not_found
from ansible_collections.complianceflow.infra.plugins.module_utils._azure.ids import ResourceId
from ansible_collections.complianceflow.infra.plugins.module_utils._azure.principal import caller
from ansible_collections.complianceflow.infra.plugins.module_utils._azure.role_assignment import (
    API_VERSION, PROVIDER, assignment_view, role_name, validate_principal_id, validate_scope)
from ansible_collections.complianceflow.infra.plugins.module_utils._azure.runner import Resource
from ansible_collections.complianceflow.infra.plugins.module_utils._azure.values import AzureInputError

API = GenericApi(API_VERSION)
ACTION_RE = re.compile(r"^[A-Za-z][A-Za-z0-9.]*(/[A-Za-z0-9._*-]+)+$")


def validate_actions(actions: list | None) -> list:
    """Control-plane operations such as Microsoft.Network/virtualNetworks/write (resource-provider-operations)."""
    for action in actions or []:
        if not ACTION_RE.match(str(action or "")):
            raise AzureInputError(f"actions: {action!r} is not an Azure operation such as Microsoft.Network/virtualNetworks/write "
                                  "or Microsoft.Network/register/action")
    return list(dict.fromkeys(actions or []))


def _matches(pattern: str, action: str) -> bool:
    """Azure's operation wildcards: '*' stands for any characters; compared without case."""
    regex = "^" + ".*".join(re.escape(part) for part in str(pattern).lower().split("*")) + "$"
    return re.match(regex, action.lower()) is not None


def role_permits(permissions: list, action: str) -> bool:
    """Whether a role definition's permissions grant `action`: one block's actions match it and none of the same
    block's notActions does."""
    return any(any(_matches(p, action) for p in block.get("actions") or [])
               and not any(_matches(p, action) for p in block.get("notActions") or [])
               for block in permissions or [])


def evaluate(actions: list, assignments: list, definitions: dict) -> dict:
    """{action: {"allowed", "through" (role names), "conditional"}} over the assignments' role definitions.

    `definitions` maps a role definition GUID (lower case) to its `permissions`; an assignment whose definition could
    not be read grants nothing. `conditional`: every assignment granting the action carries a condition (not evaluated).
    """
    found = {}
    for action in actions:
        through, unconditional = [], False
        for doc in assignments:
            props = doc.get("properties") or {}
            guid = (props.get("roleDefinitionId") or "").rstrip("/").rsplit("/", 1)[-1].lower()
            if guid in definitions and role_permits(definitions[guid]["permissions"], action):
                through.append(definitions[guid]["name"])
                unconditional = unconditional or not props.get("condition")
        found[action] = {"allowed": bool(through), "through": sorted(set(through)), "conditional": bool(through) and not unconditional}
    return found


def list_path(scope: str, principal_id: str) -> str:
    return f"{scope}/providers/{PROVIDER}/roleAssignments?$filter=" + quote(f"atScope() and assignedTo('{principal_id}')")


def nearest_parent(scope: str) -> str | None:
    """The scope above: a resource's parent resource or group, a group's subscription; None above a subscription."""
    rid = ResourceId.parse(scope, "scope")
    if rid.namespace:
        return str(rid.parent)
    if rid.resource_group:
        return str(ResourceId(rid.subscription))
    return None


class RoleAssignmentsInfo(Resource):
    """The scope is the 'resource': its assignments for the principal are read; a scope that does not exist (a resource
    group not created yet) reads as missing, and the assignments that would apply to it (at its nearest existing parent)
    are listed instead."""

    what = "role assignments"
    result_key = "role_assignments"
    api = API

    def validate(self):
        params = self.params
        self.scope = validate_scope(params["scope"] or f"/subscriptions/{self.module.subscription_id}")
        self.principal_id = validate_principal_id(params.get("principal_id"))
        self.actions = validate_actions(params.get("actions"))
        self.principal = {"object_id": self.principal_id}
        self.listed_at, self.assignments, self.definitions, self.unreadable = self.scope, [], {}, []

    def resource_id(self):
        if self.principal_id is None:
            me = caller(self.module)
            self.principal_id = me["object_id"].lower()
            self.principal = me
        return ResourceId.parse(self.scope, "scope")

    def get(self, rid):
        # pylint: disable-next=import-outside-toplevel
        from azure.core.exceptions import ResourceNotFoundError

        scope = self.scope
        while True:
            try:
                self.assignments = self.module.arm.list(list_path(scope, self.principal_id), API.api_version)
                self.listed_at = scope
                break
            except ResourceNotFoundError as err:
                parent = nearest_parent(scope)
                if is_subscription_not_found(err) or parent is None:
                    raise
                scope = parent
        self._read_definitions()
        if self.listed_at != self.scope:
            raise ResourceNotFoundError(f"scope {self.scope} does not exist")   # exists: false; the parent's are kept
        return {"id": self.scope}

    def _read_definitions(self):
        # pylint: disable-next=import-outside-toplevel
        from azure.core.exceptions import ResourceNotFoundError

        for doc in self.assignments:
            definition_id = (doc.get("properties") or {}).get("roleDefinitionId") or ""
            guid = definition_id.rstrip("/").rsplit("/", 1)[-1].lower()
            if not guid or guid in self.definitions or definition_id in self.unreadable:
                continue
            try:
                found = self.module.arm.get(definition_id, API.api_version) or {}
            except ResourceNotFoundError:
                self.unreadable.append(definition_id)   # deleted since (a custom role): it grants nothing
                continue
            props = found.get("properties") or {}
            self.definitions[guid] = {"name": props.get("roleName") or role_name(guid) or guid, "permissions": props.get("permissions") or []}

    def view(self, doc):
        views = []
        for assignment in self.assignments:
            view = assignment_view(assignment)
            view["role"] = self.definitions.get(_guid(assignment), {}).get("name") or view["role"]
            view["condition"] = (assignment.get("properties") or {}).get("condition")
            views.append(view)
        return views

    def result(self, doc, related):
        permissions = evaluate(self.actions, self.assignments, self.definitions)
        conditional = [a for a, p in permissions.items() if p["conditional"]]
        if conditional:
            self.module.warn(f"{', '.join(conditional)}: granted only through role assignments with a condition, which this "
                             "module does not evaluate; the condition may not allow what the deployment does")
        views = self.view(None)
        return {"scope": self.scope, "listed_at": self.listed_at, "principal": self.principal,
                "role_assignments": views, "roles": sorted({a["role"] for a in views if a["role"]}),
                "permissions": {a: p["allowed"] for a, p in permissions.items()},
                "granted_through": {a: p["through"] for a, p in permissions.items()},
                "missing_actions": [a for a, p in permissions.items() if not p["allowed"]],
                "conditional": conditional, "unreadable_definitions": self.unreadable}


def _guid(doc: dict) -> str:
    return ((doc.get("properties") or {}).get("roleDefinitionId") or "").rstrip("/").rsplit("/", 1)[-1].lower()
