"""Microsoft.Authorization: role assignments at any scope (subscription, resource group, resource), checked by the
emulator's own authorization: who may write role assignments, and which data actions a caller holds on a Key Vault.

Sources (docs/emulator.md lists each rule):
- REST spec Microsoft.Authorization stable 2022-04-01, authorization-RoleAssignmentsCalls.json: PUT/GET/DELETE
  {scope}/providers/Microsoft.Authorization/roleAssignments/{name} (name: "any valid GUID"; PUT 201/200, DELETE
  200/204), the list at a scope ("atScope() to return all role assignments at or above the scope",
  "principalId eq {id} to return all role assignments at, above or below the scope for the specified principal"),
  principalType default "User". The quotes around the id are required and assignedTo('{id}') is a third filter:
  the error Azure answers otherwise, quoted in Azure/azure-rest-api-specs#28255 ("The filter '...' is not supported.
  Supported filters are either 'atScope()' or 'principalId eq '{value}'' or assignedTo('{value}')'."); assignedTo and
  "atScope() and assignedTo(...)": learn.microsoft.com azure/role-based-access-control/role-assignments-list-rest.
- authorization-RoleDefinitionsCalls.json (same version): GET {scope}/providers/Microsoft.Authorization/roleDefinitions/
  {roleDefinitionId} (RoleDefinitions_Get; also RoleDefinitions_GetById for /subscriptions/{id}/providers/...), the
  RoleDefinition shape: properties.roleName, type, permissions[{actions, notActions, dataActions, notDataActions}],
  assignableScopes.
- learn.microsoft.com azure/role-based-access-control/troubleshooting: 403 AuthorizationFailed without
  Microsoft.Authorization/roleAssignments/write; 400 RoleAssignmentUpdateNotPermitted when a name is reused for
  another principal, role or scope (names are unique everywhere); changes take up to 10 minutes to take effect.
- Role definitions: learn.microsoft.com azure/role-based-access-control/built-in-roles (general, privileged,
  security): the ids, actions and data actions below, copied as data.
- 409 RoleAssignmentExists for the same principal, role and scope under another name: terraform-provider-azurerm
  pull 28694 and the Azure error text quoted in its issues (status and code as Azure answers them).
"""
from __future__ import annotations

import re
import time
import uuid
from typing import Any

from .. import openapi
from ..errors import ArmError, resource_group_not_found
from .base import Context, ResourceType, public

NS = "Microsoft.Authorization"
TYPE = f"{NS}/roleAssignments"
GUID = re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")
PRINCIPAL_TYPES = ("User", "Group", "ServicePrincipal", "ForeignGroup")
NAMESPACE = uuid.UUID("2c5b3b6e-6c8f-4b1e-9d55-6b0f1c0e7a11")   # for the names of configured assignments
ASSIGNMENT_WRITE = f"{NS}/roleAssignments/write"
ASSIGNMENT_DELETE = f"{NS}/roleAssignments/delete"

