"""Data encryption with a customer-managed key (CMK) for the emulator's PostgreSQL flexible servers.

Rules, from learn.microsoft.com azure/postgresql/flexible-server/concepts-data-encryption (MicrosoftDocs/
azure-databases-docs articles/postgresql/flexible-server/concepts-data-encryption.md), sections "Requirements",
"Limitations", "Inaccessible customer managed key condition" and "Using data encryption with customer managed keys
and geo-redundant business continuity features"; the body shape is the REST spec's DataEncryption and
UserAssignedIdentity (specs/Microsoft.DBforPostgreSQL/2026-10-01). Learn names no error code: two are Azure's as
reported (a missing key, a geo-redundant server without its geo key), the others the emulator's and unverified;
docs/emulator.md lists each rule with its source.

- The mode (SystemManaged or AzureKeyVault) is chosen at creation and never changes ("can only be selected at server
  creation time. It can't be changed from one mode to another for the lifetime of the server").
- AzureKeyVault needs a user-assigned identity of the server (identity.userAssignedIdentities) named by
  primaryUserAssignedIdentityId, and primaryKeyURI naming a key of a vault in the server's region ("must exist in the
  same region"), with soft delete and purge protection, the key enabled, RSA or RSA-HSM of 2048/3072/4096 bits, nbf
  in the past and exp in the future, and the identity holding the key permissions: with RBAC, a role whose data
  actions give keys/read, keys/wrap/action and keys/unwrap/action ("Key Vault Crypto Service Encryption User");
  with access policies, get, list, wrapKey and unwrapKey on keys.
- Geo-redundant backup with CMK needs geoBackupKeyURI in a vault of the backup's region (the paired region) and
  geoBackupUserAssignedIdentityId, a different identity from the primary one ("You can't use the same user-managed
  identity").
- When a key is disabled, deleted, expired or unreachable, or the identity loses its access, the server's state is
  Inaccessible and it denies connections; it returns to Ready after the service revalidates the key. Azure takes up to
  60 minutes either way; the emulator judges on every read (at once), and refuses writes to an Inaccessible server
  other than a change of its data encryption or identity (Learn's resolutions: point the server at another identity
  or key). Connections to the local PostgreSQL behind an emulated server are not cut (a gap: docs/emulator.md).
"""
from __future__ import annotations

from . import keyvault_keys
from .errors import ArmError, invalid_request
from .providers import authorization
from .providers.keyvault import vault_by_host

ROLE_ACTIONS = ("Microsoft.KeyVault/vaults/keys/read", "Microsoft.KeyVault/vaults/keys/wrap/action",
                "Microsoft.KeyVault/vaults/keys/unwrap/action")
POLICY_PERMISSIONS = ("get", "list", "wrapkey", "unwrapkey")
RSA_SIZES = (2048, 3072, 4096)
# Azure's region pairs (learn.microsoft.com azure/reliability/cross-region-replication-azure) of the emulated regions.
PAIRED = {"westeurope": "northeurope", "northeurope": "westeurope", "eastus": "westus", "westus": "eastus",
          "uksouth": "ukwest", "ukwest": "uksouth", "australiaeast": "australiasoutheast",
          "australiasoutheast": "australiaeast"}
INACCESSIBLE = "Inaccessible"


def _loc(value: str | None) -> str:
    return (value or "").replace(" ", "").lower()


def identity_ids(identity: dict | None) -> dict[str, str]:
    """lower-case id -> id of the user-assigned identities of a server's identity block."""
    return {k.lower(): k for k in ((identity or {}).get("userAssignedIdentities") or {})}


def check_identity(ctx, identity: dict | None) -> dict | None:
    """The server's identity block as stored: each user-assigned identity must exist; principalId/clientId filled in."""
    if identity is None or (not identity.get("type") and not identity.get("userAssignedIdentities")):
        return None   # nothing asked (a missing type is the spec check's refusal, at the api-versions it checks)
    kind = str(identity.get("type") or "")
    if kind.lower() not in ("none", "userassigned"):
        raise invalid_request(f"identity.type '{kind}' is not supported for a flexible server here; use UserAssigned.",
                              code="InvalidIdentityType")
    out = {}
    for given in identity.get("userAssignedIdentities") or {}:
        found = ctx.find(given)
        if found is None or found.get("type", "").lower() != "microsoft.managedidentity/userassignedidentities":
            raise invalid_request(f"The user assigned identity '{given}' was not found.", code="UserAssignedIdentityNotFound")
        out[found["id"]] = {"principalId": found["properties"]["principalId"], "clientId": found["properties"]["clientId"]}
    if kind.lower() == "userassigned" and not out:
        raise invalid_request("identity.type UserAssigned needs userAssignedIdentities.", code="InvalidIdentity")
    return {"type": "UserAssigned" if out else "None", "userAssignedIdentities": out}


