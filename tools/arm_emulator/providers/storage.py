"""Microsoft.Storage: storage accounts, their blob service, containers and container immutability policies.

Sources: REST spec stable 2026-09-01 (Storage/stable/2026-09-01/openapi.json; the excerpt under specs/ checks the PUT
bodies), learn.microsoft.com azure-resource-manager/troubleshooting/error-storage-account-name (AccountNameInvalid,
StorageAccountInAnotherResourceGroup, StorageAccountAlreadyTaken) and storage/blobs/immutable-time-based-retention-
policy-overview (1-146,000 days; a locked policy can be lengthened up to five times, never shortened or deleted).
docs/emulator.md lists each rule with its source; the status codes, and the codes marked so there, are unverified.

The emulator holds no blobs. A container whose policy is locked is treated as holding protected data: it and its account
cannot be deleted (Azure refuses while immutable blobs remain; an empty container can go), which is stricter than Azure.
"""
from __future__ import annotations

import copy
import re
from datetime import datetime, timezone

from ..errors import ArmError
from ..state import new_etag
from .base import Context, Ref, TagLimits, TopLevelType, answered_identity, refuse_reserved_name, require_dict

NS = "Microsoft.Storage"
ACCOUNT = f"{NS}/storageAccounts"
MAX_DAYS = 146000
MAX_EXTENSIONS = 5


def _bad(message: str, code: str = "InvalidRequestContent", status: int = 400) -> ArmError:
    return ArmError(status, code, message)   # codes unverified unless docs/emulator.md names a source


def _now() -> str:
    return datetime.now(timezone.utc).isoformat().replace("+00:00", "Z")


def _quoted_etag() -> str:
    return f'"{new_etag(weak=False)}"'


def _blob_endpoint(ctx: Context, name: str) -> str:
    """The account's Blob service: the emulator's own data plane (blob_dataplane.py) on its port."""
    port = ctx.base_url.rsplit(":", 1)[1] if ctx.base_url.count(":") > 1 else ""
    return f"https://{name}.blob.storage.localhost" + (f":{port}" if port and port != "443" else "") + "/"


def _tier(sku_name) -> str:
    return "Premium" if str(sku_name or "").startswith("Premium") else "Standard"


def _check_tls(given: dict) -> None:
    if str(given.get("minimumTlsVersion", "")).upper() == "TLS1_3":
        # Azure's answer, quoted in Azure/azure-cli#30022 (docs/emulator.md); the status is presumed 400
        raise _bad("Feature MinimumTlsVersion 1.3 is not supported.", "FeatureNotSupported")


def _encryption(given: dict | None, old: dict | None) -> dict:
    """The account's encryption as Azure answers it: Microsoft-managed keys on blob and file unless given, each enabled
    service with its lastEnabledTime (read-only: kept from before, or now)."""
    out = copy.deepcopy(given) if given else {"keySource": "Microsoft.Storage",
                                              "services": {s: {"enabled": True, "keyType": "Account"} for s in ("blob", "file")}}
    before = (old or {}).get("services") or {}
    for service, settings in (out.get("services") or {}).items():
        if isinstance(settings, dict) and settings.get("enabled"):
            settings["lastEnabledTime"] = (before.get(service) or {}).get("lastEnabledTime") or _now()
    return out


