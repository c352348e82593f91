"""The Entra ID (AAD) side: OpenID metadata, the OAuth2 token endpoint, ARM cloud metadata.

This is what MSAL (under azure-identity) asks for when its authority is the emulator and
instance discovery is off: GET <authority>/<tenant>/v2.0/.well-known/openid-configuration, then
POST the token endpoint named there. Tokens are HS256 JWTs signed with a per-state-dir key, so
only tokens this emulator issued are accepted.
"""
from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
import time
import uuid
from pathlib import Path
from urllib.parse import parse_qs

from .errors import ArmError

DEFAULT_TENANT = "00000000-0000-0000-0000-00000000e41a"
DEFAULT_SUBSCRIPTION = "00000000-0000-0000-0000-00000000e415"
DEFAULT_CLIENT_ID = "00000000-0000-0000-0000-00000000c11e"
DEFAULT_CLIENT_SECRET = "emulator-secret"  # nosec - a test-only value, accepted by default


def object_id(client_id: str) -> str:
    """The object id (the token's `oid`) of the service principal behind a client id: stable per client id."""
    return str(uuid.uuid5(uuid.NAMESPACE_URL, client_id))


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


class TokenIssuer:
    """Issues and checks the emulator's bearer tokens."""

    def __init__(self, state_dir: Path) -> None:
        key_path = state_dir / "token-key"
        if not key_path.exists():
            key_path.write_bytes(secrets.token_bytes(32))
            key_path.chmod(0o600)
        self._key = key_path.read_bytes()

    def issue(self, claims: dict, lifetime: int) -> str:
        now = int(time.time())
        body = dict(claims, iat=now, nbf=now - 5, exp=now + lifetime, uti=uuid.uuid4().hex)
        head = _b64(json.dumps({"alg": "HS256", "typ": "JWT"}).encode())
        payload = _b64(json.dumps(body, sort_keys=True).encode())
        sig = hmac.new(self._key, f"{head}.{payload}".encode(), hashlib.sha256).digest()
        return f"{head}.{payload}.{_b64(sig)}"

    def verify(self, token: str) -> dict | None:
        """The claims of a valid unexpired token issued here, else None."""
        try:
            head, payload, sig = token.split(".")
            expected = hmac.new(self._key, f"{head}.{payload}".encode(), hashlib.sha256).digest()
            if not hmac.compare_digest(expected, _unb64(sig)):
                return None
            claims = json.loads(_unb64(payload))
        except (ValueError, TypeError):
            return None
        return claims if claims.get("exp", 0) > time.time() else None


def openid_configuration(base_url: str, tenant: str, version: str) -> dict:
    """The document MSAL reads; only token_endpoint and authorization_endpoint are required."""
    suffix = "/v2.0" if version == "v2.0" else ""
    oauth = f"{base_url}/{tenant}/oauth2{suffix}"
    return {
        "token_endpoint": f"{oauth}/token",
        "authorization_endpoint": f"{oauth}/authorize",
        "device_authorization_endpoint": f"{oauth}/devicecode",
        "issuer": f"{base_url}/{tenant}{suffix}",
        "jwks_uri": f"{base_url}/{tenant}/discovery{suffix}/keys",
        "token_endpoint_auth_methods_supported": ["client_secret_post", "client_secret_basic"],
        "response_types_supported": ["code", "id_token", "code id_token", "id_token token"],
        "subject_types_supported": ["pairwise"],
        "id_token_signing_alg_values_supported": ["RS256"],
        "scopes_supported": ["openid", "profile", "email", "offline_access"],
        "tenant_region_scope": None,
        "cloud_instance_name": "emulator.local",
    }


def _aad_error(status: int, error: str, code: int, description: str) -> ArmError:
    """An AADSTS-shaped error (the OAuth2 error body, not ARM's {"error": {...}})."""
    exc = ArmError(status, error, description)
    exc.oauth_body = {  # type: ignore[attr-defined]
        "error": error, "error_description": f"AADSTS{code}: {description}",
        "error_codes": [code], "timestamp": time.strftime("%Y-%m-%d %H:%M:%SZ", time.gmtime()),
        "trace_id": str(uuid.uuid4()), "correlation_id": str(uuid.uuid4()),
    }
    return exc


