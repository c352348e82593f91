"""The Key Vault secrets (and keys: keyvault_keys.py) data plane, for requests whose Host is <vault>.vault.localhost[:port].

Authentication is Key Vault's challenge protocol: a request without a bearer token gets 401 with
    WWW-Authenticate: Bearer authorization="<emulator>/<tenant>", resource="https://vault.localhost:<port>"
The SDK (azure-keyvault-secrets' ChallengeAuthPolicy) checks that the vault host ends with
".<resource host>": <vault>.vault.localhost:<port> does, so the default verify_challenge_resource
stays on. A token is accepted when this emulator issued it for that resource and the vault's tenant.
Secrets live in the vault document (private keys _secrets/_deletedSecrets): name -> versions.

In the default `strict` access mode (config `access`, docs/emulator.md) an authenticated request is then checked
as Key Vault does, each refusal a 403 `Forbidden` with the inner error code Azure uses:
- the network (`ForbiddenByConnection` when public network access is disabled; `ForbiddenByFirewall` when
  networkAcls deny by default and neither an IP rule covers the caller's address nor a virtual network rule names
  the caller's subnet with its Microsoft.KeyVault service endpoint). The caller sits at `access.client_address`
  (and `access.client_subnet`), the same for every request: the emulator has one controller.
- RBAC (`ForbiddenByRbac`) on vaults with enableRbacAuthorization: the caller's object id (the token's `oid`) needs
  a role assignment at the vault or above whose role holds the data action of the operation.
Sources: learn.microsoft.com key-vault/general/network-security, rest-error-codes, common-error-codes, rbac-guide
and the ABAC actions reference (the data action of each operation); the message texts follow real responses quoted
in Azure issue threads (docs/emulator.md). Access policies (vaults without RBAC) are not enforced.
"""
from __future__ import annotations

import functools
import ipaddress
import json
import re
import time
import uuid
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qs, unquote, urlsplit

from . import keyvault_keys
from .errors import ArmError
from .keyvault_keys import key_data_action
from .providers import authorization
from .providers.keyvault import VAULT_DNS_SUFFIX, vault_by_host

if TYPE_CHECKING:
    from .server import App

SECRET_NAME = re.compile(r"^[0-9a-zA-Z-]{1,127}$")
MAX_VALUE = 25 * 1024


def is_vault_host(host: str) -> bool:
    return host.split(":", 1)[0].lower().endswith("." + VAULT_DNS_SUFFIX)


def _resource(host: str) -> str:
    port = host.split(":", 1)[1] if ":" in host else ""
    return f"https://{VAULT_DNS_SUFFIX}" + (f":{port}" if port and port != "443" else "")


def _kv_error(status: int, code: str, message: str, headers: dict | None = None) -> ArmError:
    return ArmError(status, code, message, headers=headers)


def handle(app: "App", method: str, raw_path: str, headers: dict, raw_body: Any, info: dict):
    """Answer one data-plane request (returns an arm.Response)."""
    from .arm import Response  # pylint: disable=import-outside-toplevel  # arm imports providers

    host = headers.get("host", "")
    parts = urlsplit(raw_path)
    query = {k: v[0] for k, v in parse_qs(parts.query).items()}
    info["api_version"] = query.get("api-version", "")
    segments = [unquote(s) for s in parts.path.split("/") if s]
    info["operation"] = f"keyvault/{'/'.join(segments[:1])}/{method.lower()}"
    with app.state.lock:
        vault = vault_by_host(app.state, host)
    if vault is None:
        # No such vault: in Azure the DNS name would not resolve at all.
        raise _kv_error(404, "VaultNotFound", f"No vault is reachable at {host}.")
    tenant = vault["properties"]["tenantId"]
    resource = _resource(host)
    challenge = {"WWW-Authenticate": f'Bearer authorization="{_server_url(app.state_dir)}/{tenant}", resource="{resource}"'}
    auth = headers.get("authorization", "")
    if not auth.lower().startswith("bearer "):
        raise _kv_error(401, "Unauthorized", "AKV10000: Request is missing a Bearer or PoP token.", challenge)
    claims = app.issuer.verify(auth[7:].strip())
    if claims is None or claims.get("aud", "").rstrip("/") != resource:
        raise _kv_error(401, "Unauthorized", f"AKV10022: Invalid audience. Expected {resource}.", challenge)
    if str(claims.get("tid", "")).lower() != tenant.lower():
        raise _kv_error(401, "Unauthorized", f"AKV10032: Invalid issuer. Expected a token of tenant {tenant}.", challenge)
    if not query.get("api-version"):
        raise _kv_error(400, "BadParameter", "The 'api-version' query parameter is required.")
    body = raw_body if isinstance(raw_body, dict) else {}
    with app.state.lock:
        _check_access(app, vault, method, segments, claims)
        status, result = _route(vault, method, segments, body, host)
        if method not in ("GET", "HEAD"):
            app.state.save()
    return Response(status, result)