# roleName, actions, notActions, dataActions, notDataActions (built-in-roles: general, privileged, security).
BUILT_IN_ROLES: dict[str, dict[str, Any]] = {
    "8e3af657-a8ff-443c-a75c-2fe8c4bcb635": {"roleName": "Owner", "actions": ["*"]},
    "b24988ac-6180-42a0-ab88-20f7382dd24c": {
        "roleName": "Contributor", "actions": ["*"],
        "notActions": ["Microsoft.Authorization/*/Delete", "Microsoft.Authorization/*/Write",
                       "Microsoft.Authorization/elevateAccess/Action", "Microsoft.Blueprint/blueprintAssignments/write",
                       "Microsoft.Blueprint/blueprintAssignments/delete", "Microsoft.Compute/galleries/share/action",
                       "Microsoft.Purview/consents/write", "Microsoft.Purview/consents/delete",
                       "Microsoft.Resources/deploymentStacks/manageDenySetting/action",
                       "Microsoft.Subscription/cancel/action", "Microsoft.Subscription/enable/action"]},
    "acdd72a7-3385-48ef-bd42-f606fba81ae7": {"roleName": "Reader", "actions": ["*/read"]},
    "18d7d88d-d35e-4fb5-a5c3-7773c20a72d9": {"roleName": "User Access Administrator",
                                             "actions": ["*/read", "Microsoft.Authorization/*", "Microsoft.Support/*"]},
    "f58310d9-a9f6-439a-9e8d-f62e7b41a168": {"roleName": "Role Based Access Control Administrator",
                                             "actions": ["Microsoft.Authorization/roleAssignments/write",
                                                         "Microsoft.Authorization/roleAssignments/delete", "*/read",
                                                         "Microsoft.Support/*"]},
    "00482a5a-887f-4fb3-b363-3b7fe8e74483": {"roleName": "Key Vault Administrator",
                                             "actions": ["Microsoft.KeyVault/vaults/*/read"],
                                             "dataActions": ["Microsoft.KeyVault/vaults/*"]},
    "b86a8fe4-44ce-4948-aee5-eccb2c155cd7": {"roleName": "Key Vault Secrets Officer",
                                             "actions": ["Microsoft.KeyVault/vaults/*/read"],
                                             "dataActions": ["Microsoft.KeyVault/vaults/secrets/*"]},
    "4633458b-17de-408a-b874-0445c86b69e6": {"roleName": "Key Vault Secrets User",
                                             "dataActions": ["Microsoft.KeyVault/vaults/secrets/getSecret/action",
                                                             "Microsoft.KeyVault/vaults/secrets/readMetadata/action"]},
    # built-in-roles/security: the key roles of a customer-managed key (Tier-3 servers, keyvault_keys.py).
    "14b46e9e-c2b7-41b4-b07b-48a6ebf60603": {"roleName": "Key Vault Crypto Officer",
                                             "actions": ["Microsoft.KeyVault/vaults/*/read"],
                                             "dataActions": ["Microsoft.KeyVault/vaults/keys/*",
                                                             "Microsoft.KeyVault/vaults/keyrotationpolicies/*"]},
    "e147488a-f6f5-4113-8e2d-b22465e65bf6": {"roleName": "Key Vault Crypto Service Encryption User",
                                             "actions": ["Microsoft.EventGrid/eventSubscriptions/write",
                                                         "Microsoft.EventGrid/eventSubscriptions/read",
                                                         "Microsoft.EventGrid/eventSubscriptions/delete"],
                                             "dataActions": ["Microsoft.KeyVault/vaults/keys/read",
                                                             "Microsoft.KeyVault/vaults/keys/wrap/action",
                                                             "Microsoft.KeyVault/vaults/keys/unwrap/action"]},
    "21090545-7ca7-4776-b22c-e363652d74d2": {"roleName": "Key Vault Reader",
                                             "actions": ["Microsoft.KeyVault/vaults/*/read"],
                                             "dataActions": ["Microsoft.KeyVault/vaults/*/read",
                                                             "Microsoft.KeyVault/vaults/secrets/readMetadata/action"]},
    # built-in-roles/storage: the Blob service's data roles (blob_dataplane.py; the audit trail's upload).
    "ba92f5b4-2d11-453d-a403-e96b0029c9fe": {"roleName": "Storage Blob Data Contributor",
                                             "actions": ["Microsoft.Storage/storageAccounts/blobServices/containers/delete",
                                                         "Microsoft.Storage/storageAccounts/blobServices/containers/read",
                                                         "Microsoft.Storage/storageAccounts/blobServices/containers/write",
                                                         "Microsoft.Storage/storageAccounts/blobServices/generateUserDelegationKey/action"],
                                             "dataActions": ["Microsoft.Storage/storageAccounts/blobServices/containers/blobs/delete",
                                                             "Microsoft.Storage/storageAccounts/blobServices/containers/blobs/read",
                                                             "Microsoft.Storage/storageAccounts/blobServices/containers/blobs/write",
                                                             "Microsoft.Storage/storageAccounts/blobServices/containers/blobs/move/action",
                                                             "Microsoft.Storage/storageAccounts/blobServices/containers/blobs/add/action"]},
    "b7e6dc6d-f1e8-4753-8033-0f276bb0955b": {"roleName": "Storage Blob Data Owner",
                                             "actions": ["Microsoft.Storage/storageAccounts/blobServices/containers/*",
                                                         "Microsoft.Storage/storageAccounts/blobServices/generateUserDelegationKey/action"],
                                             "dataActions": ["Microsoft.Storage/storageAccounts/blobServices/containers/blobs/*"]},
    "2a2b9908-6ea1-4ae2-8e65-a410df84e7d1": {"roleName": "Storage Blob Data Reader",
                                             "actions": ["Microsoft.Storage/storageAccounts/blobServices/containers/read",
                                                         "Microsoft.Storage/storageAccounts/blobServices/generateUserDelegationKey/action"],
                                             "dataActions": ["Microsoft.Storage/storageAccounts/blobServices/containers/blobs/read"]},
    # built-in-roles (containers; analytics): the apps' identity's roles (roles/identity).
    "7f951dda-4ed3-4680-a7ca-43fe172d538d": {"roleName": "AcrPull", "actions": ["Microsoft.ContainerRegistry/registries/pull/read"]},
    "2b629674-e913-4c01-ae53-ef4638d8f975": {"roleName": "Azure Event Hubs Data Sender",
                                             "actions": ["Microsoft.EventHub/*/eventhubs/read"],
                                             "dataActions": ["Microsoft.EventHub/*/send/action"]},
    "a638d3c7-ab3a-418d-83e6-5f17a39d4fde": {"roleName": "Azure Event Hubs Data Receiver",
                                             "actions": ["Microsoft.EventHub/*/eventhubs/consumergroups/read"],
                                             "dataActions": ["Microsoft.EventHub/*/receive/action"]},
}


