# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""User-assigned managed identities (Microsoft.ManagedIdentity/userAssignedIdentities) for the resource engine.
PRIVATE to the collection.

Sources (docs/emulator.md lists them with the emulator's behaviour):
- REST spec Microsoft.ManagedIdentity stable 2026-05-31, ManagedIdentity.json (Azure/azure-rest-api-specs at
  8ae35750d0bccd2081e2e2666703ef023a2d9d77; the readme's default tag package-2026-05-31, the newest stable one):
  UserAssignedIdentities_CreateOrUpdate (PUT 200/201), _Update (PATCH, body IdentityUpdate: tags and properties) and
  _Delete (200/204) are not long-running; tenantId, principalId ("the service principal object associated with the
  created identity") and clientId are read-only; isolationScope None or Regional.
- learn.microsoft.com/azure/azure-resource-manager/management/resource-name-rules (Microsoft.ManagedIdentity
  userAssignedIdentities): 3-128 characters, alphanumerics, hyphens and underscores, starting with a letter or digit.
- learn.microsoft.com/azure/role-based-access-control/role-assignments-template: a managed identity's role assignments
  name principalType ServicePrincipal (the principal may not have replicated yet).
"""

from __future__ import annotations

import re

from ansible_collections.complianceflow.infra.plugins.module_utils._azure.arm import GenericApi
from ansible_collections.complianceflow.infra.plugins.module_utils._azure.runner import Plan, Resource
from ansible_collections.complianceflow.infra.plugins.module_utils._azure.values import (
    AzureInputError, merge_tags, same_location, validate_name, validate_tags)

IDENTITY_TYPE = "Microsoft.ManagedIdentity/userAssignedIdentities"
API = GenericApi("2026-05-31")   # no SDK: ARM's generic operations (docs/resource-engine.md)
NAME_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]{2,127}$")
ISOLATION_SCOPES = ("None", "Regional")


def validate_identity(params: dict) -> None:
    validate_name(params["resource_group"], "resource_group", "resource group")
    if not NAME_RE.match(params.get("name") or ""):
        raise AzureInputError(f"name: {params.get('name')!r} is not a valid managed identity name; Azure allows 3-128 letters, "
                              "digits, hyphens and underscores, starting with a letter or digit")
    if params.get("isolation_scope") is not None and params["isolation_scope"] not in ISOLATION_SCOPES:
        raise AzureInputError(f"isolation_scope: {params['isolation_scope']!r} is not one of {', '.join(ISOLATION_SCOPES)}")


def identity_view(doc: dict | None) -> dict:
    if not doc:
        return {}
    props = doc.get("properties") or {}
    return {"id": doc.get("id"), "name": doc.get("name"), "location": doc.get("location"), "tags": dict(doc.get("tags") or {}),
            "principal_id": props.get("principalId"), "client_id": props.get("clientId"), "tenant_id": props.get("tenantId"),
            "isolation_scope": props.get("isolationScope")}


def plan_identity(existing: dict | None, params: dict) -> Plan:
    """Create (PUT), a PATCH of the tags and isolation scope that differ, or nothing."""
    if existing is None and not params.get("location"):
        raise AzureInputError(f"managed identity {params['name']!r} does not exist: location is needed to create it")
    if existing and params.get("location") and not same_location(existing["location"], params["location"]):
        raise AzureInputError(f"managed identity {params['name']!r} is in {existing['location']}; Azure cannot move it to "
                              f"{params['location']}")
    have = identity_view(existing)
    old_tags = dict((existing or {}).get("tags") or {})
    tags = merge_tags(old_tags, params.get("tags"), params.get("purge_tags", True))
    before, after = {}, {}
    if params.get("tags") is not None:
        before["tags"], after["tags"] = old_tags, tags
    props = {}
    if params.get("isolation_scope") is not None:
        before["isolation_scope"], after["isolation_scope"] = have.get("isolation_scope"), params["isolation_scope"]
        if have.get("isolation_scope") != params["isolation_scope"]:
            props["isolationScope"] = params["isolation_scope"]
    if existing is None:
        return Plan("create", dict({"location": params["location"], "tags": tags}, **({"properties": props} if props else {})), {},
                    after)
    patch = dict({"tags": tags} if tags != old_tags else {}, **({"properties": props} if props else {}))
    return Plan("patch" if patch else "none", patch or None, before, after)


class ManagedIdentity(Resource):
    what = "managed identity"
    result_key = "identity"
    api = API
    provider_type = IDENTITY_TYPE

    def validate(self):
        self.params["tags"] = validate_tags(self.params.get("tags"))
        validate_identity(self.params)

    def view(self, doc):
        return identity_view(doc)

    def plan(self, existing, related):
        return plan_identity(existing, self.params)