def resolvable(app: "App", host: str) -> bool:
    """Whether a vault host name would resolve in DNS: a live vault, older than `access.dns_delay` seconds.
    A new vault's name can lag its creation (Terraform's azurerm provider probes the URI before using it)."""
    with app.state.lock:
        vault = vault_by_host(app.state, host)
        if vault is None:
            return False
        delay = app.config.access_snapshot()["dns_delay"]
        return time.time() >= vault.get("_createdAt", 0) + delay


def data_action(method: str, seg: list[str]) -> str:
    """The RBAC data action of a secrets operation (Key Vault ABAC actions reference; deleted secrets: unverified)."""
    low = [s.lower() for s in seg]
    if low[:1] in (["keys"], ["deletedkeys"]):
        return key_data_action(method, low)
    base = "Microsoft.KeyVault/vaults/secrets/"
    if low[:1] == ["deletedsecrets"]:
        if len(low) == 3 and low[2] == "recover":
            return base + "recover/action"
        return base + ("purge/action" if method == "DELETE" else "readMetadata/action")
    if low == ["secrets"] or (len(low) == 3 and low[2] == "versions"):
        return base + "readMetadata/action"
    return {"PUT": base + "setSecret/action", "PATCH": base + "update/action", "DELETE": base + "delete"}.get(
        method, base + "getSecret/action")


def _caller(claims: dict, tenant: str) -> str:
    return f"appid={claims.get('appid', '')};oid={claims.get('oid', '')};iss=https://sts.windows.net/{tenant}/"


def _forbidden(inner: str, message: str) -> ArmError:
    return ArmError(403, "Forbidden", message, innererror=inner)


def _check_access(app: "App", vault: dict, method: str, seg: list[str], claims: dict) -> None:
    """Key Vault's network rules, then RBAC (strict mode only)."""
    access = app.config.access_snapshot()
    if access["mode"] != "strict":
        return
    props = vault["properties"]
    tenant = props["tenantId"]
    where = f"Vault: {vault['name']};location={vault['location'].replace(' ', '').lower()}"
    if str(props.get("publicNetworkAccess", "Enabled")).lower() == "disabled":
        raise _forbidden("ForbiddenByConnection", "Public network access is disabled and request is not from a trusted "
                         f"service nor via an approved private link.\r\nCaller: {_caller(claims, tenant)}\r\n{where}")
    if not _network_allows(app, props.get("networkAcls") or {}, access):
        address = access["client_address"] + (f" from subnet {access['client_subnet']}" if access["client_subnet"] else "")
        raise _forbidden("ForbiddenByFirewall", "Client address is not authorized and caller is not a trusted service."
                         f"\r\nClient address: {address}\r\nCaller: {_caller(claims, tenant)}\r\n{where}")
    if props.get("enableRbacAuthorization"):
        action = data_action(method, seg)
        resource = vault["id"].lower() + ("/" + "/".join(s.lower() for s in seg[:2]) if len(seg) >= 2 else "")
        if not authorization.allowed(app.state, claims.get("oid", ""), vault["id"], action, data=True):
            raise _forbidden("ForbiddenByRbac", "Caller is not authorized to perform action on resource.\r\nIf role "
                             "assignments, deny assignments or role definitions were changed recently, please observe "
                             f"propagation time.\r\nCaller: {_caller(claims, tenant)}\r\nAction: '{action}'\r\n"
                             f"Resource: '{resource}'\r\nAssignment: (not found)\r\nDenyAssignmentId: null\r\n"
                             f"DecisionReason: 'DeniedWithNoValidRBAC' \r\n{where}\r\n")


