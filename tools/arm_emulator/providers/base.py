"""What a resource provider file implements, and the two storage shapes it can reuse.

A resource type is addressed by a Ref (subscription, resource group, namespace, type path,
names). TopLevelType stores one document per resource in the state; NestedType stores children
inline in the parent's properties list (subnets in a VNet, rules in an NSG), which is also how
ARM returns them. A provider module subclasses these and lists its types in TYPES.
"""
from __future__ import annotations

import copy
import re
import uuid
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from ..errors import ArmError, invalid_request, location_required, nested_not_found, resource_not_found
from ..identity import DEFAULT_TENANT
from ..state import new_etag

if TYPE_CHECKING:
    from ..config import Config
    from ..state import State


@dataclass(frozen=True)
class Ref:
    """An ARM resource address. names has one entry per type (an item) or one less (a collection)."""

    subscription: str
    resource_group: str | None
    namespace: str
    types: tuple[str, ...]
    names: tuple[str, ...]

    @property
    def is_collection(self) -> bool:
        return len(self.names) < len(self.types)

    @property
    def name(self) -> str:
        return self.names[-1]

    @property
    def type_name(self) -> str:
        return "/".join((self.namespace,) + self.types)

    @property
    def scope(self) -> str:
        scope = f"/subscriptions/{self.subscription}"
        return f"{scope}/resourceGroups/{self.resource_group}" if self.resource_group else scope

    @property
    def id(self) -> str:
        if self.type_name.lower() == "microsoft.resources/resourcegroups":
            return f"/subscriptions/{self.subscription}/resourceGroups/{self.names[0]}"
        pairs = "/".join(f"{t}/{n}" for t, n in zip(self.types, self.names))
        return f"{self.scope}/providers/{self.namespace}/{pairs}"

    def parent(self) -> "Ref":
        depth = len(self.types) - 1
        return Ref(self.subscription, self.resource_group, self.namespace, self.types[:depth], self.names[:depth])


@dataclass
class Context:
    """What a provider sees of one request."""

    state: "State"
    config: "Config"
    base_url: str
    api_version: str
    headers: dict
    request_id: str
    registry: dict
    query: dict = field(default_factory=dict)
    # A provider that accepts a write Azure fails later sets this: the write's operation ends Failed with it
    # ({"code", "message", "status"}), as Azure reports such errors in the operation, not in the first answer.
    failure: dict | None = None

    def handler(self, type_name: str) -> "ResourceType":
        return self.registry[type_name.lower()]

    def find(self, resource_id: str) -> dict | None:
        return self.state.find(resource_id)


def answered_identity(identity: Any, resource_id: str) -> Any:
    """A managed identity as Azure answers it: its type and user-assigned ids as given, with the read-only principalId
    and tenantId of a system-assigned one and each user-assigned one's principalId and clientId (ManagedServiceIdentity
    in common-types and in each RP's spec). The ids derive from the resource's and the identities' ids, so a write that
    sends the identity back (without them) keeps them."""
    if not isinstance(identity, dict) or identity.get("type") in (None, "None"):
        return identity
    out = {"type": identity["type"]}
    if "SystemAssigned" in str(identity["type"]):
        out.update(principalId=str(uuid.uuid5(uuid.NAMESPACE_URL, resource_id.lower())), tenantId=DEFAULT_TENANT)
    if identity.get("userAssignedIdentities"):
        out["userAssignedIdentities"] = {
            key: {"principalId": str(uuid.uuid5(uuid.NAMESPACE_URL, key.lower() + "#principal")),
                  "clientId": str(uuid.uuid5(uuid.NAMESPACE_URL, key.lower() + "#client"))}
            for key in identity["userAssignedIdentities"]}
    return out


def public(doc: Any) -> Any:
    """A deep copy without the emulator's private keys (those starting with '_')."""
    if isinstance(doc, dict):
        return {k: public(v) for k, v in doc.items() if not k.startswith("_")}
    if isinstance(doc, list):
        return [public(v) for v in doc]
    return copy.deepcopy(doc)


def require_dict(value: Any, what: str) -> dict:
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise invalid_request(f"{what} must be a JSON object, got {type(value).__name__}.")
    return value


@dataclass(frozen=True)
class TagLimits:
    """Tag limits of a type (docs/emulator.md): 50 tags, names of 512 characters, unless the type's are smaller."""

    count: int = 50
    name_length: int = 512
    count_error: tuple = ("InvalidTemplate", "The number of tags exceeds the limit of {count}.")


# Learn, azure-resource-manager/troubleshooting/error-reserved-resource-name: a resource with an accessible endpoint
# (a DNS name) may not be named with these words, checked at the create (even with the endpoint off). A name that is
# one of them; one that holds microsoft or windows anywhere; one that starts with login. Transcribed here apart from
# the collection's own list (module_utils/_azure/values.py), and a test holds the two equal.
RESERVED_WORDS = frozenset(
    "access app_code app_themes app_data app_globalresources app_localresources app_webreferences app_browsers azure "
    "bing bizspark biztalk cortana directx dotnet dynamics excel exchange forefront groove hololens hyperv kinect lync "
    "msdn o365 office office365 onedrive onenote outlook powerpoint sharepoint skype visio visualstudio web.config "
    "xbox".split())