def token_response(issuer: TokenIssuer, allowed: list[dict], lifetime: int, tenant: str,
                   raw_body: bytes) -> dict:
    """Answer a client_credentials token request; the secret itself is never logged or echoed."""
    form = {k: v[0] for k, v in parse_qs(raw_body.decode("utf-8", "replace")).items()}
    grant = form.get("grant_type", "")
    if grant != "client_credentials":
        raise _aad_error(400, "unsupported_grant_type", 70003,
                         f"The app requested an unsupported grant type '{grant}'. "
                         "The ARM emulator supports client_credentials only.")
    client_id = form.get("client_id", "")
    secret = form.get("client_secret", "")
    if not client_id:
        raise _aad_error(400, "invalid_request", 900144, "The request body must contain the following parameter: 'client_id'.")
    if allowed:
        known = [c for c in allowed if c["client_id"] == client_id
                 and c.get("tenant_id") in (None, "", tenant)]
        if not known:
            raise _aad_error(400, "unauthorized_client", 700016,
                             f"Application with identifier '{client_id}' was not found in the directory '{tenant}'. "
                             "This can happen if the application has not been installed by the administrator of the "
                             "tenant or consented to by any user in the tenant.")
        if not any(hmac.compare_digest(str(c["client_secret"]), secret) for c in known):
            raise _aad_error(401, "invalid_client", 7000215,
                             "Invalid client secret provided. Ensure the secret being sent in the request is the "
                             f"client secret value, not the client secret ID, for a secret added to app '{client_id}'.")
    elif not secret:
        raise _aad_error(401, "invalid_client", 7000216,
                         "'client_assertion', 'client_secret' or 'request' is required for the 'client_credentials' grant type.")
    scope = form.get("scope") or form.get("resource", "")
    audience = scope.split()[0].removesuffix("/.default") if scope else ""
    token = issuer.issue({"aud": audience, "tid": tenant, "appid": client_id, "sub": client_id,
                          "oid": object_id(client_id), "idtyp": "app"}, lifetime)
    return {"token_type": "Bearer", "expires_in": lifetime, "ext_expires_in": lifetime, "access_token": token}


def cloud_metadata(base_url: str, api_version: str) -> object:
    """ARM cloud metadata, as GET <arm>/metadata/endpoints answers it.

    api-version 2019-05-01 and later (and none) give the current list-of-clouds shape; older
    versions (1.0, 2015-01-01: Azure Stack, msrestazure) give the single legacy object. Both
    carry resourceManager, authentication.loginEndpoint and audiences.
    """
    # The Blob service answers on the emulator's own port: clients build https://<account>.blob.<storage suffix>, so the
    # suffix carries the port (blob_dataplane.py).
    port = base_url.rsplit(":", 1)[1] if base_url.count(":") > 1 else ""
    storage = "storage.localhost" + (f":{port}" if port and port != "443" else "")
    cloud = {
        "name": "ArmEmulator",
        "resourceManager": f"{base_url}/",
        "authentication": {"loginEndpoint": f"{base_url}/", "audiences": [f"{base_url}/", "https://management.azure.com/"],
                           "tenant": "common", "identityProvider": "AAD"},
        "portal": f"{base_url}/", "gallery": f"{base_url}/", "graph": f"{base_url}/", "graphAudience": f"{base_url}/",
        "microsoftGraphResourceId": f"{base_url}/", "activeDirectoryDataLake": f"{base_url}/",
        "batch": f"{base_url}/", "media": f"{base_url}/", "sqlManagement": f"{base_url}/",
        "vmImageAliasDoc": "",
        "suffixes": {"keyVaultDns": "vault.localhost", "storage": storage,
                     "sqlServerHostname": "database.localhost", "postgresqlServerEndpoint": "postgres.localhost",
                     "acrLoginServer": "azurecr.localhost"},
    }
    if not api_version or (api_version[:4].isdigit() and api_version >= "2019-05-01"):
        return [cloud]
    legacy = {"galleryEndpoint": f"{base_url}/", "graphEndpoint": f"{base_url}/", "portalEndpoint": f"{base_url}/",
              "authentication": {"loginEndpoint": f"{base_url}/", "audiences": [f"{base_url}/"]}}
    legacy.update({k: v for k, v in cloud.items() if k not in ("authentication",)})
    return legacy
