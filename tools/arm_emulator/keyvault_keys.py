"""The Key Vault keys data plane (called by keyvault_dataplane.py after its authentication, network and RBAC checks).

Operations served, as the keys REST spec 2025-07-01 names them (specs/Microsoft.KeyVault/2025-07-01/keys.json, the
default api-version of azure-keyvault-keys 4.11): CreateKey (POST /keys/{name}/create: a new key, or a new version of
an existing one: "If the named key already exists, Azure Key Vault creates a new version of the key"), GetKey (GET
/keys/{name}/{version}, an empty version = the latest), GetKeyVersions (GET /keys/{name}/versions), GetKeys (GET /keys),
UpdateKey (PATCH /keys/{name}/{version}: attributes such as enabled, tags, key_ops), RotateKey (POST
/keys/{name}/rotate: a new version with the parameters of the current one), DeleteKey (DELETE /keys/{name}),
GetDeletedKey, PurgeDeletedKey, RecoverDeletedKey. Keys live in the vault document: _keys (name -> versions) and
_deletedKeys. The key material is not real: `n` is random bytes of the key's size (nothing here encrypts).

Bodies are checked against the vendored spec excerpt (KeyCreateParameters, KeyUpdateParameters: unknown and read-only
properties refused, enums, types); the refusal is 400 `BadParameter` (the code Key Vault uses for a bad request
parameter, learn.microsoft.com key-vault/general/rest-error-codes; the message wording is unverified). RSA key sizes:
2048, 3072 or 4096 (spec: "For example: 2048, 3072, or 4096 for RSA"; learn.microsoft.com key-vault/keys/about-keys
lists those sizes for RSA keys); other sizes refused (status and code unverified).

`key_state(state, key_uri)` tells the PostgreSQL provider whether a key URI names an enabled, unexpired key (CMK).
"""
from __future__ import annotations

import base64
import os
import re
import time
import uuid
from typing import Any
from urllib.parse import urlsplit

from . import openapi
from .errors import ArmError

KEY_NAME = re.compile(r"^[0-9a-zA-Z-]{1,127}$")
SPEC = "Microsoft.KeyVault/2025-07-01/keys.json"
RSA_SIZES = (2048, 3072, 4096)
KEY_TYPES = ("RSA", "RSA-HSM", "EC", "EC-HSM", "oct", "oct-HSM")
BASE = "Microsoft.KeyVault/vaults/keys/"


def key_data_action(method: str, low: list[str]) -> str:
    """The RBAC data action of a keys operation (Key Vault's RBAC guide / ABAC actions reference: keys/read,
    keys/create/action, keys/update/action, keys/delete, keys/rotate/action; deleted keys: unverified)."""
    if low[:1] == ["deletedkeys"]:
        if len(low) == 3 and low[2] == "recover":
            return BASE + "recover/action"
        return BASE + ("purge/action" if method == "DELETE" else "read")
    if len(low) == 3 and low[2] == "create":
        return BASE + "create/action"
    if len(low) == 3 and low[2] == "rotate":
        return BASE + "rotate/action"
    return {"PATCH": BASE + "update/action", "DELETE": BASE + "delete"}.get(method, BASE + "read")


def _error(status: int, code: str, message: str) -> ArmError:
    return ArmError(status, code, message)


# Tags of a Key Vault object: "Key Vault supports up to 15 tags" (Microsoft Learn, key-vault/secrets/about-secrets: names
# and values of 512 characters; keys/about-keys: 256); a 16th answers 400 BadParameter "Property has invalid value"
# (quoted in aztfmod/terraform-azurerm-caf#821 for a certificate; the answer to a long name: unverified, the same here).
MAX_OBJECT_TAGS = 15


def object_tags(body: dict, max_length: int) -> dict:
    """The tags of a secret or key write, or Azure's refusal of too many or too long."""
    tags = dict(body.get("tags") or {})
    if len(tags) > MAX_OBJECT_TAGS or any(len(str(k)) > max_length or len(str(v)) > max_length for k, v in tags.items()):
        raise _error(400, "BadParameter", "Property has invalid value")
    return tags


def _not_found(name: str) -> ArmError:
    return _error(404, "KeyNotFound", f"A key with (name/id) {name} was not found in this key vault. If you recently "
                                      "deleted this key you may be able to recover it using the correct recovery command. "
                                      "For help resolving this issue, please see https://go.microsoft.com/fwlink/?linkid=2125182")