def _network_allows(app: "App", acls: dict, access: dict) -> bool:
    if str(acls.get("defaultAction", "Allow")) != "Deny":
        return True
    address = ipaddress.IPv4Address(access["client_address"])
    for rule in acls.get("ipRules") or []:
        try:
            if address in ipaddress.IPv4Network(str(rule.get("value")), strict=False):
                return True
        except ValueError:
            continue
    subnet_id = (access.get("client_subnet") or "").lower()
    if subnet_id and any((r.get("id") or "").lower() == subnet_id for r in acls.get("virtualNetworkRules") or []):
        subnet = app.state.find(subnet_id)
        endpoints = [e.get("service", "").lower() for e in ((subnet or {}).get("properties") or {}).get("serviceEndpoints", [])]
        return "microsoft.keyvault" in endpoints   # without the endpoint the subnet's traffic arrives from a public address
    return False


@functools.lru_cache(maxsize=4)
def _server_url(state_dir: Path) -> str:
    # The token endpoint lives at the emulator's loopback URL (server.json), not on the vault host.
    return json.loads((state_dir / "server.json").read_text(encoding="utf-8"))["url"]


def _route(vault: dict, method: str, seg: list[str], body: dict, host: str) -> tuple[int, Any]:
    if seg and seg[0].lower() in ("keys", "deletedkeys"):
        return keyvault_keys.route(vault, method, seg, body, f"https://{host}")
    secrets = vault.setdefault("_secrets", {})
    deleted = vault.setdefault("_deletedSecrets", {})
    base = f"https://{host}"
    low = [s.lower() for s in seg]
    if low == ["secrets"] and method == "GET":
        return 200, {"value": [_item(base, n, v[-1]) for n, v in sorted(secrets.items())], "nextLink": None}
    if len(seg) == 2 and low[0] == "secrets":
        name = _check_name(seg[1])
        if method == "PUT":
            return 200, _set(vault, base, name, body)
        if method == "GET":
            return 200, _bundle(base, name, _versions(secrets, name)[-1])
        if method == "DELETE":
            versions = _versions(secrets, name)
            del secrets[name]
            deleted[name] = {"versions": versions, "deletedDate": int(time.time())}
            return 200, _deleted_bundle(base, vault, name, deleted[name])
        if method == "PATCH":
            raise _kv_error(400, "BadParameter", "Update the secret's attributes with PATCH /secrets/{name}/{version}.")
    if len(seg) == 3 and low[0] == "secrets":
        name = _check_name(seg[1])
        if low[2] == "versions" and method == "GET":
            return 200, {"value": [_item(base, name, v, versioned=True) for v in _versions(secrets, name)], "nextLink": None}
        found = next((v for v in _versions(secrets, name) if v["version"] == seg[2]), None)
        if found is None:
            raise _not_found(name)
        if method == "GET":
            return 200, _bundle(base, name, found)
        if method == "PATCH":
            return 200, _update(base, name, found, body)
    if len(seg) == 2 and low[0] == "deletedsecrets":
        name = _check_name(seg[1])
        entry = deleted.get(name)
        if entry is None:
            raise _kv_error(404, "SecretNotFound", f"Deleted Secret not found: {name}")
        if method == "GET":
            return 200, _deleted_bundle(base, vault, name, entry)
        if method == "DELETE":
            if vault["properties"].get("enablePurgeProtection"):
                raise _kv_error(403, "Forbidden", f"Operation \"purge\" is not allowed because purge protection is "
                                                  f"enabled for this vault. Secret: {name}")
            del deleted[name]
            return 204, None
    if len(seg) == 3 and low[0] == "deletedsecrets" and low[2] == "recover" and method == "POST":
        name = _check_name(seg[1])
        entry = deleted.pop(name, None)
        if entry is None:
            raise _kv_error(404, "SecretNotFound", f"Deleted Secret not found: {name}")
        secrets[name] = entry["versions"]
        return 200, _bundle(base, name, secrets[name][-1])
    raise _kv_error(400, "BadParameter", f"The emulator's Key Vault does not serve {method} /{'/'.join(seg)}.")


