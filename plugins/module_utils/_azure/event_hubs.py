# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Event Hubs namespaces with their event hubs (Kafka topics), for the resource engine. PRIVATE to the collection.

Sources (docs/emulator.md lists them with the emulator's behaviour):
- REST spec Microsoft.EventHub stable 2026-01-01, openapi.json (Azure/azure-rest-api-specs, commit
  e207d99e1bbeb95994e06766f192887f17b10abb; the newest stable version, the readme's default tag package-2026-01): the
  namespace PUT, PATCH (body EHNamespace) and DELETE are long-running; an event hub's PUT (EventHubs_CreateOrUpdate, no
  PATCH) answers 200; the namespace name path parameter (minLength 6, maxLength 50, pattern
  ^[a-zA-Z][a-zA-Z0-9-]{6,50}[a-zA-Z0-9]$: 8-50 characters), the event hub name 1-256; SKUs Basic, Standard, Premium;
  sku.capacity, isAutoInflateEnabled, maximumThroughputUnits, minimumTlsVersion, disableLocalAuth ("disables SAS
  authentication"), publicNetworkAccess (default Enabled), partitionCount, messageRetentionInDays.
- learn.microsoft.com/azure/event-hubs/event-hubs-faq: a namespace's pricing tier cannot change after deployment;
  retention up to 7 days in Standard, 90 in Premium.
- learn.microsoft.com/azure/event-hubs/event-hubs-quotas: 32 partitions per event hub and 10 event hubs per namespace in
  Basic and Standard; Basic keeps events 1 day; up to 40 throughput units.
- learn.microsoft.com/azure/event-hubs/dynamically-add-partitions: partitions can be added only in the Premium and
  Dedicated tiers; none can be removed.
- learn.microsoft.com/azure/event-hubs/event-hubs-auto-inflate: auto-inflate is a Standard tier feature, up to the
  maximum throughput units set.
- learn.microsoft.com/azure/event-hubs/compare-tiers (via event-hubs-quotas): no Kafka endpoint in Basic.
- learn.microsoft.com/azure/azure-resource-manager/management/resource-name-rules (Microsoft.EventHub): event hub
  names are letters, digits, periods, hyphens and underscores, starting and ending with a letter or digit.
The status codes of these refusals are not documented; the module refuses before any call.
"""

from __future__ import annotations

import re

from ansible_collections.complianceflow.infra.plugins.module_utils._azure.arm import GenericApi
from ansible_collections.complianceflow.infra.plugins.module_utils._azure.carry import Carried, carry_over
from ansible_collections.complianceflow.infra.plugins.module_utils._azure.ids import ResourceId
from ansible_collections.complianceflow.infra.plugins.module_utils._azure.runner import Child, Plan, Resource, deep_merge, merge_keyed
from ansible_collections.complianceflow.infra.plugins.module_utils._azure.values import (
    AzureInputError, check_reserved_name, merge_tags, same_location, validate_name, validate_tags)

NAMESPACE_TYPE = "Microsoft.EventHub/namespaces"
API = GenericApi("2026-01-01")   # no SDK: ARM's generic operations (docs/resource-engine.md)
NAMESPACE_RE = re.compile(r"^(?=.{6,50}$)[a-zA-Z][a-zA-Z0-9-]{6,50}[a-zA-Z0-9]$")
ENTITY_RE = re.compile(r"^[A-Za-z0-9](?:[A-Za-z0-9._-]*[A-Za-z0-9])?$")
SKUS = ("Basic", "Standard", "Premium")
MAX_RETENTION_DAYS = {"Basic": 1, "Standard": 7, "Premium": 90}
MAX_PARTITIONS = {"Basic": 32, "Standard": 32}
MAX_HUBS = {"Basic": 10, "Standard": 10}
FIXED_PARTITIONS = ("Basic", "Standard")   # partitions are added only in Premium (and Dedicated)
# Option -> path in the namespace document.
FIELDS = {"sku": ("sku", "name"), "capacity": ("sku", "capacity"),
          "minimum_tls_version": ("properties", "minimumTlsVersion"),
          "disable_local_auth": ("properties", "disableLocalAuth"),
          "public_network_access": ("properties", "publicNetworkAccess"),
          "auto_inflate": ("properties", "isAutoInflateEnabled"),
          "maximum_throughput_units": ("properties", "maximumThroughputUnits")}
HUB_FIELDS = {"partition_count": "partitionCount", "message_retention_in_days": "messageRetentionInDays"}
# EventhubProperties (2026-01-01): what a hub's PUT (its only write) carries of the hub besides HUB_FIELDS (carry.py):
# Capture to storage, its status, timestamps, metadata. Not retentionDescription, which would compete with
# messageRetentionInDays.
HUB_CARRIED = Carried(properties=dict.fromkeys(("captureDescription", "status", "messageTimestampDescription", "userMetadata")))
# A new namespace gets these when the option is not given (secure where Azure's default is not: SAS keys and public access).
DEFAULTS = {"sku": "Standard", "capacity": 1, "minimum_tls_version": "1.2", "disable_local_auth": True,
            "public_network_access": "Disabled"}


def validate_namespace_name(name, what: str = "name") -> str:
    if not isinstance(name, str) or not NAMESPACE_RE.match(name):
        raise AzureInputError(f"{what}: {name!r} is not a valid Event Hubs namespace name; Azure allows 8-50 letters, digits and "
                              "hyphens (the REST spec's pattern), starting with a letter and ending with a letter or digit")
    check_reserved_name(name, what)
    return name


def validate_entity_name(name, what: str, maximum: int) -> str:
    if not isinstance(name, str) or not 1 <= len(name) <= maximum or not ENTITY_RE.match(name):
        raise AzureInputError(f"{what}: {name!r} is not a valid name; Azure allows 1-{maximum} letters, digits, periods, "
                              "hyphens and underscores, starting and ending with a letter or digit")
    return name


def validate_event_hubs_namespace(params: dict) -> list | None:
    """Checks before any call; the normalised event hub list (or None)."""
    validate_name(params["resource_group"], "resource_group", "resource group")
    validate_namespace_name(params["name"])
    sku = params.get("sku")
    capacity = params.get("capacity")
    if capacity is not None and sku in ("Basic", "Standard", None) and not 1 <= capacity <= 40:
        raise AzureInputError(f"capacity: {capacity} throughput units is out of range 1-40")
    top = params.get("maximum_throughput_units")
    if top is not None and not 0 <= top <= 40:
        raise AzureInputError(f"maximum_throughput_units: {top} is out of range 0-40")
    if params.get("auto_inflate") and sku not in (None, "Standard"):
        raise AzureInputError(f"auto_inflate: auto-inflate is a Standard tier feature, not {sku}")
    if params.get("auto_inflate") and (top or 0) < (capacity or 1):
        raise AzureInputError(f"maximum_throughput_units: {top!r} must be at least the namespace's throughput units "
                              f"({capacity or 1}) when auto_inflate is true")
    if params.get("event_hubs") is None:
        return None
    hubs, seen = [], set()
    for hub in params["event_hubs"]:
        name = validate_entity_name(hub.get("name"), "event_hubs[].name", 256)
        if name.lower() in seen:
            raise AzureInputError(f"event_hubs: {name!r} is listed twice")
        seen.add(name.lower())
        wanted = {"name": name}
        count = hub.get("partition_count")
        if count is not None:
            if count < 1 or count > MAX_PARTITIONS.get(sku or "Standard", 10**6):
                raise AzureInputError(f"event_hubs[{name}].partition_count: {count} is out of range 1-"
                                      f"{MAX_PARTITIONS.get(sku or 'Standard')} for a {sku or 'Standard'} namespace")
            wanted["partition_count"] = count
        days = hub.get("message_retention_in_days")
        if days is not None:
            if not 1 <= days <= MAX_RETENTION_DAYS[sku or "Standard"]:
                raise AzureInputError(f"event_hubs[{name}].message_retention_in_days: {days} is out of range 1-"
                                      f"{MAX_RETENTION_DAYS[sku or 'Standard']} for a {sku or 'Standard'} namespace")
            wanted["message_retention_in_days"] = days
        hubs.append(wanted)
    if sku in MAX_HUBS and len(hubs) > MAX_HUBS[sku]:
        raise AzureInputError(f"event_hubs: {len(hubs)} event hubs listed; a {sku} namespace holds at most {MAX_HUBS[sku]}")
    return hubs


def _get(doc: dict | None, path: tuple):
    for key in path:
        doc = (doc or {}).get(key)
    return doc


def namespace_view(doc: dict | None) -> dict:
    if not doc:
        return {}
    props = doc.get("properties") or {}
    view = {"id": doc.get("id"), "name": doc.get("name"), "location": doc.get("location"), "tags": dict(doc.get("tags") or {}),
            "kafka_enabled": props.get("kafkaEnabled"), "service_bus_endpoint": props.get("serviceBusEndpoint"),
            "status": props.get("status"), "provisioning_state": props.get("provisioningState")}
    view.update({key: _get(doc, path) for key, path in FIELDS.items()})
    return view


def hub_view(doc: dict) -> dict:
    props = doc.get("properties") or {}
    return {"name": doc.get("name"), "id": doc.get("id"), "partition_count": props.get("partitionCount"),
            "message_retention_in_days": props.get("messageRetentionInDays"), "status": props.get("status")}


def plan_namespace(existing: dict | None, hubs: list, params: dict, hubs_wanted: list | None, rid: ResourceId) -> Plan:
    """Create (PUT), a PATCH of the options given that differ, or nothing; then a PUT per event hub that is missing or
    differs (an event hub has no PATCH: its PUT carries its current values with the changes)."""
    if existing is None and not params.get("location"):
        raise AzureInputError(f"Event Hubs namespace {params['name']!r} does not exist: location is needed to create it")
    if existing and params.get("location") and not same_location(existing["location"], params["location"]):
        raise AzureInputError(f"Event Hubs namespace {params['name']!r} is in {existing['location']}; Azure cannot move it to "
                              f"{params['location']}")
    have = namespace_view(existing)
    given = {key: params[key] for key in FIELDS if params.get(key) is not None}
    if existing and given.get("sku") and given["sku"] != have.get("sku"):
        raise AzureInputError(f"sku: namespace {params['name']} is {have.get('sku')}; this module does not change a namespace's "
                              f"pricing tier (to {given['sku']}): Azure refuses a change to or from Premium (create a new "
                              "namespace), and a change between Basic and Standard, which Azure allows, is left to the portal "
                              "or the CLI (a Basic namespace keeps 1 day of events and one consumer group per hub)")
    sku = given.get("sku") or have.get("sku") or DEFAULTS["sku"]
    old_tags = dict((existing or {}).get("tags") or {})
    tags = merge_tags(old_tags, params.get("tags"), params.get("purge_tags", True))
    before, after = {}, {}
    children = _hub_children(hubs, hubs_wanted, sku, rid, before, after)
    if existing is None:
        wanted = dict(DEFAULTS, **given)
        after.update(given, **({"tags": tags} if params.get("tags") is not None else {}))
        sku_body = {"name": wanted["sku"], "tier": wanted["sku"], "capacity": wanted["capacity"]}
        body = {"location": params["location"], "tags": tags, "sku": sku_body, "properties": {}}
        for key, path in FIELDS.items():
            if path[0] == "properties" and key in wanted:
                body["properties"][path[1]] = wanted[key]
        return Plan("create", body, {}, after, children)
    patch = {}
    for key, value in given.items():
        before[key], after[key] = have.get(key), value
        if have.get(key) != value:
            path = FIELDS[key]
            patch = deep_merge(patch, {path[0]: {path[1]: value}})
    if "sku" in patch:   # capacity changes travel with the SKU's name (required by the spec's Sku)
        patch["sku"] = dict(patch["sku"], name=have["sku"])
    if params.get("tags") is not None:
        before["tags"], after["tags"] = old_tags, tags
        if tags != old_tags:
            patch["tags"] = tags
    return Plan("patch" if patch else "none", patch or None, before, after, children)


def _hub_children(hubs: list, hubs_wanted: list | None, sku: str, rid: ResourceId, before: dict, after: dict) -> list:
    merged = merge_keyed(hubs, hubs_wanted, purge=False, view=hub_view)
    if hubs_wanted is None:
        return []
    docs = {str(h.get("name", "")).lower(): h for h in hubs}
    views = {name: hub_view(h) for name, h in docs.items()}
    for want in merged.updated:
        have = views[want["name"].lower()]
        count = want.get("partition_count", have["partition_count"])
        if count < (have["partition_count"] or 0):
            raise AzureInputError(f"event_hubs[{want['name']}].partition_count: the event hub has {have['partition_count']} "
                                  f"partitions; Azure never removes partitions (asked {count})")
        if count != have["partition_count"] and sku in FIXED_PARTITIONS:
            raise AzureInputError(f"event_hubs[{want['name']}].partition_count: the event hub has {have['partition_count']} "
                                  f"partitions; a {sku} namespace cannot add partitions (only Premium and Dedicated can): "
                                  "create a new event hub instead")
    total = len({h["name"].lower() for h in hubs_wanted} | set(views))
    if total > MAX_HUBS.get(sku, 10**6):
        raise AzureInputError(f"event_hubs: the namespace would hold {total} event hubs; a {sku} namespace holds at most {MAX_HUBS[sku]}")
    before["event_hubs"], after["event_hubs"] = merged.before, merged.after
    children = []
    for want in merged.added + merged.updated:
        have = views.get(want["name"].lower(), {})
        props = {field: want.get(key, have.get(key)) for key, field in HUB_FIELDS.items() if want.get(key, have.get(key)) is not None}
        verb = "create" if want in merged.added else "update"
        body = carry_over(docs.get(want["name"].lower()), {"properties": props}, HUB_CARRIED)
        children.append(Child(f"{verb} event hub {want['name']} of {rid.name}", "PUT", rid.child("eventhubs", want["name"]), body, API))
    return children


class EventHubsNamespace(Resource):
    what = "Event Hubs namespace"
    result_key = "namespace"
    api = API
    provider_type = NAMESPACE_TYPE

    def validate(self):
        self.params["tags"] = validate_tags(self.params.get("tags"))
        self.hubs = validate_event_hubs_namespace(self.params)

    def view(self, doc):
        return namespace_view(doc)

    def read_related(self, rid, existing):
        return {"event_hubs": self.module.get_or_none(f"list the event hubs of {rid.name}", API.list, self.module, rid, "eventhubs") or []}

    def plan(self, existing, related):
        return plan_namespace(existing, related.get("event_hubs", []), self.params, self.hubs, self.resource_id())

    def predict_related(self, related, plan):
        hubs = {str(h.get("name", "")).lower(): h for h in related.get("event_hubs", [])}
        for child in plan.children:
            name = child.resource_id.name
            old = hubs.get(name.lower(), {"id": str(child.resource_id), "name": name, "properties": {"status": "Active"}})
            hubs[name.lower()] = dict(old, properties=dict(old.get("properties") or {}, **child.body["properties"]))
        return {"event_hubs": list(hubs.values())}

    def result(self, doc, related):
        return {self.result_key: namespace_view(doc) if doc else {},
                "event_hubs": [hub_view(h) for h in related.get("event_hubs", [])] if doc else []}