def _check_body(definition: str, body: Any) -> None:
    validator = openapi.validator()
    op = openapi.Operation("microsoft.keyvault", "2025-07-01", "POST", "", re.compile("^$"),
                           {"$ref": f"#/definitions/{definition}"}, SPEC)
    found = validator.validate(op, body)
    if found:
        raise _error(400, "BadParameter", f"Invalid request body: {found[0].message} (at '{found[0].target}').")


def _check_name(name: str) -> str:
    if not KEY_NAME.match(name):
        raise _error(400, "BadParameter", f"The request URI contains an invalid name: {name}. A key name has 1-127 "
                                          "characters: letters, digits and dashes.")
    return name


def route(vault: dict, method: str, seg: list[str], body: dict, base: str) -> tuple[int, Any]:
    keys = vault.setdefault("_keys", {})
    deleted = vault.setdefault("_deletedKeys", {})
    low = [s.lower() for s in seg]
    if low == ["keys"] and method == "GET":
        return 200, {"value": [_item(base, n, v[-1]) for n, v in sorted(keys.items())], "nextLink": None}
    if low[0] == "keys" and len(seg) >= 2:
        name = _check_name(seg[1])
        if len(seg) == 3 and low[2] == "create" and method == "POST":
            return 200, _create(vault, base, name, body)
        if len(seg) == 3 and low[2] == "rotate" and method == "POST":
            current = _versions(keys, name)[-1]
            params = {"kty": current["kty"], "key_size": current["key_size"], "key_ops": current["key_ops"],
                      "tags": current["tags"]}
            return 200, _create(vault, base, name, params)
        if len(seg) == 3 and low[2] == "versions" and method == "GET":
            return 200, {"value": [_item(base, name, v, versioned=True) for v in _versions(keys, name)], "nextLink": None}
        if len(seg) == 2 and method == "DELETE":
            versions = _versions(keys, name)
            del keys[name]
            deleted[name] = {"versions": versions, "deletedDate": int(time.time())}
            return 200, _deleted_bundle(base, vault, name, deleted[name])
        if len(seg) in (2, 3) and method in ("GET", "PATCH"):
            version = _find_version(keys, name, seg[2] if len(seg) == 3 else "")
            if method == "GET":
                return 200, _bundle(base, name, version)
            _check_body("KeyUpdateParameters", body)
            return 200, _update(base, name, version, body)
    if low[0] == "deletedkeys" and len(seg) >= 2:
        name = _check_name(seg[1])
        entry = deleted.get(name)
        if entry is None:
            raise _error(404, "KeyNotFound", f"Deleted Key not found: {name}")
        if len(seg) == 3 and low[2] == "recover" and method == "POST":
            keys[name] = deleted.pop(name)["versions"]
            return 200, _bundle(base, name, keys[name][-1])
        if len(seg) == 2 and method == "GET":
            return 200, _deleted_bundle(base, vault, name, entry)
        if len(seg) == 2 and method == "DELETE":
            if vault["properties"].get("enablePurgeProtection"):
                raise _error(403, "Forbidden", f"Operation \"purge\" is not allowed because purge protection is enabled "
                                               f"for this vault. Key: {name}")
            del deleted[name]
            return 204, None
    raise _error(400, "BadParameter", f"The emulator's Key Vault does not serve {method} /{'/'.join(seg)}.")


def _versions(keys: dict, name: str) -> list[dict]:
    versions = keys.get(name)
    if not versions:
        raise _not_found(name)
    return versions


def _find_version(keys: dict, name: str, version: str) -> dict:
    versions = _versions(keys, name)
    if not version:
        return versions[-1]
    found = next((v for v in versions if v["version"] == version), None)
    if found is None:
        raise _not_found(f"{name}/{version}")
    return found


