# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Azure role assignments for the resource engine. PRIVATE to the collection.

Sources:
- REST spec Microsoft.Authorization stable 2022-04-01 (authorization-RoleAssignmentsCalls.json; also the version
  azure-mgmt-authorization 4.0 sends): PUT/GET/DELETE {scope}/providers/Microsoft.Authorization/roleAssignments/{name},
  the name is "any valid GUID", the body is properties.roleDefinitionId/principalId/principalType/description, and
  GET {scope}/providers/Microsoft.Authorization/roleAssignments?$filter=principalId eq '{id}' lists a principal's
  assignments at, above and below the scope.
- learn.microsoft.com azure/role-based-access-control/troubleshooting: a role assignment's name is unique everywhere
  and its principal, role and scope never change (400 RoleAssignmentUpdateNotPermitted), so the name is derived from
  scope, principal and role (the documented guid(scope, principal, role) practice) and a re-run finds the same one;
  Azure also refuses a second assignment of the same principal, role and scope under another name (409
  RoleAssignmentExists), so one made elsewhere (the portal, the CLI) is found by listing and counts as present.
  principalType avoids PrincipalNotFound for a principal created moments ago (replication delay).
- Built-in role ids: learn.microsoft.com azure/role-based-access-control/built-in-roles and key-vault/general/rbac-guide.
"""

from __future__ import annotations

import re
import uuid
from urllib.parse import quote

from ansible_collections.complianceflow.infra.plugins.module_utils._azure.arm import GenericApi
from ansible_collections.complianceflow.infra.plugins.module_utils._azure.ids import ResourceId, ids_equal
from ansible_collections.complianceflow.infra.plugins.module_utils._azure.principal import caller
from ansible_collections.complianceflow.infra.plugins.module_utils._azure.runner import Plan, Resource
from ansible_collections.complianceflow.infra.plugins.module_utils._azure.values import AzureInputError

API_VERSION = "2022-04-01"
PROVIDER = "Microsoft.Authorization"
GUID_RE = re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")
PRINCIPAL_TYPES = ("User", "Group", "ServicePrincipal", "ForeignGroup")
# Names of assignments this collection makes: uuid5(NAMESPACE, "<scope>|<principal>|<role>"), all lower-cased.
NAMESPACE = uuid.UUID("5f0e6f1e-3b52-4c3e-9a8e-1c2b7d4e9a60")

# Built-in roles by name (learn.microsoft.com azure/role-based-access-control/built-in-roles; key-vault/general/rbac-guide).
BUILT_IN_ROLES = {
    "Owner": "8e3af657-a8ff-443c-a75c-2fe8c4bcb635",
    "Contributor": "b24988ac-6180-42a0-ab88-20f7382dd24c",
    "Reader": "acdd72a7-3385-48ef-bd42-f606fba81ae7",
    "User Access Administrator": "18d7d88d-d35e-4fb5-a5c3-7773c20a72d9",
    "Role Based Access Control Administrator": "f58310d9-a9f6-439a-9e8d-f62e7b41a168",
    "Key Vault Administrator": "00482a5a-887f-4fb3-b363-3b7fe8e74483",
    "Key Vault Reader": "21090545-7ca7-4776-b22c-e363652d74d2",
    "Key Vault Secrets Officer": "b86a8fe4-44ce-4948-aee5-eccb2c155cd7",
    "Key Vault Secrets User": "4633458b-17de-408a-b874-0445c86b69e6",
    "Key Vault Certificates Officer": "a4417e6f-fecd-4de8-b567-7b0420556985",
    "Key Vault Crypto Officer": "14b46e9e-c2b7-41b4-b07b-48a6ebf60603",
    "Key Vault Crypto User": "12338af0-0e69-4776-bea7-57ae8d297424",
    "Key Vault Crypto Service Encryption User": "e147488a-f6f5-4113-8e2d-b22465e65bf6",
    "Key Vault Data Access Administrator": "8b54135c-b56d-4d72-a534-26097cfdc8d8",
    # The apps' identity (roles/identity): built-in-roles (containers, analytics).
    "AcrPull": "7f951dda-4ed3-4680-a7ca-43fe172d538d",
    "Azure Event Hubs Data Sender": "2b629674-e913-4c01-ae53-ef4638d8f975",
    "Azure Event Hubs Data Receiver": "a638d3c7-ab3a-418d-83e6-5f17a39d4fde",
}


def role_guid(role: str) -> str:
    """The role definition GUID of a built-in role name, a GUID, or a role definition id."""
    text = str(role or "").strip()
    by_name = {name.lower(): guid for name, guid in BUILT_IN_ROLES.items()}
    if text.lower() in by_name:
        return by_name[text.lower()]
    last = text.rstrip("/").rsplit("/", 1)[-1]
    if GUID_RE.match(last) and (text == last or "/providers/microsoft.authorization/roledefinitions/" in text.lower()):
        return last.lower()
    raise AzureInputError(f"role: {role!r} is neither a built-in role this module knows ({', '.join(BUILT_IN_ROLES)}) nor a "
                          "role definition id (a GUID, or /subscriptions/<id>/providers/Microsoft.Authorization/roleDefinitions/<GUID>)")


def role_name(guid: str | None) -> str | None:
    return next((name for name, known in BUILT_IN_ROLES.items() if known == (guid or "").lower()), None)


def validate_scope(scope: str) -> str:
    """A subscription, resource group or resource id (ARM's forms; the management-group scope is not supported)."""
    return str(ResourceId.parse(scope, "scope")).rstrip("/")


def validate_principal_id(value: str | None) -> str | None:
    if value is not None and not GUID_RE.match(str(value)):
        raise AzureInputError(f"principal_id: {value!r} is not an object id (a GUID of a user, group or service principal)")
    return value.lower() if value else None


def assignment_name(scope: str, principal_id: str, guid: str) -> str:
    """The same GUID for the same scope, principal and role: a re-run finds what an earlier run made."""
    return str(uuid.uuid5(NAMESPACE, "|".join((scope.lower(), principal_id.lower(), guid.lower()))))


def definition_id(subscription_id: str, guid: str) -> str:
    return f"/subscriptions/{subscription_id}/providers/{PROVIDER}/roleDefinitions/{guid}"


class AssignmentRef:
    """A role assignment's id: {scope}/providers/Microsoft.Authorization/roleAssignments/{name} (an extension resource)."""

    def __init__(self, scope: str, name: str):
        self.scope, self.name = scope, name

    def __str__(self) -> str:
        return f"{self.scope}/providers/{PROVIDER}/roleAssignments/{self.name}"


def assignment_view(doc: dict | None) -> dict:
    if not doc:
        return {}
    props = doc.get("properties") or {}
    guid = (props.get("roleDefinitionId") or "").rstrip("/").rsplit("/", 1)[-1].lower() or None
    return {"id": doc.get("id"), "name": doc.get("name"), "scope": props.get("scope"), "role_definition_id": props.get("roleDefinitionId"),
            "role": role_name(guid) or guid, "principal_id": props.get("principalId"), "principal_type": props.get("principalType"),
            "description": props.get("description")}


def same_assignment(doc: dict, scope: str, principal_id: str, guid: str) -> bool:
    props = doc.get("properties") or {}
    return (ids_equal(props.get("scope"), scope) and (props.get("principalId") or "").lower() == principal_id.lower()
            and (props.get("roleDefinitionId") or "").rstrip("/").rsplit("/", 1)[-1].lower() == guid)


def plan_assignment(existing: dict | None, scope: str, principal_id: str, guid: str, body: dict) -> Plan:
    """Create, or nothing: Azure never changes an assignment's principal, role or scope."""
    after = {"scope": scope, "role_definition_id": body["properties"]["roleDefinitionId"], "principal_id": principal_id}
    if existing is None:
        return Plan("create", body, {}, after)
    if not same_assignment(existing, scope, principal_id, guid):
        view = assignment_view(existing)
        raise AzureInputError(f"name: role assignment {existing.get('name')} exists for principal {view['principal_id']}, role "
                              f"{view['role']} at {view['scope']}; Azure never changes a role assignment's principal, role or "
                              "scope: remove it (state=absent) or leave name out")
    view = assignment_view(existing)
    before = {"scope": view["scope"], "role_definition_id": view["role_definition_id"], "principal_id": view["principal_id"]}
    return Plan("none", None, before, before)


class RoleAssignmentApi(GenericApi):
    """GET by name, or the same principal, role and scope under another name (made elsewhere); DELETE that one."""

    def __init__(self):
        super().__init__(API_VERSION)
        self.found_id = None
        self.match = None   # (scope, principal_id, guid)

    def get(self, module, rid):
        # pylint: disable-next=import-outside-toplevel
        from azure.core.exceptions import ResourceNotFoundError
        try:
            return module.arm.get(str(rid), self.api_version)
        except ResourceNotFoundError:
            if self.match is None:
                raise
        scope, principal_id, guid = self.match
        listed = module.arm.list(f"{scope}/providers/{PROVIDER}/roleAssignments?$filter=" + quote(f"principalId eq '{principal_id}'"),
                                 self.api_version)
        found = next((doc for doc in listed if same_assignment(doc, scope, principal_id, guid)), None)
        if found is None:
            raise ResourceNotFoundError(f"no role assignment of {principal_id} for role {guid} at {scope}")
        self.found_id = found.get("id")
        return found

    def start(self, module, what, method, rid, body=None):
        target = self.found_id if method == "DELETE" and self.found_id else str(rid)
        return module.arm.start(what, method, target, self.api_version, body)


class RoleAssignment(Resource):
    what = "role assignment"
    result_key = "role_assignment"

    def validate(self):
        params = self.params
        self.scope = validate_scope(params["scope"])
        self.guid = role_guid(params["role"])
        self.principal_id = validate_principal_id(params.get("principal_id"))
        if params.get("name") is not None and not GUID_RE.match(params["name"]):
            raise AzureInputError(f"name: {params['name']!r} is not a GUID; Azure names role assignments with GUIDs")
        if params.get("principal_type") and not params.get("principal_id"):
            raise AzureInputError("principal_type is given without principal_id; the identity running the task has its type "
                                  "read from its access token")
        self.api = RoleAssignmentApi()

    def resource_id(self) -> AssignmentRef:
        principal_type = self.params.get("principal_type")
        if self.principal_id is None:
            me = caller(self.module)
            self.principal_id, principal_type = me["object_id"].lower(), me["principal_type"]
        self.principal_type = principal_type
        name = self.params.get("name") or assignment_name(self.scope, self.principal_id, self.guid)
        if not self.params.get("name"):
            self.api.match = (self.scope, self.principal_id, self.guid)
        return AssignmentRef(self.scope, name)

    def view(self, doc):
        return assignment_view(doc)

    def deleted_view(self, existing, related):
        view = assignment_view(existing)
        return {k: view[k] for k in ("scope", "role_definition_id", "principal_id")}

    def plan(self, existing, related):
        props = {"roleDefinitionId": definition_id(self.module.subscription_id, self.guid), "principalId": self.principal_id}
        if self.principal_type:
            props["principalType"] = self.principal_type
        if self.params.get("description"):
            props["description"] = self.params["description"]
        return plan_assignment(existing, self.scope, self.principal_id, self.guid, {"properties": props})

    def predict(self, existing, plan):
        if plan.action == "create":
            rid = self.resource_id()
            return {"id": str(rid), "name": rid.name, "properties": dict(plan.body["properties"], scope=self.scope)}
        return existing