RESERVED_SUBSTRINGS = ("microsoft", "windows")
RESERVED_PREFIXES = ("login",)


def refuse_reserved_name(name: str) -> None:
    """Azure's code and message for such a name (the same Learn page; the status, 400: unverified)."""
    lower = name.lower()
    if lower in RESERVED_WORDS or any(w in lower for w in RESERVED_SUBSTRINGS) or lower.startswith(RESERVED_PREFIXES):
        raise ArmError(400, "ReservedResourceName",
                       f"The resource name {name} or a part of the name is a trademarked or reserved word.")


def check_tags(tags: Any, limits: TagLimits = TagLimits()) -> dict:
    tags = require_dict(tags, "tags")
    if len(tags) > limits.count:
        code, message = limits.count_error
        raise ArmError(400, code, message.format(count=limits.count))
    for key, value in tags.items():
        if len(key) > limits.name_length or any(c in "<>%&\\?/" or ord(c) < 32 or ord(c) == 127 for c in key):
            raise ArmError(400, "InvalidTagNameCharacters",
                           f"The tag names '{key}' have reserved characters '<,>,%,&,\\,?,/' or control characters.")
        if not isinstance(value, str):
            raise ArmError(400, "InvalidTagValue", f"The value of tag '{key}' must be a string.")
        if len(value) > 256:   # Azure's code and message: Azure-Samples/azure-search-openai-demo#1997
            raise ArmError(400, "InvalidTagValueLength", f"Tag value too large. Following tag value '{value}' exceeded the "
                           "maximum length. Maximum allowed length for tag value - '256' characters.")
    return dict(tags)


class ResourceType:
    """One ARM resource type. Subclasses implement find/put/delete_plan/list (or reuse below)."""

    namespace = ""
    types: tuple[str, ...] = ()
    tag_limits = TagLimits()
    lro_put = True       # PUT is a long-running operation in the SDK (begin_create_or_update)
    lro_patch = False    # PATCH too (begin_update); update_tags is synchronous for network types
    lro_delete = True
    always_async = False  # every write answers 202 + Azure-AsyncOperation, even without latency (DBforPostgreSQL)
    deleting_state = "Deleting"
    in_progress_state = "Updating"

    @property
    def type_name(self) -> str:
        return "/".join((self.namespace,) + self.types)

    def find(self, ctx: Context, ref: Ref) -> dict | None:
        raise NotImplementedError

    def get(self, ctx: Context, ref: Ref) -> dict:
        doc = self.find(ctx, ref)
        if doc is None:
            raise self.not_found(ref)
        return doc

    def not_found(self, ref: Ref) -> ArmError:
        return resource_not_found(self.type_name, "/".join(ref.names), ref.resource_group or "")

    def put(self, ctx: Context, ref: Ref, body: dict) -> tuple[dict, bool]:
        raise NotImplementedError

    def patch(self, ctx: Context, ref: Ref, body: dict) -> dict:
        """Default PATCH: tags only (update_tags / resource group update)."""
        doc = self.get(ctx, ref)
        if "tags" in body:
            doc["tags"] = check_tags(body["tags"], self.tag_limits)
        doc["etag"] = new_etag(weak="etag" in doc and str(doc["etag"]).startswith("W/"))
        return doc

    def delete_plan(self, ctx: Context, ref: Ref) -> list[str] | None:
        """Ids to remove when ref is deleted (itself first), or None when it does not exist."""
        raise NotImplementedError

    def list(self, ctx: Context, ref: Ref) -> list[dict]:
        raise NotImplementedError

    def render(self, ctx: Context, doc: dict) -> dict:
        return public(doc)

    def post(self, ctx: Context, ref: Ref, action: str, body: dict) -> tuple[int, Any]:
        raise ArmError(400, "InvalidAction", f"The action '{action}' is not supported on '{self.type_name}'.")

    def check_busy(self, ctx: Context, ref: Ref) -> None:
        """Raise when the service refuses a write now because another operation runs (one at a time)."""

    def check_put(self, ctx: Context, ref: Ref) -> None:
        """Raise when the RP refuses a PUT before the resource is looked up (its own answer to a missing parent)."""


