# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Key Vault keys (data plane) for the resource engine: a customer-managed key (CMK). PRIVATE to the collection.

The client is azure-keyvault-keys' KeyClient (api-version 2025-07-01 with 4.11; the REST spec
specification/keyvault/data-plane/Microsoft.KeyVault/stable/2025-07-01/keys.json, vendored in part under
tools/arm_emulator/specs/Microsoft.KeyVault/2025-07-01/). Its challenge authentication is the secrets client's
(key_vault_secret.py); a 403 becomes the same explained failure (ForbiddenByFirewall, ForbiddenByConnection,
ForbiddenByRbac), naming the key role to assign.

Facts used (each from the source named):
- CreateKey creates the key, or a new version when the name exists ("If the named key already exists, Azure Key
  Vault creates a new version of the key": keys.json CreateKey). A rotation here is such a create with the declared
  type and size: the new version becomes the current one, older versions stay usable until disabled.
- UpdateKey changes a version's attributes (enabled, exp, nbf), tags and key_ops; "the cryptographic material of a
  key itself cannot be changed" (keys.json UpdateKey): a different size or type is applied only by a rotation.
- Azure Database for PostgreSQL Flexible Server takes RSA or RSA-HSM keys of 2048, 3072 or 4096 bits, enabled, with an
  activation date (nbf) in the past and an expiry (exp) in the future if set (learn.microsoft.com azure/postgresql/
  flexible-server/concepts-data-encryption, "Requirements"). RSA-HSM keys need a Premium vault (learn.microsoft.com
  key-vault/keys/about-keys).
- Disabling the key (enabled=false) is the revocation: a server whose key is disabled becomes Inaccessible
  (concepts-data-encryption, "Inaccessible customer managed key condition").
- A deleted key stays soft-deleted for the vault's retention and blocks its name; it is recovered, never replaced.
"""

from __future__ import annotations

import re

from ansible_collections.complianceflow.infra.plugins.module_utils._azure.arm import Operation
from ansible_collections.complianceflow.infra.plugins.module_utils._azure.key_vault_secret import (
    data_plane_client, forbidden_explained, validate_vault_uri)
from ansible_collections.complianceflow.infra.plugins.module_utils._azure.runner import Plan, Resource
from ansible_collections.complianceflow.infra.plugins.module_utils._azure.values import (
    KEY_VAULT_KEY_MAX_TAG_KEY, KEY_VAULT_OBJECT_MAX_TAGS, AzureInputError, check_tag_count, merge_tags, validate_tags)

KEY_NAME_RE = re.compile(r"^[0-9A-Za-z-]{1,127}$")
KEY_TYPES = ("RSA", "RSA-HSM")
KEY_SIZES = (2048, 3072, 4096)
KEY_OPS = ("encrypt", "decrypt", "sign", "verify", "wrapKey", "unwrapKey")


def validate_key(params: dict) -> None:
    """Every rule checked before a call; each message names the option and what is valid."""
    if not isinstance(params.get("name"), str) or not KEY_NAME_RE.match(params["name"]):
        raise AzureInputError(f"name: {params.get('name')!r} is not a valid key name; Key Vault allows 1-127 letters, "
                              "digits and hyphens")
    if params.get("key_type") not in KEY_TYPES:
        raise AzureInputError(f"key_type: {params.get('key_type')!r} is not supported; valid: {', '.join(KEY_TYPES)} "
                              "(what Azure Database for PostgreSQL accepts for a customer-managed key)")
    if params.get("key_size") not in KEY_SIZES:
        raise AzureInputError(f"key_size: {params.get('key_size')!r} is not supported; valid: "
                              f"{', '.join(map(str, KEY_SIZES))} (RSA sizes Azure Database for PostgreSQL accepts)")
    bad = [op for op in params.get("key_ops") or [] if op not in KEY_OPS]
    if bad:
        raise AzureInputError(f"key_ops: {', '.join(map(repr, bad))} not valid for an RSA key; valid: {', '.join(KEY_OPS)}")
    if params.get("rotate") and params.get("enabled") is False:
        raise AzureInputError("rotate=true with enabled=false: a rotation makes a usable new version; disable the key "
                              "in a separate task")


def versionless(key_id: str | None) -> str | None:
    """https://<vault>/keys/<name>/<version> -> https://<vault>/keys/<name>."""
    if not key_id:
        return None
    head, _sep, tail = key_id.rstrip("/").rpartition("/keys/")
    return f"{head}/keys/{tail.split('/', 1)[0]}" if head else key_id


def key_meta(key) -> dict:
    """A key's metadata from the SDK's KeyVaultKey (public parts only; the private key never leaves the vault)."""
    props = key.properties

    def stamp(when):
        return when.isoformat() if when else None

    modulus = getattr(key.key, "n", None) or b""
    return {"name": props.name, "id": props.id, "version": props.version, "enabled": props.enabled,
            "key_type": str(getattr(key.key_type, "value", key.key_type)), "key_size": len(modulus) * 8 or None,
            "key_ops": [str(getattr(op, "value", op)) for op in key.key_operations or []], "tags": props.tags or {},
            "expires_on": stamp(props.expires_on), "not_before": stamp(props.not_before),
            "created_on": stamp(props.created_on), "updated_on": stamp(props.updated_on)}


def key_view(meta: dict | None, vault_uri: str) -> dict:
    if not meta:
        return {}
    return dict(meta, vault_uri=vault_uri, versionless_id=versionless(meta.get("id")))


def diff_view(meta: dict | None) -> dict:
    if not meta:
        return {}
    return {"version": meta["version"], "enabled": meta["enabled"], "key_type": meta["key_type"],
            "key_size": meta["key_size"], "tags": meta["tags"]}


def plan_key(existing: dict | None, spec: dict) -> dict:
    """What to do with a key: create | new_version | update_properties | none, with a warning (or None).

    A key whose type or size differs from the declaration is left as it is (its material cannot change): a warning
    says that rotate=true applies the declaration."""
    if existing is None:
        return {"action": "create", "warning": None}
    if spec.get("rotate"):
        return {"action": "new_version", "warning": None}
    warning = None
    if existing.get("key_type") != spec["key_type"] or (existing.get("key_size") and existing["key_size"] != spec["key_size"]):
        warning = (f"key {spec['name']} is {existing.get('key_type')} {existing.get('key_size')}, not {spec['key_type']} "
                   f"{spec['key_size']}; a key's material cannot change: rotate=true makes a new version as declared")
    tags = merge_tags(existing.get("tags"), spec.get("tags"), spec.get("purge_tags", True))
    check_tag_count(tags, KEY_VAULT_OBJECT_MAX_TAGS, "Key Vault key")   # with the tags purge_tags=false keeps
    enabled = spec.get("enabled")
    changes = {}
    if tags != dict(existing.get("tags") or {}):
        changes["tags"] = tags
    if enabled is not None and enabled != existing.get("enabled"):
        changes["enabled"] = enabled
    if changes:
        return {"action": "update_properties", "warning": warning, "changes": changes}
    return {"action": "none", "warning": warning}


# The data-plane role that creates, rotates and disables keys, and who grants it.
KEYS_ROLE = ("Key Vault Crypto Officer", "role tenant_server does it unless tenant_server_grant_deployer is false")


class KeyRef:
    """A key's address on the data plane (what the runner calls a resource id)."""

    def __init__(self, vault_uri: str, name: str):
        self.vault_uri, self.name = vault_uri, name

    def __str__(self) -> str:
        return f"{self.vault_uri}keys/{self.name}"


class KeyApi:
    """The Key Vault keys data plane (azure-keyvault-keys) behind the runner's Api interface; every write is awaited."""

    def __init__(self, vault_uri: str):
        self.vault_uri = vault_uri
        self._client = None

    def client(self, module):
        if self._client is None:
            self._client = data_plane_client(module, self.vault_uri, "keys", "KeyClient")
        return self._client

    def get(self, module, ref: KeyRef) -> dict:
        with forbidden_explained(module, self.vault_uri, KEYS_ROLE):
            return key_meta(self.client(module).get_key(ref.name))

    def get_deleted(self, module, ref: KeyRef):
        with forbidden_explained(module, self.vault_uri, KEYS_ROLE):
            return self.client(module).get_deleted_key(ref.name)

    def start(self, module, what: str, method: str, ref: KeyRef, body: dict | None = None) -> Operation:
        with forbidden_explained(module, self.vault_uri, KEYS_ROLE):
            client, result, timeout = self.client(module), None, module.params["timeout"]
            if method == "PUT":
                result = key_meta(client.create_rsa_key(ref.name, size=body["key_size"], hardware_protected=body["key_type"] == "RSA-HSM",
                                                        key_operations=body.get("key_ops"), tags=body.get("tags"),
                                                        enabled=body.get("enabled", True)))
            elif method == "PATCH":
                kwargs = {k: body[k] for k in ("tags", "enabled") if k in body}
                client.update_key_properties(ref.name, body["version"], **kwargs)
                result = key_meta(client.get_key(ref.name))
            elif method == "DELETE":
                client.begin_delete_key(ref.name).wait(timeout)
            elif method == "RECOVER":
                client.begin_recover_deleted_key(ref.name).wait(timeout)
            elif method == "PURGE":
                client.purge_deleted_key(ref.name)
        return Operation(what, method, str(ref), "", done=True, result=result)


class Key(Resource):
    what = "key"
    result_key = "key"
    tags_method = "PATCH"
    rotated = False
    previous_id = None

    def validate(self):
        params = self.params
        validate_key(params)
        self.vault_uri = validate_vault_uri(params["vault_uri"])
        params["tags"] = validate_tags(params["tags"], max_count=KEY_VAULT_OBJECT_MAX_TAGS, max_key=KEY_VAULT_KEY_MAX_TAG_KEY,
                                       what="Key Vault key")
        self.api = KeyApi(self.vault_uri)

    def resource_id(self) -> KeyRef:
        return KeyRef(self.vault_uri, self.params["name"])

    def view(self, doc):
        return key_view(doc, self.vault_uri)

    def deleted_view(self, existing, related):
        return diff_view(existing)

    def module_apply(self, method: str, what: str) -> None:
        with self.module.operation(what):
            self.api.start(self.module, what, method, self.resource_id())

    def after_delete(self, existing):
        """purge=true: purge the deleted key, also one that was soft-deleted before this run (as key_vault does a vault)."""
        name = self.params["name"]
        if not self.params["purge"]:
            return False
        if existing is None and self.module.get_or_none(f"look for deleted key {name}", self.api.get_deleted,
                                                        self.module, self.resource_id()) is None:
            return False
        if not self.module.check_mode:
            self.module_apply("PURGE", f"purge deleted key {name}")
        return True

    def before_plan(self, existing, related):
        """A soft-deleted key blocks the name: recover it (its versions and data it protects) rather than fail."""
        name = self.params["name"]
        if existing is not None or self.module.get_or_none(f"look for deleted key {name}", self.api.get_deleted,
                                                           self.module, self.resource_id()) is None:
            return existing
        if self.module.check_mode:
            self.module.exit_with(True, {}, {"recovered": name}, key={"name": name, "vault_uri": self.vault_uri}, rotated=False)
        self.module_apply("RECOVER", f"recover deleted key {name}")
        self.module.warn(f"key {name} was soft-deleted and has been recovered with its versions")
        self.already_changed = True
        with self.module.operation(f"read key {name}"):
            return self.api.get(self.module, self.resource_id())

    def plan(self, existing, related):
        params = self.params
        decided = plan_key(existing, params)
        before = diff_view(existing)
        notes = [decided["warning"]] if decided["warning"] else []
        action = decided["action"]
        if action == "update_properties":
            body = dict(decided["changes"], version=existing["version"])
            return Plan("patch", body, before, dict(before, **decided["changes"]), notes=notes)
        if action == "none":
            return Plan("none", None, before, before, notes=notes)
        tags = params["tags"] if params["tags"] is not None else (existing or {}).get("tags") or {}
        body = {"key_type": params["key_type"], "key_size": params["key_size"], "key_ops": params["key_ops"], "tags": tags,
                "enabled": params["enabled"] is not False}
        self.rotated = existing is not None
        self.previous_id = (existing or {}).get("id")
        after = {"version": "(new)", "enabled": body["enabled"], "key_type": params["key_type"], "key_size": params["key_size"],
                 "tags": tags}
        return Plan("create" if existing is None else "put", body, before, after, notes=notes)

    def predict(self, existing, plan):
        if plan.action == "patch":
            return dict(existing, **{k: v for k, v in plan.body.items() if k != "version"})
        if existing is None:
            return None
        return dict(existing, version="(new)", id=None, enabled=plan.body["enabled"], tags=plan.body["tags"])

    def result(self, doc, related):
        view = key_view(doc, self.vault_uri) if doc else {}
        if not doc and self.module.check_mode and self.params["state"] == "present":
            view = {"name": self.params["name"], "vault_uri": self.vault_uri, "id": None, "versionless_id": None}
        out = {"key": view, "rotated": self.rotated}
        if self.previous_id and self.rotated:
            out["previous_id"] = self.previous_id
        return out
