# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""One consumer group on the event hubs of a namespace (a subscriber of every hub), for the resource engine. PRIVATE to
the collection.

The namespace is read, never written: the hubs are what the namespace has (ConsumerGroups are its hubs' children), so a
subscriber follows the publisher's hubs instead of a copy of their list. state=present puts the group on each hub that
lacks it, state=absent deletes it from each hub that has it; the engine sees the namespace as present (read only) and
the consumer groups as child writes.

Sources (docs/emulator.md lists them with the emulator's behaviour):
- REST spec Microsoft.EventHub stable 2026-01-01, openapi.json (commit e207d99e1bbeb95994e06766f192887f17b10abb):
  ConsumerGroups_CreateOrUpdate (PUT, 200, body ConsumerGroup with properties.userMetadata), ConsumerGroups_Delete
  (200/204), EventHubs_ListByNamespace; the consumer group name 1-50 characters.
- learn.microsoft.com/azure/azure-resource-manager/management/resource-name-rules (Microsoft.EventHub): letters, digits,
  periods, hyphens and underscores, starting and ending with a letter or digit (so $Default, which every event hub has,
  cannot be managed here).
- learn.microsoft.com/azure/event-hubs/event-hubs-quotas: consumer groups per event hub Basic 1, Standard 20,
  Premium 100; userMetadata holds up to 1024 characters (the spec's description).
"""

from __future__ import annotations

from ansible_collections.complianceflow.infra.plugins.module_utils._azure.event_hubs import (
    API, NAMESPACE_TYPE, validate_entity_name, validate_namespace_name)
from ansible_collections.complianceflow.infra.plugins.module_utils._azure.ids import ResourceId
from ansible_collections.complianceflow.infra.plugins.module_utils._azure.runner import Child, Plan, Resource
from ansible_collections.complianceflow.infra.plugins.module_utils._azure.values import AzureInputError, validate_name

GROUPS = "consumergroups"


def validate_consumer_group(params: dict) -> None:
    validate_name(params["resource_group"], "resource_group", "resource group")
    validate_namespace_name(params["namespace"], "namespace")
    validate_entity_name(params["name"], "name", 50)
    for hub in params.get("event_hubs") or []:
        validate_entity_name(hub, "event_hubs[]", 256)
    meta = params.get("user_metadata")
    if meta is not None and len(meta) > 1024:
        raise AzureInputError(f"user_metadata: {len(meta)} characters; Azure keeps at most 1024")


def group_view(hub: dict, group: dict) -> dict:
    return {"event_hub": hub.get("name"), "id": group.get("id"),
            "user_metadata": (group.get("properties") or {}).get("userMetadata")}


def plan_consumer_group(namespace: dict | None, hubs: list, groups: dict, params: dict, state: str, rid: ResourceId) -> Plan:
    """`groups`: lower-cased hub name -> the group's document on that hub (or None). Children: PUT on each hub that lacks
    the group (or holds other user metadata), DELETE on each hub that has it (state=absent)."""
    if namespace is None:
        message = (f"Event Hubs namespace {params['namespace']} does not exist in {params['resource_group']}: consumer group "
                   f"{params['name']} is not {'removed' if state == 'absent' else 'added'} (the namespace comes from its "
                   "global deployment)")
        if state == "absent" or params.get("missing_namespace") == "skip":
            return Plan("none", None, {}, {}, notes=[message] if state == "present" else [])
        raise AzureInputError(message + "; deploy the global deployment first")
    names = {str(h.get("name", "")).lower(): h for h in hubs}
    listed = params.get("event_hubs")
    if listed is not None:
        missing = [h for h in listed if h.lower() not in names]
        if missing:
            raise AzureInputError(f"event_hubs: {', '.join(missing)} not found in namespace {params['namespace']}; it has "
                                  f"{', '.join(sorted(h['name'] for h in hubs)) or 'no event hubs'}")
    targets = [names[h.lower()] for h in listed] if listed is not None else sorted(hubs, key=lambda h: str(h.get("name", "")).lower())
    meta = params.get("user_metadata")

    def metadata(group):
        return (group.get("properties") or {}).get("userMetadata")

    # The diff: each event hub that has the group, with the group's user metadata.
    have = {h["name"]: metadata(groups[h["name"].lower()]) for h in targets if groups.get(h["name"].lower()) is not None}
    children = []
    for hub in targets:
        group = groups.get(hub["name"].lower())
        gid = rid.child("eventhubs", hub["name"]).child(GROUPS, params["name"])
        if state == "absent":
            if group is not None:
                children.append(Child(f"delete consumer group {params['name']} of event hub {hub['name']}", "DELETE", gid, None, API))
            continue
        if group is None or (meta is not None and metadata(group) != meta):
            body = {"properties": {"userMetadata": meta} if meta is not None else {}}
            verb = "create" if group is None else "update"
            children.append(Child(f"{verb} consumer group {params['name']} of event hub {hub['name']}", "PUT", gid, body, API))
    after = {} if state == "absent" else {h["name"]: meta if meta is not None else have.get(h["name"]) for h in targets}
    return Plan("none", None, {"event_hubs": have}, {"event_hubs": after}, children)


class EventHubsConsumerGroup(Resource):
    what = "Event Hubs namespace"
    result_key = "consumer_group"
    api = API
    provider_type = NAMESPACE_TYPE

    def validate(self):
        validate_consumer_group(self.params)
        # The state is the consumer group's; the namespace itself is only read (never deleted): the engine is told
        # "present" so that it plans (and predicts) the child writes, and the option is restored in plan().
        self.state = self.params["state"]
        self.params["state"] = "present"

    def resource_id(self) -> ResourceId:
        return ResourceId.build(self.module.subscription_id, self.params["resource_group"], NAMESPACE_TYPE, self.params["namespace"])

    def view(self, doc):
        return {"id": doc.get("id"), "name": doc.get("name")} if doc else {}

    def read_related(self, rid, existing):
        hubs = self.module.get_or_none(f"list the event hubs of {rid.name}", API.list, self.module, rid, "eventhubs") or []
        groups = {}
        for hub in hubs:
            if self.params.get("event_hubs") is not None and hub["name"].lower() not in {h.lower() for h in self.params["event_hubs"]}:
                continue
            gid = rid.child("eventhubs", hub["name"]).child(GROUPS, self.params["name"])
            groups[hub["name"].lower()] = self.module.get_or_none(f"get consumer group {self.params['name']} of {hub['name']}",
                                                                  API.get, self.module, gid)
        return {"event_hubs": hubs, "groups": groups}

    def plan(self, existing, related):
        self.params["state"] = self.state
        self.namespace_exists = existing is not None
        return plan_consumer_group(existing, related.get("event_hubs", []), related.get("groups", {}), self.params, self.state,
                                   self.resource_id())

    def predict_related(self, related, plan):
        groups = dict(related.get("groups", {}))
        for child in plan.children:
            hub = child.resource_id.parent.name.lower()
            if child.method == "DELETE":   # a delete has no body
                groups[hub] = None
                continue
            groups[hub] = {"id": str(child.resource_id), "name": child.resource_id.name, "properties": dict(child.body["properties"])}
        return dict(related, groups=groups)

    def result(self, doc, related):
        hubs = {str(h.get("name", "")).lower(): h for h in related.get("event_hubs", [])}
        on = [group_view(hubs[k], g) for k, g in sorted(related.get("groups", {}).items()) if g is not None and k in hubs]
        return {self.result_key: {"name": self.params["name"], "namespace": self.params["namespace"], "event_hubs": on},
                "namespace_exists": doc is not None}