class TopLevelType(ResourceType):
    """A resource stored as its own document: id, name, type, location, tags, etag, properties."""

    name_pattern = re.compile(r"^[A-Za-z0-9_](?:[A-Za-z0-9_.-]{0,78}[A-Za-z0-9_])?$")
    name_rule = ("The name can be up to 80 characters long. It must begin with a word character, and it must "
                 "end with a word character or with '_'. The name may contain word characters or '.', '-', '_'.")
    weak_etag = True
    fixed_location: str | None = None   # e.g. "global" for private DNS zones
    top_level_keys: tuple[str, ...] = ()  # extra top-level keys kept from the body (sku, kind, identity)

    def validate_name(self, name: str, pattern: re.Pattern | None = None, rule: str | None = None) -> None:
        """The type's name rule, or another one given (a nested part whose rule differs: a VNet's subnets)."""
        if not (pattern or self.name_pattern).match(name):
            raise ArmError(400, "InvalidResourceName", f"Resource name {name} is invalid. {rule or self.name_rule}")

    def find(self, ctx: Context, ref: Ref) -> dict | None:
        return ctx.state.get(ref.id)

    def list(self, ctx: Context, ref: Ref) -> list[dict]:
        return ctx.state.of_type(self.type_name, ref.parent().id if len(ref.types) > 1 else ref.scope)

    def build_properties(self, ctx: Context, ref: Ref, body: dict, existing: dict | None,
                         location: str) -> dict:
        """Validate and normalise body['properties']; subclasses add their rules."""
        return dict(require_dict(body.get("properties"), "properties"), provisioningState="Succeeded")

    def put(self, ctx: Context, ref: Ref, body: dict) -> tuple[dict, bool]:
        self.validate_name(ref.name)
        existing = self.find(ctx, ref)
        location = body.get("location")
        if not location:
            raise location_required()
        location = str(location)
        if self.fixed_location and location.lower() != self.fixed_location:
            raise ArmError(400, "LocationNotAvailableForResourceType",
                           f"The provided location '{location}' is not available for resource type "
                           f"'{self.type_name}'. List of available regions for the resource type is "
                           f"'{self.fixed_location}'.")
        if existing and _norm_location(existing["location"]) != _norm_location(location):
            raise ArmError(400, "InvalidResourceLocation",
                           f"The resource '{ref.name}' already exists in location '{existing['location']}' in "
                           f"resource group '{ref.resource_group}'. A resource with the same name cannot be "
                           f"created in location '{location}'. Please select a new resource name.")
        doc = {
            "id": existing["id"] if existing else ref.id,
            "name": existing["name"] if existing else ref.name,
            "type": self.type_name,
            "location": existing["location"] if existing else location,
            "tags": check_tags(body.get("tags"), self.tag_limits),
            "etag": new_etag(self.weak_etag),
            "properties": self.build_properties(ctx, ref, body, existing, location),
        }
        for key in self.top_level_keys:
            if key in body:
                doc[key] = copy.deepcopy(body[key])
        self.keep_private(existing, doc)
        ctx.state.put(doc)
        return doc, existing is None

    def keep_private(self, existing: dict | None, doc: dict) -> None:
        """Carry the emulator's private bookkeeping across a replace (PUT)."""
        if existing:
            for key, value in existing.items():
                if key.startswith("_"):
                    doc[key] = value

    def check_delete(self, ctx: Context, doc: dict) -> None:
        """Raise when the resource may not be deleted (in use)."""

    def refuses_group_delete(self, ctx: Context, doc: dict) -> ArmError | None:
        """Why this resource survives its resource group's delete (which then fails), or None: not the in-use checks
        above, which a group's delete passes over, but a provider's own refusal (data under retention)."""
        return None

    def delete_plan(self, ctx: Context, ref: Ref) -> list[str] | None:
        doc = self.find(ctx, ref)
        if doc is None:
            return None
        self.check_delete(ctx, doc)
        return [doc["id"]] + [child["id"] for child in ctx.state.under(doc["id"])]


class NestedType(ResourceType):
    """A child kept inline in its parent's properties[list_key] (subnets, security rules)."""

    parent_type = ""   # e.g. "Microsoft.Network/virtualNetworks"
    list_key = ""      # e.g. "subnets"

    def parent_handler(self, ctx: Context) -> TopLevelType:
        return ctx.handler(self.parent_type)  # type: ignore[return-value]

    def parent_doc(self, ctx: Context, ref: Ref) -> dict:
        return self.parent_handler(ctx).get(ctx, ref.parent())

    def children(self, parent: dict) -> list[dict]:
        return parent.setdefault("properties", {}).setdefault(self.list_key, [])

    def find(self, ctx: Context, ref: Ref) -> dict | None:
        parent = self.parent_handler(ctx).find(ctx, ref.parent())
        if parent is None:
            return None
        return next((c for c in self.children(parent) if c["name"].lower() == ref.name.lower()), None)

    def get(self, ctx: Context, ref: Ref) -> dict:
        parent = self.parent_doc(ctx, ref)
        found = next((c for c in self.children(parent) if c["name"].lower() == ref.name.lower()), None)
        if found is None:
            raise nested_not_found(f"{parent['id']}/{self.types[-1]}/{ref.name}")
        return found

    def list(self, ctx: Context, ref: Ref) -> list[dict]:
        return list(self.children(self.parent_doc(ctx, ref)))

    def delete_plan(self, ctx: Context, ref: Ref) -> list[str] | None:
        parent = self.parent_handler(ctx).find(ctx, ref.parent())
        if parent is None:
            raise self.parent_handler(ctx).not_found(ref.parent())
        doc = self.find(ctx, ref)
        if doc is None:
            return None
        self.check_delete(ctx, parent, doc)
        return [doc["id"]]

    def check_delete(self, ctx: Context, parent: dict, doc: dict) -> None:
        """Raise when the child may not be deleted (in use)."""


def _norm_location(location: str) -> str:
    return location.replace(" ", "").lower()