def _check_name(name: str) -> str:
    if not SECRET_NAME.match(name):
        raise _kv_error(400, "BadParameter", f"The request URI contains an invalid name: {name}. A secret name has "
                                             "1-127 characters: letters, digits and dashes.")
    return name


def _not_found(name: str) -> ArmError:
    return _kv_error(404, "SecretNotFound", f"A secret with (name/id) {name} was not found in this key vault. If you "
                                            "recently deleted this secret you may be able to recover it using the "
                                            "correct recovery command. For help resolving this issue, please see "
                                            "https://go.microsoft.com/fwlink/?linkid=2125182")


def _versions(secrets: dict, name: str) -> list[dict]:
    versions = secrets.get(name)
    if not versions:
        raise _not_found(name)
    return versions


def _set(vault: dict, base: str, name: str, body: dict) -> dict:
    if name in vault["_deletedSecrets"]:
        raise _kv_error(409, "Conflict", f"Secret {name} is currently in a deleted but recoverable state, and its name "
                                         "cannot be reused; in this state, the secret can only be recovered or purged.")
    value = body.get("value")
    if not isinstance(value, str):
        raise _kv_error(400, "BadParameter", "Property 'value' is required and must be a string.")
    if len(value.encode("utf-8")) > MAX_VALUE:
        raise _kv_error(400, "BadParameter", f"The secret value exceeds {MAX_VALUE} bytes.")
    now = int(time.time())
    attributes = dict(body.get("attributes") or {})
    version = {"version": uuid.uuid4().hex, "value": value, "contentType": body.get("contentType"),
               "tags": keyvault_keys.object_tags(body, 512), "created": now, "updated": now,
               "enabled": attributes.get("enabled", True), "exp": attributes.get("exp"), "nbf": attributes.get("nbf"),
               "recoverableDays": vault["properties"].get("softDeleteRetentionInDays", 90)}
    vault["_secrets"].setdefault(name, []).append(version)
    return _bundle(base, name, version)


def _update(base: str, name: str, version: dict, body: dict) -> dict:
    """UpdateSecret (PATCH /secrets/{name}/{version}, Secrets 2026-04-01): contentType, attributes and tags of
    one version; the answer is the bundle without its value."""
    if "contentType" in body:
        version["contentType"] = body["contentType"]
    if "tags" in body:
        version["tags"] = keyvault_keys.object_tags(body, 512)
    for key in ("enabled", "exp", "nbf"):
        if key in (body.get("attributes") or {}):
            version[key] = body["attributes"][key]
    version["updated"] = int(time.time())
    bundle = _bundle(base, name, version)
    del bundle["value"]
    return bundle


def _attributes(version: dict) -> dict:
    attrs = {"enabled": version["enabled"], "created": version["created"], "updated": version["updated"],
             "recoveryLevel": "Recoverable+Purgeable", "recoverableDays": version["recoverableDays"]}
    for key in ("exp", "nbf"):
        if version.get(key) is not None:
            attrs[key] = version[key]
    return attrs


def _bundle(base: str, name: str, version: dict) -> dict:
    bundle = {"value": version["value"], "id": f"{base}/secrets/{name}/{version['version']}",
              "attributes": _attributes(version), "tags": version["tags"]}
    if version.get("contentType"):
        bundle["contentType"] = version["contentType"]
    return bundle


def _item(base: str, name: str, version: dict, versioned: bool = False) -> dict:
    item = {"id": f"{base}/secrets/{name}" + (f"/{version['version']}" if versioned else ""),
            "attributes": _attributes(version), "tags": version["tags"]}
    if version.get("contentType"):
        item["contentType"] = version["contentType"]
    return item


def _deleted_bundle(base: str, vault: dict, name: str, entry: dict) -> dict:
    bundle = _bundle(base, name, entry["versions"][-1])
    days = vault["properties"].get("softDeleteRetentionInDays", 90)
    bundle.update(recoveryId=f"{base}/deletedsecrets/{name}", deletedDate=entry["deletedDate"],
                  scheduledPurgeDate=entry["deletedDate"] + days * 86400)
    return bundle
