# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Who runs the modules: the identity behind the Azure credentials, read from an access token. PRIVATE to the collection.

As terraform-provider-azurerm does (internal/clients/auth.go, NewResourceManagerAccount: it acquires an access
token and parses its claims; the object id is the `oid` claim, the tenant `tid`, the client `appid`, and a token
whose `scp` contains "openid" belongs to a user, any other to a service principal), the claims are read from the
payload of an access token for Azure Resource Manager. The optional `idtyp` claim ("app" or "user"), when present,
decides the type. The signature is not checked: the token came from the credential over TLS, and its claims only
name the caller (Azure checks the token itself on every call).
"""

from __future__ import annotations

import base64
import json

from ansible_collections.complianceflow.infra.plugins.module_utils._azure.values import AzureInputError


def claims_from_token(token: str) -> dict:
    """The claims (payload) of a JWT access token."""
    parts = (token or "").split(".")
    if len(parts) != 3:
        raise AzureInputError("the Azure access token is not a JWT (header.payload.signature); give principal_id instead")
    payload = parts[1] + "=" * (-len(parts[1]) % 4)
    try:
        claims = json.loads(base64.urlsafe_b64decode(payload.encode("ascii")))
    except (ValueError, UnicodeError) as err:
        raise AzureInputError(f"the Azure access token's claims could not be read ({err}); give principal_id instead") from None
    if not isinstance(claims, dict):
        raise AzureInputError("the Azure access token's claims are not an object; give principal_id instead")
    return claims


def principal_from_claims(claims: dict) -> dict:
    """object_id, tenant_id, client_id and principal_type (ServicePrincipal or User) of the token's caller."""
    object_id = claims.get("oid")
    if not object_id:
        raise AzureInputError("the Azure access token has no 'oid' claim (the caller's object id); give principal_id instead")
    kind = str(claims.get("idtyp") or "").lower()
    if kind not in ("app", "user"):
        kind = "user" if "openid" in str(claims.get("scp") or "").lower() else "app"
    return {"object_id": object_id, "tenant_id": claims.get("tid"), "client_id": claims.get("appid") or claims.get("azp"),
            "principal_type": "User" if kind == "user" else "ServicePrincipal"}


def caller(module) -> dict:
    """The identity the module's credentials sign in as (one token request, usually answered from the cache)."""
    credential, scopes = module.credential, module.cloud.credential_scopes
    with module.operation("get an access token to find the identity running this task"):
        token = credential.get_token(*scopes).token
    with module.validating():
        return principal_from_claims(claims_from_token(token))
