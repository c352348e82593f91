"""Microsoft.EventHub: Event Hubs namespaces, their event hubs and the hubs' consumer groups.

Sources (docs/emulator.md lists each rule with its source; the status codes of the refusals are unverified):
- REST spec Microsoft.EventHub stable 2026-01-01, openapi.json (the readme's default tag package-2026-01; vendored as an
  excerpt under specs/Microsoft.EventHub/2026-01-01/): the namespace name (path parameter: minLength 6, maxLength 50,
  pattern ^[a-zA-Z][a-zA-Z0-9-]{6,50}[a-zA-Z0-9]$, so 8-50 characters), the event hub name (1-256), the consumer group
  name (1-50); the namespace PUT, PATCH and DELETE are long-running, an event hub's and a consumer group's PUT answer
  200 and their DELETE 200/204; SKUs Basic, Standard, Premium; publicNetworkAccess defaults to Enabled.
- learn.microsoft.com/azure/resource-manager/management/resource-name-rules (Microsoft.EventHub): an event hub or
  consumer group name holds letters, digits, periods, hyphens and underscores and starts and ends with a letter or digit.
- learn.microsoft.com/azure/event-hubs/event-hubs-quotas: consumer groups per event hub Basic 1, Standard 20,
  Premium 100 (the $Default group counts); partitions per event hub 32 in Basic and Standard; retention Basic 1 day.
- learn.microsoft.com/azure/event-hubs/event-hubs-faq: retention up to 7 days in Standard, 90 in Premium; the pricing
  tier cannot change after deployment.
- learn.microsoft.com/azure/event-hubs/dynamically-add-partitions: partitions can be added only in the Premium and
  Dedicated tiers (so a Basic or Standard event hub keeps its partition count); partitions are never removed.
- learn.microsoft.com/azure/event-hubs/compare-tiers (cited by event-hubs-quotas): the Kafka endpoint is not offered in
  Basic (kafkaEnabled false there).
"""
from __future__ import annotations

import re
from datetime import datetime, timezone

from ..errors import ArmError
from .base import Context, Ref, TopLevelType, refuse_reserved_name, require_dict

NS = "Microsoft.EventHub"
NAMESPACE_TYPE = f"{NS}/namespaces"
HUB_TYPE = f"{NS}/namespaces/eventhubs"
SKUS = ("Basic", "Standard", "Premium")
ENTITY = re.compile(r"^[A-Za-z0-9](?:[A-Za-z0-9._-]*[A-Za-z0-9])?$")
MAX_RETENTION_DAYS = {"Basic": 1, "Standard": 7, "Premium": 90}
MAX_PARTITIONS = {"Basic": 32, "Standard": 32}
MAX_CONSUMER_GROUPS = {"Basic": 1, "Standard": 20, "Premium": 100}
DEFAULT_GROUP = "$Default"


def _bad(message: str, code: str = "BadRequest", status: int = 400) -> ArmError:
    return ArmError(status, code, message)   # codes unverified (docs/emulator.md)


def _now() -> str:
    return datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def _sku_of(ctx: Context, namespace_ref: Ref) -> str:
    return (ctx.handler(NAMESPACE_TYPE).get(ctx, namespace_ref).get("sku") or {}).get("name", "Standard")