def role_guid(value: str) -> str | None:
    """The built-in role a name, a GUID or a roleDefinitionId names (None when unknown)."""
    text = str(value or "").strip()
    last = text.rstrip("/").rsplit("/", 1)[-1].lower()
    if last in BUILT_IN_ROLES:
        return last
    return next((guid for guid, role in BUILT_IN_ROLES.items() if role["roleName"].lower() == text.lower()), None)


def _matches(pattern: str, action: str) -> bool:
    """Azure's action wildcards: '*' matches any characters, case-insensitively."""
    regex = "^" + ".*".join(re.escape(part) for part in pattern.lower().split("*")) + "$"
    return re.match(regex, action.lower()) is not None


def permits(guid: str, action: str, data: bool) -> bool:
    role = BUILT_IN_ROLES.get(guid) or {}
    allow, deny = ("dataActions", "notDataActions") if data else ("actions", "notActions")
    return any(_matches(p, action) for p in role.get(allow, [])) and not any(_matches(p, action) for p in role.get(deny, []))


def _applies(scope: str, resource_id: str) -> bool:
    """An assignment at `scope` applies to `resource_id` when it is the same or a parent scope."""
    scope, target = scope.lower().rstrip("/"), resource_id.lower().rstrip("/")
    return target == scope or target.startswith(scope + "/")


def all_assignments(state) -> list[dict]:
    return [d for d in state.resources.values() if d.get("type", "").lower() == TYPE.lower()]


def allowed(state, principal_id: str, resource_id: str, action: str, data: bool) -> bool:
    """Whether `principal_id` holds `action` on `resource_id` through an assignment that is in effect."""
    now = time.time()
    for doc in all_assignments(state):
        props = doc["properties"]
        if (props["principalId"].lower() == (principal_id or "").lower() and _applies(props["scope"], resource_id)
                and doc.get("_effectiveAt", 0) <= now and permits(role_guid(props["roleDefinitionId"]) or "", action, data)):
            return True
    return False