class StorageAccounts(TopLevelType):
    tag_limits = TagLimits(name_length=128)   # tag-resources, Limitations: a storage account's tag names (code unverified)
    namespace, types = NS, ("storageAccounts",)
    top_level_keys = ("sku", "kind", "identity")
    name_pattern = re.compile(r"^[a-z0-9]{3,24}$")

    def validate_name(self, name: str) -> None:
        if not self.name_pattern.match(name):
            raise ArmError(400, "AccountNameInvalid",
                           f"{name} is not a valid storage account name. Storage account name must be between 3 and 24 "
                           "characters in length and use numbers and lower-case letters only.")

    def put(self, ctx: Context, ref: Ref, body: dict) -> tuple[dict, bool]:
        self.validate_name(ref.name)
        refuse_reserved_name(ref.name)   # its own DNS name
        if self.find(ctx, ref) is None:
            same = [d for d in ctx.state.resources.values() if d.get("type", "").lower() == ACCOUNT.lower()
                    and d["name"].lower() == ref.name.lower()]
            mine = f"/subscriptions/{ref.subscription}/".lower()
            if any(d["id"].lower().startswith(mine) for d in same):
                raise ArmError(409, "StorageAccountInAnotherResourceGroup",
                               f"The account {ref.name} is already in another resource group in this subscription.")
            if same:
                raise ArmError(409, "StorageAccountAlreadyTaken", f"The storage account named {ref.name} is already taken.")
        doc, created = super().put(ctx, ref, body)
        if "identity" in doc:
            doc["identity"] = answered_identity(doc["identity"], doc["id"])
        sku = dict(doc.get("sku") or {})
        doc["sku"] = dict(sku, tier=_tier(sku.get("name")))
        return doc, created

    def build_properties(self, ctx: Context, ref: Ref, body: dict, existing: dict | None, location: str) -> dict:
        given = require_dict(body.get("properties"), "properties")
        _check_tls(given)
        old = copy.deepcopy((existing or {}).get("properties") or {})
        # A PUT of an existing account replaces its writable properties: what the body leaves out goes back to its
        # default. The stricter reading: Create's reference says only that "the account properties will be updated",
        # and Terraform's azurerm sends back every property it read (resourceStorageAccountUpdate); unverified.
        props = copy.deepcopy(given)
        name = ref.name
        props.setdefault("supportsHttpsTrafficOnly", True)   # the spec: true by default since 2019-04-01
        # What Azure answers for an account created without them (the spec's example
        # StorageAccountGetPropertiesGeoReplicationStatscanFailoverFalse.json, 2026-09-01): Microsoft-managed keys on
        # blob and file, with a read-only lastEnabledTime, and a firewall that allows every network.
        props.setdefault("networkAcls", {"bypass": "AzureServices", "virtualNetworkRules": [], "ipRules": [],
                                         "defaultAction": "Allow"})
        props["encryption"] = _encryption(props.get("encryption"), old.get("encryption"))
        props.update(provisioningState="Succeeded", creationTime=old.get("creationTime") or _now(),
                     primaryLocation=location, statusOfPrimary="available",
                     primaryEndpoints=dict({s: f"https://{name}.{s}.core.windows.net/" for s in ("queue", "table", "file", "dfs")},
                                           blob=_blob_endpoint(ctx, name)))
        return props

    def patch(self, ctx: Context, ref: Ref, body: dict) -> dict:
        """StorageAccounts_Update (2026-09-01, synchronous): each property given replaces the account's, the others are
        kept (a PATCH; the operation's description, as published, names the SKU, encryption, access tier, tags and a
        custom domain, and says "The update of multiple properties is supported"; merging: unverified); the TLS check as
        on a create."""
        doc = self.get(ctx, ref)
        if body.get("properties") is not None:
            given = copy.deepcopy(require_dict(body["properties"], "properties"))
            _check_tls(given)
            old = doc["properties"]
            if "encryption" in given:
                given["encryption"] = _encryption(given["encryption"], old.get("encryption"))
            doc["properties"] = dict(old, **given)
        if "identity" in body:
            doc["identity"] = answered_identity(body["identity"], doc["id"])
        if isinstance(body.get("sku"), dict) and body["sku"].get("name"):
            doc["sku"] = {"name": body["sku"]["name"], "tier": _tier(body["sku"]["name"])}
        return super().patch(ctx, ref, body)

    def check_delete(self, ctx: Context, doc: dict) -> None:
        refusal = self.refuses_group_delete(ctx, doc)
        if refusal is not None:
            raise refusal

    def refuses_group_delete(self, ctx: Context, doc: dict) -> ArmError | None:
        for child in ctx.state.under(doc["id"]):
            if child.get("type", "").lower().endswith("/immutabilitypolicies") and child["properties"].get("state") == "Locked":
                # Azure's code and message (Azure/azure-powershell#26148, an account's and a group's delete):
                # "<account> is protected from deletion. The container(s) <names> have a locked immutability policy."
                return _bad(f"{doc['name']} is protected from deletion. The container(s) "
                            f"{child['id'].split('/containers/')[1].split('/')[0]} have a locked immutability policy.",
                            "AccountProtectedFromDeletion", 409)
        return None


class _AccountChild(TopLevelType):
    """A child of a storage account stored as its own document, with no location of its own."""

    lro_put = lro_delete = False

    def account_ref(self, ref: Ref) -> Ref:
        return Ref(ref.subscription, ref.resource_group, NS, ("storageAccounts",), ref.names[:1])

    def parent_doc(self, ctx: Context, ref: Ref) -> dict:
        return ctx.handler("/".join((NS,) + self.types[:-1])).get(ctx, ref.parent())

    def new_doc(self, ctx: Context, ref: Ref, existing: dict | None, props: dict) -> dict:
        doc = {"id": existing["id"] if existing else ref.id, "name": existing["name"] if existing else ref.name,
               "type": self.type_name, "etag": _quoted_etag(), "properties": props}
        self.keep_private(existing, doc)
        ctx.state.put(doc)
        return doc