class Namespaces(TopLevelType):
    namespace, types = NS, ("namespaces",)
    lro_patch = True
    name_pattern = re.compile(r"^(?=.{6,50}$)[a-zA-Z][a-zA-Z0-9-]{6,50}[a-zA-Z0-9]$")
    name_rule = ("The namespace name can contain only letters, numbers and hyphens, must start with a letter and end "
                 "with a letter or number, and has 8-50 characters (REST spec 2026-01-01 pattern "
                 "^[a-zA-Z][a-zA-Z0-9-]{6,50}[a-zA-Z0-9]$, maxLength 50).")
    top_level_keys = ("sku", "identity")

    def validate_name(self, name: str, pattern=None, rule=None) -> None:
        super().validate_name(name, pattern, rule)
        refuse_reserved_name(name)   # its own DNS name

    def build_properties(self, ctx: Context, ref: Ref, body: dict, existing: dict | None, location: str) -> dict:
        sku = require_dict(body.get("sku"), "sku")
        if sku.get("name") not in SKUS:
            raise _bad(f"The SKU '{sku.get('name')}' is not valid for an Event Hubs namespace: Basic, Standard or Premium.")
        old_sku = ((existing or {}).get("sku") or {}).get("name")
        if old_sku and old_sku != sku["name"]:
            # Azure allows Basic <-> Standard (docs/emulator.md); refused here too: stricter, as the module never asks.
            raise _bad(f"Namespace {ref.name} is {old_sku}: the pricing tier of a namespace cannot change after it is "
                       f"created (to {sku['name']}).")
        capacity = sku.get("capacity", 1)
        if sku["name"] in ("Basic", "Standard") and not 1 <= capacity <= 40:
            raise _bad(f"sku.capacity {capacity}: a {sku['name']} namespace has 1-40 throughput units.")
        props = dict(require_dict(body.get("properties"), "properties"))
        if props.get("isAutoInflateEnabled"):
            if sku["name"] != "Standard":
                raise _bad("Auto-inflate is available only in the Standard tier.")
            top = props.get("maximumThroughputUnits") or 0
            if not capacity <= top <= 40:
                raise _bad(f"maximumThroughputUnits {top} must be between the namespace's throughput units ({capacity}) and 40 "
                           "when auto-inflate is enabled.")
        old = (existing or {}).get("properties", {})
        out = {"publicNetworkAccess": "Enabled", "disableLocalAuth": False, "minimumTlsVersion": "1.2",
               "isAutoInflateEnabled": False, "maximumThroughputUnits": 0, "zoneRedundant": True}
        out.update(old)
        out.update(props)
        out.update(kafkaEnabled=sku["name"] != "Basic", provisioningState="Succeeded", status="Active",
                   serviceBusEndpoint=f"https://{ref.name.lower()}.servicebus.windows.net:443/",
                   metricId=f"{ref.subscription}:{ref.name.lower()}", createdAt=old.get("createdAt") or _now(),
                   updatedAt=_now(), privateEndpointConnections=old.get("privateEndpointConnections", []))
        body["sku"] = dict(sku, tier=sku["name"], capacity=capacity)
        return out

    def patch(self, ctx: Context, ref: Ref, body: dict) -> dict:   # Namespaces_Update: sku, properties, identity, tags
        doc = self.get(ctx, ref)
        merged = {"sku": dict(doc.get("sku") or {}, **require_dict(body.get("sku"), "sku")),
                  "properties": dict(doc["properties"], **require_dict(body.get("properties"), "properties"))}
        doc["properties"] = self.build_properties(ctx, ref, merged, doc, doc["location"])
        doc["sku"] = merged["sku"]
        if "identity" in body:
            doc["identity"] = body["identity"]
        return super().patch(ctx, ref, body)


class _Child(TopLevelType):
    """A proxy resource below a namespace (no location, no tags), stored as its own document."""

    lro_put = False
    lro_delete = False
    max_length = 256

    def validate_name(self, name: str) -> None:
        if not (1 <= len(name) <= self.max_length and ENTITY.match(name)):
            raise _bad(f"The name '{name}' is invalid: 1-{self.max_length} letters, digits, periods, hyphens and underscores, "
                       "starting and ending with a letter or digit.", "InvalidResourceName")

    def _namespace_ref(self, ref: Ref) -> Ref:
        return Ref(ref.subscription, ref.resource_group, NS, ("namespaces",), ref.names[:1])

    def find(self, ctx: Context, ref: Ref) -> dict | None:
        ctx.handler(self.parent_type).get(ctx, ref.parent())   # a missing parent is a 404 naming it
        return ctx.state.get(ref.id)

    def list(self, ctx: Context, ref: Ref) -> list[dict]:
        ctx.handler(self.parent_type).get(ctx, ref.parent())
        return ctx.state.of_type(self.type_name, ref.parent().id)

    def properties(self, ctx: Context, ref: Ref, props: dict, old: dict | None) -> dict:
        raise NotImplementedError

    def put(self, ctx: Context, ref: Ref, body: dict) -> tuple[dict, bool]:
        self.validate_name(ref.name)
        existing = self.find(ctx, ref)
        props = require_dict(body.get("properties"), "properties")
        old = (existing or {}).get("properties")
        doc = {"id": ref.id, "name": ref.name, "type": self.type_name, "location": self._location(ctx, ref),
               "properties": dict(self.properties(ctx, ref, props, old), createdAt=(old or {}).get("createdAt") or _now(),
                                  updatedAt=_now())}
        ctx.state.put(doc)
        return doc, existing is None

    def _location(self, ctx: Context, ref: Ref) -> str:
        return ctx.handler(NAMESPACE_TYPE).get(ctx, self._namespace_ref(ref))["location"]


