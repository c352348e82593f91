"""Microsoft.ManagedIdentity: user-assigned managed identities.

Sources (docs/emulator.md lists each rule with its status/code):
- REST spec Microsoft.ManagedIdentity stable 2026-05-31, ManagedIdentity.json (vendored as an excerpt under
  specs/Microsoft.ManagedIdentity/2026-05-31/): UserAssignedIdentities_CreateOrUpdate (PUT 200/201) and _Update (PATCH
  200, body IdentityUpdate) and _Delete (200/204) are not long-running; tenantId, principalId and clientId are
  read-only (principalId: "The id of the service principal object associated with the created identity"; clientId "a
  random generated UUID by MSI"); isolationScope None or Regional.
- learn.microsoft.com/azure/azure-resource-manager/management/resource-name-rules (Microsoft.ManagedIdentity): 3-128
  characters, alphanumerics, hyphens and underscores, starting with a letter or digit (status and code of the refusal
  unverified).

The identity's principalId is the object id of a service principal: role assignments name it with principalType
ServicePrincipal (providers/authorization.py accepts any principal GUID, so assignments to it work as for any other).
"""
from __future__ import annotations

import re
import uuid

from ..errors import ArmError
from ..identity import DEFAULT_TENANT
from .base import Context, Ref, TopLevelType, require_dict

NS = "Microsoft.ManagedIdentity"
ISOLATION_SCOPES = ("None", "Regional")


class UserAssignedIdentities(TopLevelType):
    namespace, types = NS, ("userAssignedIdentities",)
    lro_put = False
    lro_delete = False
    name_pattern = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]{2,127}$")
    name_rule = "The name must be 3-128 letters, digits, hyphens and underscores, starting with a letter or digit."

    def build_properties(self, ctx: Context, ref: Ref, body: dict, existing: dict | None, location: str) -> dict:
        props = dict(require_dict(body.get("properties"), "properties"))
        scope = props.get("isolationScope")
        if scope is not None and scope not in ISOLATION_SCOPES:
            # The spec's enum is extensible (modelAsString); the service documents only these two (code unverified).
            raise ArmError(400, "BadRequest", f"properties.isolationScope '{scope}' is not one of {', '.join(ISOLATION_SCOPES)}.")
        old = (existing or {}).get("properties") or {}
        out = dict(old, **props)
        out.update(tenantId=old.get("tenantId") or ctx.headers.get("x-emulator-tenant") or DEFAULT_TENANT,
                   principalId=old.get("principalId") or str(uuid.uuid4()), clientId=old.get("clientId") or str(uuid.uuid4()))
        out.pop("provisioningState", None)   # the identity reports none
        return out

    def patch(self, ctx: Context, ref: Ref, body: dict) -> dict:   # UserAssignedIdentities_Update: tags and properties
        doc = self.get(ctx, ref)
        if "properties" in body:
            doc["properties"] = self.build_properties(ctx, ref, body, doc, doc["location"])
        return super().patch(ctx, ref, body)


TYPES = [UserAssignedIdentities()]