_FILTER_TERM = re.compile(r"^(?:(atscope\(\))|assignedto\('([0-9a-f-]{36})'\)|principalid\s+eq\s+'([0-9a-f-]{36})')$", re.IGNORECASE)


def parse_filter(text: str) -> tuple[bool, str | None]:
    """(at scope only, principal) of a role assignment list's $filter: atScope(), principalId eq '{id}',
    assignedTo('{id}'), or terms joined by ' and '. Anything else is refused as Azure refuses it (the message quoted in
    Azure/azure-rest-api-specs#28255; status and code unverified). assignedTo would also match the groups the principal
    is a member of (transitively); the emulator has no groups, so it matches the principal's own assignments."""
    at_scope, principal = False, None
    text = (text or "").strip()
    if not text:
        return at_scope, principal
    for term in re.split(r"\s+and\s+", text, flags=re.IGNORECASE):
        match = _FILTER_TERM.match(term.strip())
        if match is None:
            raise ArmError(400, "BadRequest", f"The filter '{text}' is not supported. Supported filters are either 'atScope()' "
                                              "or 'principalId eq '{value}'' or assignedTo('{value}')'.")
        at_scope = at_scope or bool(match.group(1))
        principal = match.group(2) or match.group(3) or principal
    return at_scope, principal


def definition_doc(scope: str, guid: str) -> dict:
    """A built-in role definition as RoleDefinitions_Get answers it (authorization-RoleDefinitionsCalls.json 2022-04-01)."""
    role = BUILT_IN_ROLES[guid]
    permission = {key: list(role.get(key, [])) for key in ("actions", "notActions", "dataActions", "notDataActions")}
    return {"id": f"{scope}/providers/{NS}/roleDefinitions/{guid}", "name": guid, "type": f"{NS}/roleDefinitions",
            "properties": {"roleName": role["roleName"], "type": "BuiltInRole", "permissions": [permission],
                           "assignableScopes": ["/"]}}


def assignment_name(scope: str, principal_id: str, guid: str) -> str:
    return str(uuid.uuid5(NAMESPACE, "|".join((scope.lower(), principal_id.lower(), guid.lower()))))


def seed(state, items: list[dict]) -> list[dict]:
    """Create the configured assignments (what a subscription's owner starts with) that do not exist yet; all of them."""
    from ..identity import object_id  # pylint: disable=import-outside-toplevel

    docs = []
    for item in items:
        guid = role_guid(item["role"])
        if guid is None:
            raise ValueError(f"role {item['role']!r} is not a built-in role the emulator knows: "
                             f"{', '.join(r['roleName'] for r in BUILT_IN_ROLES.values())}")
        principal = item.get("principal_id") or object_id(item["client_id"])
        scope = item["scope"]
        found = next((d for d in all_assignments(state) if _same(d, scope, principal, guid)), None)
        docs.append(found or _store(state, scope, assignment_name(scope, principal, guid), guid, principal,
                                    item.get("principal_type") or "ServicePrincipal", "emulator configuration", None, 0.0))
    state.save()
    return docs


def _same(doc: dict, scope: str, principal: str, guid: str) -> bool:
    props = doc["properties"]
    return (props["scope"].lower() == scope.lower() and props["principalId"].lower() == principal.lower()
            and role_guid(props["roleDefinitionId"]) == guid)


def _store(state, scope: str, name: str, guid: str, principal: str, principal_type: str, created_by: str,
           extra: dict | None, delay: float) -> dict:
    now = time.strftime("%Y-%m-%dT%H:%M:%S.000000Z", time.gmtime())
    subscription = scope.split("/")[2]
    doc = {"id": f"{scope}/providers/{TYPE}/{name}", "name": name, "type": TYPE,
           "properties": {"roleDefinitionId": f"/subscriptions/{subscription}/providers/{NS}/roleDefinitions/{guid}",
                          "principalId": principal, "principalType": principal_type, "scope": scope,
                          "createdOn": now, "updatedOn": now, "createdBy": created_by, "updatedBy": created_by,
                          **(extra or {})},
           "_effectiveAt": time.time() + delay}
    state.put(doc)
    return doc