class BlobServices(_AccountChild):
    types = ("storageAccounts", "blobServices")
    namespace = NS
    name_pattern = re.compile(r"^default$")
    name_rule = "The blob service of an account is named 'default'."

    def find(self, ctx: Context, ref: Ref) -> dict | None:
        if ctx.handler(ACCOUNT).find(ctx, ref.parent()) is None or not self.name_pattern.match(ref.name):
            return None
        # Every account has its blob service; unset, soft delete and versioning are off (the spec's defaults: unverified).
        return ctx.state.get(ref.id) or {"id": ref.id, "name": "default", "type": self.type_name,
                                         "properties": copy.deepcopy(self.UNSET)}

    UNSET = {"cors": {"corsRules": []}, "deleteRetentionPolicy": {"enabled": False}, "isVersioningEnabled": False,
             "containerDeleteRetentionPolicy": {"enabled": False}}

    def put(self, ctx: Context, ref: Ref, body: dict) -> tuple[dict, bool]:
        self.validate_name(ref.name)
        self.parent_doc(ctx, ref)
        # A PUT replaces the service's settings: what it leaves out goes back to unset. Whether Azure resets or keeps a
        # setting left out is unverified; resetting is the stricter (a client must send back what it keeps).
        props = dict(copy.deepcopy(self.UNSET), **copy.deepcopy(require_dict(body.get("properties"), "properties")))
        for key in ("deleteRetentionPolicy", "containerDeleteRetentionPolicy"):
            policy = props.get(key) or {}
            if policy.get("enabled") and policy.get("days") is None:
                raise _bad(f"{key}.days is required when {key} is enabled (1-365).")   # rule and code unverified
        return self.new_doc(ctx, ref, ctx.state.get(ref.id), props), False

    def delete_plan(self, ctx: Context, ref: Ref) -> list[str] | None:
        raise ArmError(405, "MethodNotAllowed", "The blob service of a storage account cannot be deleted.")


class Containers(_AccountChild):
    types = ("storageAccounts", "blobServices", "containers")
    namespace = NS
    name_pattern = re.compile(r"^[a-z0-9](?!.*--)[a-z0-9-]{1,61}[a-z0-9]$")
    name_rule = ("Container names have 3-63 lowercase letters, digits and hyphens, start and end with a letter or digit, "
                 "and every hyphen is between letters or digits.")

    def put(self, ctx: Context, ref: Ref, body: dict) -> tuple[dict, bool]:
        self.validate_name(ref.name)
        self.parent_doc(ctx, ref)
        account = ctx.handler(ACCOUNT).get(ctx, self.account_ref(ref))
        existing = self.find(ctx, ref)
        if existing is not None:   # Azure's answer to a create of an existing container: unverified (stricter)
            raise _bad(f"The specified container {ref.name} already exists.", "ContainerAlreadyExists", 409)
        props = copy.deepcopy(require_dict(body.get("properties"), "properties"))
        props["publicAccess"] = self._public_access(account, props)
        props.update(hasImmutabilityPolicy=False, hasLegalHold=False, deleted=False,
                     remainingRetentionDays=0, leaseStatus="Unlocked", leaseState="Available", lastModifiedTime=_now())
        return self.new_doc(ctx, ref, None, props), True

    def patch(self, ctx: Context, ref: Ref, body: dict) -> dict:
        """BlobContainers_Update (2026-09-01): the properties given (metadata, public access, ...) merged into the container,
        public access checked against the account as on a create."""
        doc = self.get(ctx, ref)
        given = copy.deepcopy(require_dict(body.get("properties"), "properties"))
        if "publicAccess" in given:
            given["publicAccess"] = self._public_access(ctx.handler(ACCOUNT).get(ctx, self.account_ref(ref)), given)
        doc["properties"] = dict(doc["properties"], **given, lastModifiedTime=_now())
        doc["etag"] = _quoted_etag()
        ctx.state.put(doc)
        return doc

    @staticmethod
    def _public_access(account: dict, props: dict) -> str:
        access = props.get("publicAccess") or "None"
        if access != "None" and not account["properties"].get("allowBlobPublicAccess", False):
            raise _bad(f"Public access is not permitted on storage account {account['name']}.", "PublicAccessNotPermitted", 409)
        return access

    def check_delete(self, ctx: Context, doc: dict) -> None:
        policy = ((doc["properties"].get("immutabilityPolicy") or {}).get("properties") or {})
        if policy.get("state") == "Locked":
            raise _bad(f"The container {doc['name']} has a locked time-based immutability policy and is treated as holding "
                       "protected blobs: it cannot be deleted.", "Conflict", 409)