def _key_problem(ctx, uri: str, identity_id: str, location: str, what: str) -> tuple[str | None, str | None]:
    """(the reason the key is not usable now or None, the reason it can never be used here or None)."""
    parsed = keyvault_keys.parse_key_uri(uri)
    if parsed is None:
        return None, f"{what} '{uri}' is not a Key Vault key identifier (https://<vault>/keys/<name>/<version>)."
    host, name, version = parsed
    vault = vault_by_host(ctx.state, host)
    if vault is None:
        return f"the key vault of {what} '{uri}' does not exist", None
    props = vault["properties"]
    if _loc(vault["location"]) != _loc(location):
        return None, f"The key vault '{vault['name']}' is in {vault['location']}; the key must be in a vault of {location}."
    if props.get("enableSoftDelete") is False or not props.get("enablePurgeProtection"):
        return None, (f"The key vault '{vault['name']}' must have soft delete and purge protection enabled to hold a "
                      "customer-managed key.")
    key, why = keyvault_keys.key_state(vault, name, version)
    if key is not None and (not key["kty"].startswith("RSA") or key["key_size"] not in RSA_SIZES):
        return None, f"The key '{uri}' is {key['kty']} {key['key_size']}; only RSA or RSA-HSM keys of 2048, 3072 or 4096 bits are supported."
    if why:
        return why, None
    principal = (ctx.find(identity_id) or {}).get("properties", {}).get("principalId")
    if principal is None:
        return f"the identity {identity_id} does not exist", None
    if props.get("enableRbacAuthorization"):
        if not all(authorization.allowed(ctx.state, principal, vault["id"], a, data=True) for a in ROLE_ACTIONS):
            return f"the identity {identity_id} has no role on vault {vault['name']} granting get, wrapKey and unwrapKey", None
    else:
        policies = [p for p in props.get("accessPolicies") or [] if str(p.get("objectId", "")).lower() == principal.lower()]
        granted = {str(k).lower() for p in policies for k in (p.get("permissions") or {}).get("keys") or []}
        if not set(POLICY_PERMISSIONS) <= granted and "all" not in granted:
            return f"the identity {identity_id} lacks the get, list, wrapKey and unwrapKey key permissions on vault {vault['name']}", None
    return None, None


def _unusable_key_code(ctx, uri: str) -> str:
    """Azure's code for a key that does not exist: `AzureKeyVaultKeyNotFound` (hashicorp/terraform-provider-azurerm#21535,
    a flexible server's create); for a key that exists but cannot be used, the emulator's `InvalidKeyVaultKey`
    (unverified)."""
    parsed = keyvault_keys.parse_key_uri(uri)
    vault = vault_by_host(ctx.state, parsed[0]) if parsed else None
    if vault is not None and keyvault_keys.key_state(vault, parsed[1], parsed[2])[0] is None:
        return "AzureKeyVaultKeyNotFound"
    return "InvalidKeyVaultKey"