def _authorization_failed(principal: str, action: str, scope: str) -> ArmError:
    return ArmError(403, "AuthorizationFailed",
                    f"The client '{principal}' with object id '{principal}' does not have authorization to perform "
                    f"action '{action}' over scope '{scope}' or the scope is invalid. If access was recently granted, "
                    "please refresh your credentials.")


class RoleAssignments(ResourceType):
    """Role assignments are extension resources: arm.dispatch hands every .../providers/Microsoft.Authorization/
    roleAssignments path to handle() with the scope in front of it."""

    namespace = NS
    types = ("roleAssignments",)

    def handle(self, ctx: Context, method: str, scope: str, names: list[str], body: Any, info: dict):
        from ..arm import Response  # pylint: disable=import-outside-toplevel  # arm imports the providers

        scope = self._check_scope(ctx, scope)
        info.update(resource_type=TYPE, name=names[0] if names else "")
        verb = {"GET": "read", "PUT": "write", "DELETE": "delete"}.get(method, "action")
        info["operation"] = f"{TYPE}/{verb}"
        if not names:
            if method != "GET":
                raise ArmError(405, "MethodNotAllowed", f"The method '{method}' is not allowed on a collection.")
            return Response(200, {"value": [public(d) for d in self._list(ctx, scope)]})
        if len(names) != 1:
            raise ArmError(400, "InvalidResourceType", f"The resource type '{TYPE}' has no child types.")
        name = names[0]
        if method == "GET":
            return Response(200, public(self._get(ctx, scope, name)))
        if method == "PUT":
            # The body against the spec of the request's api-version, as arm._route does for other types (docs/emulator.md).
            openapi.check_body(method, f"{scope}/providers/{TYPE}/{name}", ctx.api_version, body)
            doc, created = self._put(ctx, scope, name, body if isinstance(body, dict) else {})
            return Response(201 if created else 200, public(doc))
        if method == "DELETE":
            self._authorize(ctx, ASSIGNMENT_DELETE, scope)
            doc = ctx.state.get(f"{scope}/providers/{TYPE}/{name}")
            if doc is None:
                return Response(204)
            ctx.state.delete(doc["id"])
            return Response(200, public(doc))
        raise ArmError(405, "MethodNotAllowed", f"The method '{method}' is not allowed on '{TYPE}'.")

    @staticmethod
    def _check_scope(ctx: Context, scope: str) -> str:
        parts = scope.strip("/").split("/")
        if len(parts) >= 4 and parts[2].lower() == "resourcegroups":
            group = ctx.state.get("/".join(["", *parts[:4]]))
            if group is None:
                raise resource_group_not_found(parts[3])
            if len(parts) > 4:
                doc = ctx.state.find(scope)
                if doc is None:
                    raise ArmError(404, "ResourceNotFound", f"The Resource '{'/'.join(parts[5:])}' under resource group "
                                                            f"'{parts[3]}' was not found.")
                return doc["id"]
            return group["id"]
        return scope.rstrip("/")

    @staticmethod
    def _get(ctx: Context, scope: str, name: str) -> dict:
        doc = ctx.state.get(f"{scope}/providers/{TYPE}/{name}")
        if doc is None:
            raise ArmError(404, "RoleAssignmentNotFound", f"The role assignment '{name}' is not found.")
        return doc

    @staticmethod
    def _list(ctx: Context, scope: str) -> list[dict]:
        at_scope, principal = parse_filter(ctx.query.get("$filter", ""))
        found = []
        for doc in all_assignments(ctx.state):
            props = doc["properties"]
            above = _applies(props["scope"], scope)
            below = _applies(scope, props["scope"])
            if at_scope and not above:
                continue
            if not (above or below):
                continue
            if principal and props["principalId"].lower() != principal.lower():
                continue
            found.append(doc)
        return sorted(found, key=lambda d: d["id"].lower())

    def _authorize(self, ctx: Context, action: str, scope: str) -> None:
        if ctx.config.access_snapshot()["mode"] != "strict":
            return
        principal = ctx.headers.get("x-emulator-oid", "")
        if not allowed(ctx.state, principal, scope, action, data=False):
            raise _authorization_failed(principal, action, f"{scope}/providers/{TYPE}")

    def _put(self, ctx: Context, scope: str, name: str, body: dict) -> tuple[dict, bool]:
        if not GUID.match(name):
            raise ArmError(400, "InvalidRoleAssignmentId",
                           f"The role assignment ID '{name}' is not valid. The role assignment ID must be a GUID.")
        props = body.get("properties")
        if not isinstance(props, dict):
            raise ArmError(400, "InvalidRequestContent", "The request content must have 'properties'.")
        principal = str(props.get("principalId") or "")
        if not GUID.match(principal):
            raise ArmError(400, "InvalidPrincipalId", f"A valid principal ID must be provided, got '{principal}'.")
        guid = role_guid(str(props.get("roleDefinitionId") or ""))
        if guid is None or not str(props.get("roleDefinitionId", "")).lower().rstrip("/").rsplit("/", 1)[-1] == guid:
            raise ArmError(400, "RoleDefinitionDoesNotExist",
                           f"The specified role definition with ID '{props.get('roleDefinitionId')}' does not exist.")
        principal_type = props.get("principalType") or "User"
        if principal_type not in PRINCIPAL_TYPES:
            raise ArmError(400, "InvalidPrincipalType",
                           f"principalType '{principal_type}' is not one of {', '.join(PRINCIPAL_TYPES)}.")
        self._authorize(ctx, ASSIGNMENT_WRITE, scope)
        same_name = next((d for d in all_assignments(ctx.state) if d["name"].lower() == name.lower()), None)
        if same_name is not None:
            if not _same(same_name, scope, principal, guid):
                raise ArmError(400, "RoleAssignmentUpdateNotPermitted",
                               "Tenant ID, application ID, principal ID, and scope are not allowed to be updated.")
            return same_name, False
        if any(_same(d, scope, principal, guid) for d in all_assignments(ctx.state)):
            raise ArmError(409, "RoleAssignmentExists", "The role assignment already exists.")
        extra = {k: props[k] for k in ("description", "condition", "conditionVersion") if props.get(k) is not None}
        delay = ctx.config.access_snapshot()["rbac_delay"]
        return _store(ctx.state, scope, name, guid, principal, principal_type,
                      ctx.headers.get("x-emulator-oid", ""), extra, delay), True


class RoleDefinitions(ResourceType):
    """GET {scope}/providers/Microsoft.Authorization/roleDefinitions/{id}: the built-in roles above (no custom roles)."""

    namespace = NS
    types = ("roleDefinitions",)

    def handle(self, ctx: Context, method: str, scope: str, names: list[str], body: Any, info: dict):
        from ..arm import Response  # pylint: disable=import-outside-toplevel  # arm imports the providers

        info.update(resource_type=f"{NS}/roleDefinitions", name=names[0] if names else "",
                    operation=f"{NS}/roleDefinitions/read")
        if method != "GET" or len(names) != 1:
            raise ArmError(405, "MethodNotAllowed", f"The method '{method}' is not allowed here (the emulator serves "
                                                    "GET of one built-in role definition).")
        guid = names[0].lower()
        if guid not in BUILT_IN_ROLES:
            # Code as for an unknown role in an assignment PUT; status and code unverified for a GET.
            raise ArmError(404, "RoleDefinitionDoesNotExist", f"The specified role definition with ID '{names[0]}' does not exist.")
        return Response(200, definition_doc(scope.rstrip("/"), guid))


TYPES = [RoleAssignments(), RoleDefinitions()]