class ImmutabilityPolicies(_AccountChild):
    types = ("storageAccounts", "blobServices", "containers", "immutabilityPolicies")
    namespace = NS
    name_pattern = re.compile(r"^default$")
    name_rule = "A container's immutability policy is named 'default'."

    def _container(self, ctx: Context, ref: Ref) -> dict:
        return ctx.handler(f"{NS}/storageAccounts/blobServices/containers").get(ctx, ref.parent())

    def _sync(self, ctx: Context, ref: Ref, doc: dict | None) -> None:
        container = self._container(ctx, ref)
        props = container["properties"]
        if doc is None:
            props.pop("immutabilityPolicy", None)
            props["hasImmutabilityPolicy"] = False
        else:
            props["hasImmutabilityPolicy"] = True
            props["immutabilityPolicy"] = {"etag": doc["etag"], "properties": dict(doc["properties"]),
                                           "updateHistory": list(doc.get("_history", []))}
        container["etag"] = _quoted_etag()
        ctx.state.put(container)

    def _require_etag(self, ctx: Context, doc: dict, what: str) -> None:
        given = ctx.headers.get("if-match")
        # The spec marks If-Match required here. Azure answers a missing one as a wrong one: 412 with this code and
        # message, quoted for a DELETE without an etag in pulumi/pulumi-azure-native PR #2154 (docs/emulator.md).
        if not given or (given != "*" and given != doc["etag"]):
            raise ArmError(412, "ContainerImmutabilityPolicyFailure", "Operation not allowed on immutability policy with incorrect etag.")

    @staticmethod
    def _days(body: dict) -> int:
        days = require_dict(body.get("properties"), "properties").get("immutabilityPeriodSinceCreationInDays")
        if isinstance(days, bool) or not isinstance(days, int) or not 1 <= days <= MAX_DAYS:
            raise _bad(f"immutabilityPeriodSinceCreationInDays {days!r} is out of range: a time-based retention policy "
                       f"keeps blobs 1 to {MAX_DAYS} days.")
        return days

    def _record(self, doc: dict, update: str, days: int) -> None:
        doc.setdefault("_history", []).append({"update": update, "immutabilityPeriodSinceCreationInDays": days, "timestamp": _now()})

    def put(self, ctx: Context, ref: Ref, body: dict) -> tuple[dict, bool]:
        self.validate_name(ref.name)
        self._container(ctx, ref)
        existing = self.find(ctx, ref)
        if existing and existing["properties"].get("state") == "Locked":
            raise _bad("The immutability policy is locked: the only action allowed on a locked policy is "
                       "ExtendImmutabilityPolicy (POST .../extend).", "Conflict", 409)
        days = self._days(body)
        props = dict(copy.deepcopy(body.get("properties") or {}), immutabilityPeriodSinceCreationInDays=days, state="Unlocked")
        doc = self.new_doc(ctx, ref, existing, props)
        self._record(doc, "put", days)
        self._sync(ctx, ref, doc)
        return doc, existing is None

    def post(self, ctx: Context, ref: Ref, action: str, body: dict):
        doc = self.get(ctx, ref)
        props = doc["properties"]
        if action == "lock":
            self._require_etag(ctx, doc, "Locking an immutability policy")
            props["state"] = "Locked"
            self._record(doc, "lock", props["immutabilityPeriodSinceCreationInDays"])
        elif action == "extend":
            self._require_etag(ctx, doc, "Extending an immutability policy")
            if props.get("state") != "Locked":
                raise _bad("Only a locked immutability policy is extended; change an unlocked one with a PUT.", "Conflict", 409)
            days = self._days(body)
            if days <= props["immutabilityPeriodSinceCreationInDays"]:
                raise _bad(f"A locked immutability policy can only be lengthened: {days} days is not longer than "
                           f"{props['immutabilityPeriodSinceCreationInDays']}.")
            if sum(1 for h in doc.get("_history", []) if h["update"] == "extend") >= MAX_EXTENSIONS:
                raise _bad(f"A locked immutability policy can be extended at most {MAX_EXTENSIONS} times.", "Conflict", 409)
            props["immutabilityPeriodSinceCreationInDays"] = days
            self._record(doc, "extend", days)
        else:
            return super().post(ctx, ref, action, body)
        doc["etag"] = _quoted_etag()
        ctx.state.put(doc)
        self._sync(ctx, ref, doc)
        return 200, self.render(ctx, doc)

    def delete_plan(self, ctx: Context, ref: Ref) -> list[str] | None:
        doc = self.find(ctx, ref)
        if doc is None:
            return None
        if doc["properties"].get("state") == "Locked":
            raise _bad("Deleting a locked immutability policy is not allowed.", "Conflict", 409)
        self._require_etag(ctx, doc, "Deleting an immutability policy")
        self._sync(ctx, ref, None)
        return [doc["id"]]


TYPES = [StorageAccounts(), BlobServices(), Containers(), ImmutabilityPolicies()]