class EventHubs(_Child):
    namespace, types, parent_type = NS, ("namespaces", "eventhubs"), NAMESPACE_TYPE

    def check_put(self, ctx: Context, ref: Ref) -> None:
        # Azure's answer to an event hub in a missing namespace (Learn, event-hubs/resource-manager-exceptions,
        # BadRequest); a GET there, and a consumer group of a missing event hub, keep ARM's 404 (unverified)
        if ctx.state.get(ref.parent().id) is None:
            raise _bad(f"The namespace '{ref.parent().name}' doesn't exist.")

    def properties(self, ctx: Context, ref: Ref, props: dict, old: dict | None) -> dict:
        sku = _sku_of(ctx, ref.parent())
        if old is None:
            count = len(ctx.state.of_type(self.type_name, ref.parent().id))
            if sku in ("Basic", "Standard") and count >= 10:   # Azure's answer: resource-manager-exceptions, Conflict 40300
                raise _bad(f"The maximum number of resources of type EventHub has been reached or exceeded. Actual: {count}, "
                           "Max allowed: 10", "Conflict", 409)
        partitions = props.get("partitionCount", (old or {}).get("partitionCount", 4))
        if sku in MAX_PARTITIONS and not 1 <= partitions <= MAX_PARTITIONS[sku]:
            raise _bad(f"partitionCount {partitions}: an event hub of a {sku} namespace has 1-{MAX_PARTITIONS[sku]} partitions.")
        if old is not None and partitions != old["partitionCount"]:
            if partitions < old["partitionCount"]:
                raise _bad(f"Event hub {ref.name} has {old['partitionCount']} partitions: partitions cannot be removed "
                           f"(asked {partitions}).")
            if sku in ("Basic", "Standard"):
                raise _bad(f"Event hub {ref.name} has {old['partitionCount']} partitions: partitions can be added only in "
                           f"the Premium and Dedicated tiers, not in {sku} (asked {partitions}).")
        days = props.get("messageRetentionInDays", (old or {}).get("messageRetentionInDays", 1))
        if not 1 <= days <= MAX_RETENTION_DAYS[sku]:
            raise _bad(f"messageRetentionInDays {days}: a {sku} namespace keeps events 1-{MAX_RETENTION_DAYS[sku]} days.")
        # A PUT replaces the hub's other settings (Capture, status, metadata): what it leaves out is unset. Whether Azure
        # resets or keeps them is unverified; resetting is the stricter.
        kept = {key: value for key, value in (old or {}).items() if key in ("createdAt", "identifier")}
        return {**kept, **props, "partitionCount": partitions, "messageRetentionInDays": days,
                "status": props.get("status", "Active"), "partitionIds": [str(i) for i in range(partitions)]}


class ConsumerGroups(_Child):
    namespace, types, parent_type = NS, ("namespaces", "eventhubs", "consumergroups"), HUB_TYPE
    max_length = 50

    def _default(self, ctx: Context, ref: Ref) -> dict:
        hub = ref.parent()
        rid = f"{hub.id}/consumergroups/{DEFAULT_GROUP}"
        return {"id": rid, "name": DEFAULT_GROUP, "type": self.type_name, "location": self._location(ctx, ref),
                "properties": {"createdAt": None, "updatedAt": None}}

    def find(self, ctx: Context, ref: Ref) -> dict | None:
        found = super().find(ctx, ref)
        return found if found is not None or ref.name.lower() != DEFAULT_GROUP.lower() else self._default(ctx, ref)

    def list(self, ctx: Context, ref: Ref) -> list[dict]:
        return [self._default(ctx, ref)] + super().list(ctx, ref)

    def validate_name(self, name: str) -> None:
        if name.lower() == DEFAULT_GROUP.lower():
            return
        super().validate_name(name)

    def properties(self, ctx: Context, ref: Ref, props: dict, old: dict | None) -> dict:
        if old is None and ref.name.lower() != DEFAULT_GROUP.lower():
            sku = _sku_of(ctx, self._namespace_ref(ref))
            count = 1 + len(ctx.state.of_type(self.type_name, ref.parent().id))
            if sku == "Basic" and count >= MAX_CONSUMER_GROUPS[sku]:   # Azure's answer: resource-manager-exceptions
                raise _bad(f"The operation can't be done on entity type 'ConsumerGroup' because the namespace "
                           f"'{self._namespace_ref(ref).name}' is using 'Basic' tier.")
            if count >= MAX_CONSUMER_GROUPS[sku]:
                raise _bad(f"Event hub {ref.parent().name} has {count} consumer groups ($Default included): a {sku} namespace "
                           f"allows {MAX_CONSUMER_GROUPS[sku]} per event hub.", "QuotaExceeded")
        meta = props.get("userMetadata", (old or {}).get("userMetadata"))
        if meta is not None and len(meta) > 1024:
            raise _bad("userMetadata has more than 1024 characters.")
        return {} if meta is None else {"userMetadata": meta}

    def delete_plan(self, ctx: Context, ref: Ref) -> list[str] | None:
        if ref.name.lower() == DEFAULT_GROUP.lower():
            raise _bad("The $Default consumer group cannot be deleted.")
        return super().delete_plan(ctx, ref)


TYPES = [Namespaces(), EventHubs(), ConsumerGroups()]