def _create(vault: dict, base: str, name: str, body: dict) -> dict:
    _check_body("KeyCreateParameters", body)
    if name in vault["_deletedKeys"]:
        raise _error(409, "Conflict", f"Key {name} is currently in a deleted but recoverable state, and its name cannot be "
                                      "reused; in this state, the key can only be recovered or purged.")
    kty = body["kty"]
    if kty not in KEY_TYPES:
        raise _error(400, "BadParameter", f"Invalid key type '{kty}'; valid: {', '.join(KEY_TYPES)}.")
    if kty.endswith("-HSM") and str(vault["properties"].get("sku", {}).get("name", "")).lower() != "premium":
        # learn.microsoft.com key-vault/keys/about-keys: HSM-protected keys need the Premium tier (status/code unverified).
        raise _error(400, "BadParameter", f"Key type {kty} requires a Premium vault.")
    if not kty.startswith("RSA"):
        raise _error(400, "BadParameter", f"The emulator serves RSA keys only (got {kty}).")
    size = body.get("key_size") or 2048   # the service's default RSA size (about-keys; unverified for 2025-07-01)
    if size not in RSA_SIZES:
        raise _error(400, "BadParameter", f"Invalid key size {size} for an RSA key; supported sizes: 2048, 3072, 4096.")
    attributes = dict(body.get("attributes") or {})
    now = int(time.time())
    version = {"version": uuid.uuid4().hex, "kty": kty, "key_size": size,
               "key_ops": list(body.get("key_ops") or ["encrypt", "decrypt", "sign", "verify", "wrapKey", "unwrapKey"]),
               "n": base64.urlsafe_b64encode(os.urandom(size // 8)).decode().rstrip("="), "e": "AQAB",
               "tags": object_tags(body, 256), "created": now, "updated": now,
               "enabled": attributes.get("enabled", True), "exp": attributes.get("exp"), "nbf": attributes.get("nbf"),
               "recoverableDays": vault["properties"].get("softDeleteRetentionInDays", 90),
               # DeletionRecoveryLevel: purge protection makes deleted keys purgeable by the system only.
               "recoveryLevel": "Recoverable" if vault["properties"].get("enablePurgeProtection") else "Recoverable+Purgeable"}
    vault["_keys"].setdefault(name, []).append(version)
    return _bundle(base, name, version)


def _update(base: str, name: str, version: dict, body: dict) -> dict:
    if "tags" in body:
        version["tags"] = object_tags(body, 256)
    if "key_ops" in body:
        version["key_ops"] = list(body["key_ops"] or [])
    for key in ("enabled", "exp", "nbf"):
        if key in (body.get("attributes") or {}):
            version[key] = body["attributes"][key]
    version["updated"] = int(time.time())
    return _bundle(base, name, version)


def _attributes(version: dict) -> dict:
    attrs = {"enabled": version["enabled"], "created": version["created"], "updated": version["updated"],
             "recoveryLevel": version.get("recoveryLevel", "Recoverable+Purgeable"),
             "recoverableDays": version["recoverableDays"], "exportable": False}
    for key in ("exp", "nbf"):
        if version.get(key) is not None:
            attrs[key] = version[key]
    return attrs


def _bundle(base: str, name: str, version: dict) -> dict:
    return {"key": {"kid": f"{base}/keys/{name}/{version['version']}", "kty": version["kty"], "key_ops": version["key_ops"],
                    "n": version["n"], "e": version["e"]},
            "attributes": _attributes(version), "tags": version["tags"]}


def _item(base: str, name: str, version: dict, versioned: bool = False) -> dict:
    return {"kid": f"{base}/keys/{name}" + (f"/{version['version']}" if versioned else ""),
            "attributes": _attributes(version), "tags": version["tags"]}


def _deleted_bundle(base: str, vault: dict, name: str, entry: dict) -> dict:
    bundle = _bundle(base, name, entry["versions"][-1])
    days = vault["properties"].get("softDeleteRetentionInDays", 90)
    bundle.update(recoveryId=f"{base}/deletedkeys/{name}", deletedDate=entry["deletedDate"],
                  scheduledPurgeDate=entry["deletedDate"] + days * 86400)
    return bundle


def parse_key_uri(uri: str) -> tuple[str, str, str] | None:
    """(host, key name, version or '') of a key identifier https://<vault host>/keys/<name>[/<version>]."""
    parts = urlsplit(uri or "")
    segments = [s for s in parts.path.split("/") if s]
    if parts.scheme != "https" or not parts.hostname or len(segments) not in (2, 3) or segments[0].lower() != "keys":
        return None
    return parts.netloc, segments[1], segments[2] if len(segments) == 3 else ""


def key_state(vault: dict | None, name: str, version: str) -> tuple[dict | None, str | None]:
    """(the key version, None) when usable for encryption; (version or None, why not) otherwise."""
    if vault is None:
        return None, "the key vault does not exist"
    versions = (vault.get("_keys") or {}).get(name)
    if not versions:
        return None, f"key {name} does not exist (or is deleted)"
    found = versions[-1] if not version else next((v for v in versions if v["version"] == version), None)
    if found is None:
        return None, f"key {name} has no version {version}"
    now = time.time()
    if not found["enabled"]:
        return found, f"key {name} is disabled"
    if found.get("exp") is not None and found["exp"] <= now:
        return found, f"key {name} has expired"
    if found.get("nbf") is not None and found["nbf"] > now:
        return found, f"key {name} is not active yet (nbf in the future)"
    return found, None