def build(ctx, encryption: dict | None, identity: dict | None, location: str, geo_backup: bool, old: dict | None) -> dict:
    """The dataEncryption block to store for a create (old None) or an update; refuses what Azure refuses."""
    encryption = dict(encryption or {})
    kind = str(encryption.get("type") or (old or {}).get("type") or "SystemManaged")
    if kind not in ("SystemManaged", "AzureKeyVault"):
        raise invalid_request(f"dataEncryption.type '{kind}' is invalid; allowed values: SystemManaged, AzureKeyVault.",
                              code="InvalidParameterValue")
    if old is not None and kind != old.get("type", "SystemManaged"):
        raise invalid_request(f"The data encryption type of an existing server cannot be changed (from "
                              f"{old.get('type', 'SystemManaged')} to {kind}); choose it when the server is created.",
                              code="DataEncryptionTypeCannotBeChanged")
    if kind == "SystemManaged":
        if any(encryption.get(k) for k in ("primaryKeyURI", "primaryUserAssignedIdentityId", "geoBackupKeyURI")):
            raise invalid_request("Key URIs and identities are only allowed with dataEncryption.type AzureKeyVault.",
                                  code="InvalidDataEncryption")
        return {"type": "SystemManaged"}
    merged = dict(old or {}, **{k: v for k, v in encryption.items() if v is not None})
    ids = identity_ids(identity)
    primary_id = str(merged.get("primaryUserAssignedIdentityId") or "")
    if not merged.get("primaryKeyURI") or not primary_id:
        raise invalid_request("dataEncryption.type AzureKeyVault needs primaryKeyURI and primaryUserAssignedIdentityId.",
                              code="InvalidDataEncryption")
    if primary_id.lower() not in ids:
        raise invalid_request(f"primaryUserAssignedIdentityId '{primary_id}' is not one of the server's user assigned "
                              "identities (identity.userAssignedIdentities).", code="InvalidDataEncryption")
    now_problem, never = _key_problem(ctx, merged["primaryKeyURI"], ids[primary_id.lower()], location, "primaryKeyURI")
    if never or now_problem:
        raise invalid_request(never or f"The key of primaryKeyURI cannot be used: {now_problem}.",
                              code="InvalidKeyVaultKey" if never else _unusable_key_code(ctx, merged["primaryKeyURI"]))
    if geo_backup:
        geo_id = str(merged.get("geoBackupUserAssignedIdentityId") or "")
        if not merged.get("geoBackupKeyURI") or not geo_id:
            # Azure's code and message (pulumi/pulumi-azure-native#4014; the status is not shown there: 400 unverified).
            raise invalid_request("The input server encryption parameters are invalid. Geo-Backup Encryption user assigned "
                                  "identity and key is required to encrypt Geo-Redundant CMK enabled server. Please retry "
                                  "operation with valid input parameters.", code="CMKInvalidEncryptionParameters")
        if geo_id.lower() not in ids or geo_id.lower() == primary_id.lower():
            raise invalid_request("geoBackupUserAssignedIdentityId must be another of the server's user assigned identities "
                                  "than the primary one.", code="InvalidDataEncryption")
        paired = PAIRED.get(_loc(location), "")
        now_problem, never = _key_problem(ctx, merged["geoBackupKeyURI"], ids[geo_id.lower()], paired, "geoBackupKeyURI")
        if never or now_problem:
            raise invalid_request(never or f"The key of geoBackupKeyURI cannot be used: {now_problem}.",
                                  code="InvalidKeyVaultKey" if never else _unusable_key_code(ctx, merged["geoBackupKeyURI"]))
    elif merged.get("geoBackupKeyURI"):
        raise invalid_request("geoBackupKeyURI is only allowed on a server with geo-redundant backup.", code="InvalidDataEncryption")
    out = {"type": "AzureKeyVault", "primaryKeyURI": merged["primaryKeyURI"], "primaryUserAssignedIdentityId": ids[primary_id.lower()]}
    if geo_backup:
        out.update(geoBackupKeyURI=merged["geoBackupKeyURI"],
                   geoBackupUserAssignedIdentityId=ids[str(merged["geoBackupUserAssignedIdentityId"]).lower()])
    return out


def status(ctx, doc: dict) -> tuple[str | None, str | None]:
    """(primary key status Valid|Invalid or None for SystemManaged, the reason when Invalid)."""
    enc = (doc.get("properties") or {}).get("dataEncryption") or {}
    if enc.get("type") != "AzureKeyVault":
        return None, None
    why, never = _key_problem(ctx, enc["primaryKeyURI"], enc["primaryUserAssignedIdentityId"], doc["location"], "primaryKeyURI")
    reason = why or never
    return ("Invalid", reason) if reason else ("Valid", None)


def render(ctx, doc: dict, view: dict) -> None:
    """The server's state as Azure reports it: Inaccessible while its key cannot be used."""
    key_status, _why = status(ctx, doc)
    if key_status is None:
        return
    enc = view["properties"].setdefault("dataEncryption", {})
    enc["primaryEncryptionKeyStatus"] = key_status
    if enc.get("geoBackupKeyURI"):
        enc["geoBackupEncryptionKeyStatus"] = "Valid"
    if key_status == "Invalid" and view["properties"].get("state") in ("Ready", "Updating"):
        view["properties"]["state"] = INACCESSIBLE


def refuse_if_inaccessible(ctx, doc: dict | None, body: dict | None = None) -> None:
    """A write to an Inaccessible server is refused, except a change of its data encryption or identity."""
    if doc is None:
        return
    key_status, why = status(ctx, doc)
    if key_status != "Invalid":
        return
    props = (body or {}).get("properties") or {}
    if body is not None and set(props) <= {"dataEncryption"} and (props or "identity" in body):
        return
    raise ArmError(409, "ServerIsInaccessible",
                   f"The server '{doc['name']}' is Inaccessible: {why}. Restore access to its customer-managed key (or "
                   "point it at another key or identity) and wait for the key to be revalidated.")
