# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Storage accounts with their blob service settings and containers (time-based immutability), for the resource
engine. PRIVATE to the collection.

Sources (docs/emulator.md lists them with the emulator's behaviour):
- REST spec Microsoft.Storage stable 2026-09-01, specification/storage/resource-manager/Microsoft.Storage/Storage/
  stable/2026-09-01/openapi.json (the newest stable tag, package-2026-09, of its readme.md): the account PUT body
  (`StorageAccountCreateParameters`: sku, kind and location required; `SkuName`, `Kind`, `MinimumTlsVersion` ("Minimum
  TLS version 1.3 version is not supported"), `PublicNetworkAccess`), the blob service
  (`blobServices/default`, `DeleteRetentionPolicy.days` 1-365, `isVersioningEnabled`), containers (`BlobContainer`) and
  `containers/{c}/immutabilityPolicies/default`: its PUT "creates or updates an unlocked immutability policy"; a lock is
  `POST .../immutabilityPolicies/default/lock` with the policy's ETag in If-Match (required); "the only action allowed on
  a Locked policy is ExtendImmutabilityPolicy" (`POST .../extend`, If-Match required); a locked policy cannot be deleted.
- learn.microsoft.com/azure/storage/blobs/immutable-time-based-retention-policy-overview and
  immutable-policy-configure-container-scope: a retention interval of 1 to 146,000 days; an unlocked policy can be
  shortened, extended or deleted; a locked one only lengthened (up to five times), never shortened.
- learn.microsoft.com/azure/azure-resource-manager/troubleshooting/error-storage-account-name: 3-24 lowercase letters
  and digits, unique across Azure (AccountNameInvalid, StorageAccountAlreadyTaken).
- learn.microsoft.com/azure/storage/blobs/storage-blob-container-create (container names): 3-63 lowercase letters,
  digits and hyphens, starting with a letter or digit, every hyphen between letters or digits (the spec's
  `containerName` description says the same).

The account is written with its create operation (PUT) also when it exists. Whether Azure then merges or replaces the
properties left out is not settled (the Create reference: "the account properties will be updated"; unverified), so that
PUT carries back every writable property the account has and the task does not set (ACCOUNT_CARRIED), as Terraform's
azurerm provider does (internal/services/storage/storage_account_resource.go, resourceStorageAccountUpdate: a PUT built
from the account as read): a tag or TLS change must not reset a firewall (networkAcls), a customer-managed key
(encryption) or an identity. A tags-only change is a PATCH (StorageAccounts_Update). Shared-key access is not needed by
the collection: the account's keys are never read or returned.
"""

from __future__ import annotations

import re

from ansible_collections.complianceflow.infra.plugins.module_utils._azure.arm import GenericApi
from ansible_collections.complianceflow.infra.plugins.module_utils._azure.carry import Carried, carry_over, identity_body, without
from ansible_collections.complianceflow.infra.plugins.module_utils._azure.ids import ResourceId
from ansible_collections.complianceflow.infra.plugins.module_utils._azure.runner import Child, Plan, Resource, merge_keyed
from ansible_collections.complianceflow.infra.plugins.module_utils._azure.values import (
    STORAGE_ACCOUNT_MAX_TAG_KEY, AzureInputError, check_reserved_name, merge_tags, same_location, validate_name, validate_tags)

ACCOUNT_TYPE = "Microsoft.Storage/storageAccounts"
API_VERSION = "2026-09-01"
API = GenericApi(API_VERSION)   # no SDK: ARM's generic operations (docs/resource-engine.md)
NAME_RE = re.compile(r"^[a-z0-9]{3,24}$")
CONTAINER_RE = re.compile(r"^[a-z0-9](?!.*--)[a-z0-9-]{1,61}[a-z0-9]$")
SKUS = ("Standard_LRS", "Standard_GRS", "Standard_RAGRS", "Standard_ZRS", "Premium_LRS", "Premium_ZRS", "Standard_GZRS",
        "Standard_RAGZRS", "StandardV2_LRS", "StandardV2_GRS", "StandardV2_ZRS", "StandardV2_GZRS", "PremiumV2_LRS",
        "PremiumV2_ZRS")
KINDS = ("Storage", "StorageV2", "BlobStorage", "FileStorage", "BlockBlobStorage")
TLS_VERSIONS = ("TLS1_0", "TLS1_1", "TLS1_2")   # the spec's enum also lists TLS1_3, and says it is not supported
NETWORK_ACCESS = ("Enabled", "Disabled", "SecuredByPerimeter")
MAX_IMMUTABILITY_DAYS = 146000
# Option -> (path in the resource, kind) of what the module manages on the account itself.
FIELDS = {"sku": (("sku", "name"), str), "kind": (("kind",), str),
          "minimum_tls_version": (("properties", "minimumTlsVersion"), str),
          "allow_blob_public_access": (("properties", "allowBlobPublicAccess"), bool),
          "allow_shared_key_access": (("properties", "allowSharedKeyAccess"), bool),
          "public_network_access": (("properties", "publicNetworkAccess"), str),
          "https_only": (("properties", "supportsHttpsTrafficOnly"), bool)}
BLOB_FIELDS = ("delete_retention_days", "container_delete_retention_days", "versioning")


def _encryption_body(value):
    """An account's encryption as a body sends it: without the read-only times and key versions Azure adds
    (EncryptionService.lastEnabledTime; KeyVaultProperties.currentVersionedKeyIdentifier, lastKeyRotationTimestamp,
    currentVersionedKeyExpirationTimestamp)."""
    if not isinstance(value, dict):
        return None
    body = dict(value)
    if isinstance(body.get("services"), dict):
        body["services"] = {name: without("lastEnabledTime")(service) for name, service in body["services"].items()}
    if isinstance(body.get("keyvaultproperties"), dict):
        body["keyvaultproperties"] = without("currentVersionedKeyIdentifier", "lastKeyRotationTimestamp",
                                             "currentVersionedKeyExpirationTimestamp")(body["keyvaultproperties"])
    return body


# StorageAccountPropertiesCreateParameters (2026-09-01): every writable property, those this module manages included
# (a task that leaves one out keeps it as it is); StorageAccountCreateParameters' identity, extendedLocation, zones and
# placement beside them.
ACCOUNT_CARRIED = Carried(
    properties={**dict.fromkeys(("allowedCopyScope", "publicNetworkAccess", "sasPolicy", "keyPolicy", "customDomain",
                                 "networkAcls", "accessTier", "turboTier", "azureFilesIdentityBasedAuthentication",
                                 "supportsHttpsTrafficOnly", "isSftpEnabled", "isLocalUserEnabled", "enableExtendedGroups",
                                 "isHnsEnabled", "largeFileSharesState", "routingPreference", "dualStackEndpointPreference",
                                 "allowBlobPublicAccess", "minimumTlsVersion", "allowSharedKeyAccess", "isNfsV3Enabled",
                                 "allowCrossTenantReplication", "defaultToOAuthAuthentication",
                                 "immutableStorageWithVersioning", "dnsEndpointType", "geoPriorityReplicationStatus",
                                 "allowSharedKeyAccessForServices", "dataCollaborationPolicyProperties",
                                 "allowCrossTenantDelegationSas")),
                "encryption": _encryption_body},
    top_level={"identity": identity_body, "extendedLocation": None, "zones": None, "placement": None})


class EtagAction:
    """A POST action on an immutability policy that needs the policy's current ETag in If-Match (lock, extend): the
    policy is read just before, so the ETag is the one Azure holds after the writes before it."""

    def __init__(self, action: str):
        self.action = action
        self.api_version = API_VERSION
        self.busy_codes = ()

    def start(self, module, what: str, method: str, rid: ResourceId, body: dict | None = None):
        etag = (module.arm.get(str(rid), API_VERSION) or {}).get("etag")
        return module.arm.start(what, method, f"{rid}/{self.action}", API_VERSION, body, headers={"If-Match": etag or "*"})


LOCK, EXTEND = EtagAction("lock"), EtagAction("extend")


def validate_storage(params: dict) -> list | None:
    """Checks before any call; returns the normalised container list (or None when not given)."""
    validate_name(params["resource_group"], "resource_group", "resource group")
    if not NAME_RE.match(params.get("name") or ""):
        raise AzureInputError(f"name: {params.get('name')!r} is not a valid storage account name; Azure allows 3-24 lowercase "
                              "letters and digits (unique across Azure)")
    check_reserved_name(params["name"])
    blob = params.get("blob_service") or {}
    for key in ("delete_retention_days", "container_delete_retention_days"):
        days = blob.get(key)
        if days is not None and not 0 <= days <= 365:
            raise AzureInputError(f"blob_service.{key}: {days} is out of range; 1-365 days keeps deleted items, 0 turns it off")
    containers, seen = [], set()
    for item in params.get("containers") or []:
        name = item["name"]
        if not CONTAINER_RE.match(name or "") or name in seen:
            raise AzureInputError(f"containers: {name!r} is not a container name (3-63 lowercase letters, digits and single "
                                  "hyphens between them, starting and ending with a letter or digit) or is listed twice")
        seen.add(name)
        days, locked = item.get("immutability_period_days"), item.get("immutability_locked")
        if days is not None and not 1 <= days <= MAX_IMMUTABILITY_DAYS:
            raise AzureInputError(f"containers[{name}].immutability_period_days: {days} is out of range 1-{MAX_IMMUTABILITY_DAYS} "
                                  "(7 years is 2556)")
        if locked and days is None:
            raise AzureInputError(f"containers[{name}].immutability_locked needs immutability_period_days (the period to lock)")
        containers.append({k: v for k, v in (("name", name), ("immutability_period_days", days), ("immutability_locked", locked))
                           if v is not None})
    return containers if params.get("containers") is not None else None


def _get(doc: dict, path: tuple):
    for key in path:
        doc = (doc or {}).get(key)
    return doc


def _set(doc: dict, path: tuple, value) -> None:
    for key in path[:-1]:
        doc = doc.setdefault(key, {})
    doc[path[-1]] = value


def account_view(doc: dict | None) -> dict:
    if not doc:
        return {}
    props = doc.get("properties") or {}
    view = {"id": doc.get("id"), "name": doc.get("name"), "location": doc.get("location"), "tags": dict(doc.get("tags") or {}),
            "primary_blob_endpoint": (props.get("primaryEndpoints") or {}).get("blob"),
            "provisioning_state": props.get("provisioningState")}
    view.update({key: _get(doc, path) for key, (path, _kind) in FIELDS.items()})
    return view


def _retention_days(policy: dict | None) -> int:
    """A DeleteRetentionPolicy as days kept; 0 when off."""
    return int(policy.get("days") or 0) if policy and policy.get("enabled") else 0


def _retention_policy(days: int) -> dict:
    return {"enabled": True, "days": days} if days else {"enabled": False}


# BlobServicePropertiesProperties (2026-09-01): what the blob service's PUT (BlobServices_SetServiceProperties, the
# only write it has) carries of the service besides the three settings this module manages (carry.py): CORS, change
# feed, point-in-time restore (its read-only times left out), last-access tracking, ...
BLOB_SERVICE_CARRIED = Carried(properties={**dict.fromkeys(("cors", "defaultServiceVersion", "staticWebsite", "automaticSnapshotPolicyEnabled",
                                                            "changeFeed", "lastAccessTimeTrackingPolicy")),
                                           "restorePolicy": without("minRestoreTime", "lastEnabledTime")})


def blob_service_view(doc: dict | None) -> dict:
    props = (doc or {}).get("properties") or {}
    return {"delete_retention_days": _retention_days(props.get("deleteRetentionPolicy")),
            "container_delete_retention_days": _retention_days(props.get("containerDeleteRetentionPolicy")),
            "versioning": bool(props.get("isVersioningEnabled"))}


def container_view(doc: dict) -> dict:
    props = doc.get("properties") or {}
    policy = (props.get("immutabilityPolicy") or {}).get("properties") or {}
    has = bool(props.get("hasImmutabilityPolicy")) and bool(policy.get("immutabilityPeriodSinceCreationInDays"))
    return {"name": doc.get("name"), "public_access": props.get("publicAccess"),
            "immutability_period_days": policy.get("immutabilityPeriodSinceCreationInDays") if has else None,
            "immutability_locked": policy.get("state") == "Locked" if has else False}


def _account_body(existing: dict | None, given: dict, params: dict, tags: dict) -> dict:
    body = {"location": existing["location"] if existing else params["location"], "tags": tags,
            "sku": {"name": given.get("sku") or _get(existing, ("sku", "name"))},
            "kind": given.get("kind") or (existing or {}).get("kind") or "StorageV2", "properties": {}}
    for key, value in given.items():
        if key not in ("sku", "kind"):
            _set(body, FIELDS[key][0], value)
    return body


def _plan_blob_service(have_doc: dict | None, wanted: dict | None, rid: ResourceId, before: dict, after: dict) -> list:
    if not wanted:
        return []
    have = blob_service_view(have_doc)
    merged = dict(have, **wanted)
    before["blob_service"], after["blob_service"] = {k: have[k] for k in wanted}, dict(wanted)
    if merged == have and have_doc is not None:
        return []
    props = {"deleteRetentionPolicy": _retention_policy(merged["delete_retention_days"]),
             "containerDeleteRetentionPolicy": _retention_policy(merged["container_delete_retention_days"]),
             "isVersioningEnabled": merged["versioning"]}
    body = carry_over(have_doc, {"properties": props}, BLOB_SERVICE_CARRIED)
    return [Child(f"set the blob service of {rid.name}", "PUT", rid.child("blobServices", "default"), body, API)]


def _plan_containers(have_docs: list, wanted: list | None, rid: ResourceId, before: dict, after: dict) -> list:
    merged = merge_keyed(have_docs, wanted, purge=False, view=container_view, key=lambda item: str(item["name"]))
    if wanted is None:
        return []
    before["containers"], after["containers"] = merged.before, merged.after
    have = {d["name"]: container_view(d) for d in have_docs}
    children = []
    service = rid.child("blobServices", "default")
    for want in wanted:
        name, current = want["name"], have.get(want["name"])
        container = service.child("containers", name)
        policy = container.child("immutabilityPolicies", "default")
        if current is None:
            children.append(Child(f"create container {name} in {rid.name}", "PUT", container, {"properties": {"publicAccess": "None"}}, API))
            current = {"immutability_period_days": None, "immutability_locked": False}
        days, lock = want.get("immutability_period_days"), want.get("immutability_locked")
        had_days, locked = current["immutability_period_days"], current["immutability_locked"]
        if locked and lock is False:
            raise AzureInputError(f"containers[{name}]: its immutability policy is locked; Azure cannot unlock it "
                                  "(immutability_locked: false is impossible)")
        if days is None:
            continue
        body = {"properties": {"immutabilityPeriodSinceCreationInDays": days}}
        if locked and days < had_days:
            raise AzureInputError(f"containers[{name}].immutability_period_days: {days} is shorter than the locked policy's "
                                  f"{had_days} days; a locked policy can only be extended, never shortened")
        if locked and days > had_days:
            children.append(Child(f"extend the locked immutability policy of container {name} to {days} days", "POST", policy, body, EXTEND))
        elif not locked and days != had_days:
            children.append(Child(f"set the immutability policy of container {name} to {days} days", "PUT", policy, body, API))
        if lock and not locked:
            children.append(Child(f"lock the immutability policy of container {name} ({days} days; it can never be shortened)",
                                  "POST", policy, None, LOCK))
    return children


def plan_storage(existing: dict | None, related: dict, params: dict, containers: list | None, rid: ResourceId) -> Plan:
    """Create or PUT of the account when an option given differs, then the blob service, containers and their
    immutability policies as child writes, in order (a policy needs its container, a lock its policy)."""
    if existing is None and not params.get("location"):
        raise AzureInputError(f"storage account {params['name']!r} does not exist: location is needed to create it")
    if existing is None and not params.get("sku"):
        raise AzureInputError(f"storage account {params['name']!r} does not exist: sku is needed to create it "
                              f"(one of {', '.join(SKUS)})")
    if existing and params.get("location") and not same_location(existing["location"], params["location"]):
        raise AzureInputError(f"storage account {params['name']!r} is in {existing['location']}; Azure cannot move it to "
                              f"{params['location']}")
    have = account_view(existing)
    given = {key: params[key] for key in FIELDS if params.get(key) is not None}
    if existing and given.get("kind") and given["kind"] != have.get("kind"):
        raise AzureInputError(f"kind: the account is {have.get('kind')}; this module does not change an account's kind "
                              f"(to {given['kind']}): an upgrade is a separate, one-way operation")
    before, after = {}, {}
    for key, value in given.items():
        before[key], after[key] = have.get(key), value
    old_tags = dict((existing or {}).get("tags") or {})
    tags = merge_tags(old_tags, params.get("tags"), params.get("purge_tags", True))
    if params.get("tags") is not None:
        before["tags"], after["tags"] = old_tags, tags
    changed = any(have.get(k) != v for k, v in given.items())
    blob_wanted = {k: v for k, v in (params.get("blob_service") or {}).items() if v is not None}
    children = _plan_blob_service(related.get("blob_service"), blob_wanted, rid, before, after)
    children += _plan_containers(related.get("containers", []), containers, rid, before, after)
    if existing is None:
        return Plan("create", _account_body(None, given, params, tags), {}, after, children)
    if not changed and tags != old_tags:   # tags alone: a PATCH of the tags (StorageAccounts_Update), nothing else written
        return Plan("tags", {"tags": tags}, before, after, children)
    return Plan("put" if changed else "none", _account_body(existing, given, params, tags) if changed else None,
                before, after, children)


class StorageAccount(Resource):
    what = "storage account"
    carried = ACCOUNT_CARRIED
    result_key = "storage_account"
    api = API
    provider_type = ACCOUNT_TYPE
    serial_children = True   # a container before its policy, a policy before its lock

    def validate(self):
        self.params["tags"] = validate_tags(self.params.get("tags"), max_key=STORAGE_ACCOUNT_MAX_TAG_KEY, what="storage account")
        self.containers = validate_storage(self.params)

    def view(self, doc):
        return account_view(doc)

    def read_related(self, rid, existing):
        """The blob service and only the containers the task lists."""
        service = rid.child("blobServices", "default")
        blob = self.module.get_or_none(f"get the blob service of {rid.name}", API.get, self.module, service)
        found = []
        for item in self.containers or []:
            doc = self.module.get_or_none(f"get container {item['name']} of {rid.name}", API.get, self.module,
                                          service.child("containers", item["name"]))
            if doc is not None:
                found.append(doc)
        return {"blob_service": blob, "containers": found}

    def plan(self, existing, related):
        return plan_storage(existing, related, self.params, self.containers, self.resource_id())

    def predict_related(self, related, plan):
        blob = related.get("blob_service")
        containers = {c["name"]: c for c in related.get("containers", [])}
        for child in plan.children:
            types = child.resource_id.types
            if types[-1] == "blobServices":
                blob = dict(blob or {}, properties=dict((blob or {}).get("properties") or {}, **child.body["properties"]))
                continue
            name = child.resource_id.names[2]
            doc = containers.setdefault(name, {"name": name, "properties": {"publicAccess": "None"}})
            if types[-1] != "immutabilityPolicies":
                continue
            props = doc["properties"]
            policy = dict((props.get("immutabilityPolicy") or {}).get("properties") or {"state": "Unlocked"})
            if child.body:
                policy["immutabilityPeriodSinceCreationInDays"] = child.body["properties"]["immutabilityPeriodSinceCreationInDays"]
            if child.api is LOCK:
                policy["state"] = "Locked"
            props.update(hasImmutabilityPolicy=True, immutabilityPolicy={"properties": policy})
        return {"blob_service": blob, "containers": list(containers.values())}

    def result(self, doc, related):
        if not doc:
            return {self.result_key: {}, "blob_service": {}, "containers": []}
        return {self.result_key: account_view(doc), "blob_service": blob_service_view(related.get("blob_service")),
                "containers": [container_view(c) for c in related.get("containers", [])]}
