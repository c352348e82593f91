# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The resource engine: one path from options to Azure for every Azure module. PRIVATE to the collection.

    validate (no call) → wait for what must end first (after_operations) → read the resource (or nothing) →
    state=absent deletes → a pure plan (Plan) →
    check mode predicts, diff shows before/after → PUT, or PATCH (tags-only changes as a PATCH of the
    tags) → bounded wait (or start only, wait=false) → child writes → one exit.

A module declares a `Resource` subclass (what it is, how it is reached, its view and its planner) and
calls `run(resource)`. Special cases are hooks with do-nothing defaults: related reads (a zone's
links, a server's databases), child writes, work before a write (a Key Vault's recovery, a server's
network check), a delete refused before it starts (a group Azure would only half delete), work after a
delete (a purge). The runner itself holds no Ansible import: it talks to
`resource.module` (an AzureModule, or the fake of the unit tests).
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field

from ansible_collections.complianceflow.infra.plugins.module_utils._azure.arm import Operation, failures_text, operation_tokens
from ansible_collections.complianceflow.infra.plugins.module_utils._azure.carry import Carried, carry_over
from ansible_collections.complianceflow.infra.plugins.module_utils._azure.errors import error_code
from ansible_collections.complianceflow.infra.plugins.module_utils._azure.ids import ResourceId
from ansible_collections.complianceflow.infra.plugins.module_utils._azure.values import AzureInputError

ACTIONS = ("none", "create", "put", "patch", "tags")


@dataclass
class Child:
    """A write on a child of the resource (a DNS zone's link, a server's database or parameter)."""

    what: str
    method: str                 # PUT | PATCH | DELETE | POST
    resource_id: ResourceId
    body: dict | None = None
    api: object = None          # the child type's Api (GenericApi / SdkApi)


@dataclass
class Plan:
    """What a planner decided. before/after hold only what the user set (the diff)."""

    action: str = "none"
    body: dict | None = None    # the PUT body (create/put) or the PATCH body (patch/tags)
    before: dict = field(default_factory=dict)
    after: dict = field(default_factory=dict)
    children: list = field(default_factory=list)
    notes: list = field(default_factory=list)   # warnings for the user (never secrets)

    def __post_init__(self):
        if self.action not in ACTIONS:
            raise ValueError(f"Plan.action {self.action!r} is not one of {ACTIONS}")

    @property
    def changed(self) -> bool:
        return self.action != "none" or bool(self.children)


def tags_plan(existing: dict | None, body: dict, before: dict, after: dict, changed: bool, tags: dict) -> Plan:
    """The common ending of a planner: create, PUT of `body`, a tags-only PATCH, or nothing."""
    if existing is None:
        return Plan("create", dict(body, tags=tags), {}, after)
    if changed:
        return Plan("put", dict(body, tags=tags), before, after)
    if tags != dict(existing.get("tags") or {}):
        return Plan("tags", {"tags": tags}, before, after)
    return Plan("none", None, before, after)


class Resource:
    """One Azure resource type as a module manages it. Subclasses set the attributes and write
    resource_id(), view() and plan(); the hooks below default to nothing."""

    what = "resource"           # in messages: "create virtual network vnet-1"
    result_key = "resource"     # the module's return key holding view()
    api = None                  # GenericApi or SdkApi of the type
    provider_type = ""          # "Microsoft.Network/virtualNetworks": the default resource_id() from resource_group and name
    tags_method = "PATCH"       # a tags-only change; None sends it as a PUT of the whole body
    serial_children = False     # child writes one at a time (Azure serialises them on one server)
    already_changed = False     # set by a hook that wrote before the plan (a recovered vault)
    carried = Carried()         # what a PUT of an existing resource keeps of it (carry.py)

    def __init__(self, module):
        self.module = module
        self.params = module.params

    # ---- declared per type
    def validate(self) -> None:
        """Input checks that need no Azure call; raise AzureInputError naming the option."""

    def resource_id(self) -> ResourceId:
        return ResourceId.build(self.module.subscription_id, self.params["resource_group"], self.provider_type, self.params["name"])

    def view(self, doc: dict | None) -> dict:
        raise NotImplementedError

    def plan(self, existing: dict | None, related: dict) -> Plan:
        raise NotImplementedError

    # ---- hooks
    def before_plan(self, existing: dict | None, related: dict) -> dict | None:
        """State=present, before the plan: may bring the resource back (a soft-deleted vault) and return it."""
        return existing

    def get(self, rid: ResourceId) -> dict:
        """The resource as ARM returns it (a 404 raises); a type with nothing to read of its own overrides it."""
        return self.api.get(self.module, rid)

    def read_related(self, rid: ResourceId, existing: dict | None) -> dict:
        """Further reads the plan needs (children); called only when the resource exists."""
        return {}

    def check_delete(self, existing: dict, related: dict) -> None:
        """State=absent, before anything is deleted (in check mode too): raise AzureInputError for a delete Azure would
        refuse or leave half-done."""

    def deleted_view(self, existing: dict, related: dict) -> dict:
        """The diff's `before` of a delete."""
        return {k: v for k, v in self.view(existing).items() if k not in ("id", "provisioning_state")}

    def delete_children(self, existing: dict, related: dict) -> list:
        """Children that must go before the resource (Azure refuses to delete a zone with links)."""
        return []

    def after_delete(self, existing: dict | None) -> bool:
        """Work after the delete, also when nothing existed (a purge); True when it changed something."""
        return False

    def before_write(self, existing: dict | None, plan: Plan) -> None:
        """Reads or checks just before the first write (not in check mode)."""

    def children_after_create(self, rid: ResourceId, doc: dict | None, children: list) -> list:
        """A new resource's child writes, once it exists (what Azure gave it could not be read when planning)."""
        del rid, doc
        return children

    def after_write(self, doc: dict | None, plan: Plan) -> None:
        """Work after the writes, before the result (not in check mode; a new vault waits for its URI to answer)."""

    def predict(self, existing: dict | None, plan: Plan) -> dict:
        """The resource as check mode predicts it after the plan."""
        if plan.action in ("create", "put"):
            rid = self.resource_id()
            return dict(copy.deepcopy(plan.body), id=str(rid), name=rid.name)
        if plan.action in ("patch", "tags"):
            return deep_merge(existing or {}, plan.body or {})
        return existing

    def predict_related(self, related: dict, plan: Plan) -> dict:
        """The related reads as check mode predicts them after the plan's child writes."""
        return related

    def result(self, doc: dict | None, related: dict) -> dict:
        """The module's return values besides changed/diff."""
        return {self.result_key: self.view(doc) if doc else {}}


def deep_merge(base: dict, patch: dict) -> dict:
    """`patch` applied over `base` as ARM applies a PATCH: objects merge, anything else replaces."""
    out = copy.deepcopy(base)
    for key, value in patch.items():
        out[key] = deep_merge(out[key], value) if isinstance(value, dict) and isinstance(out.get(key), dict) else copy.deepcopy(value)
    return out


def run(resource: Resource) -> None:
    """Manage the resource as its options say; always ends in exit_json or fail_json."""
    module = resource.module
    rid, existing, related = _validate_and_read(resource)
    if module.params.get("state") == "absent":
        _absent(resource, rid, existing, related)
    revived = resource.before_plan(existing, related)
    if revived is not existing:
        existing, related = revived, resource.read_related(rid, revived) if revived is not None else {}
    with module.validating():
        plan = resource.plan(existing, related)
    if existing is not None and plan.body is not None and (plan.action == "put" or (plan.action == "tags" and not resource.tags_method)):
        plan.body = carry_over(existing, plan.body, resource.carried)
    for note in plan.notes:
        module.warn(note)
    if not plan.changed:
        _exit(resource, resource.already_changed, plan, existing, related)
    if module.check_mode:
        _exit(resource, True, plan, resource.predict(existing, plan), resource.predict_related(related, plan))
    resource.before_write(existing, plan)
    doc = existing
    if plan.action != "none":
        method = "PATCH" if plan.action == "patch" or (plan.action == "tags" and resource.tags_method) else "PUT"
        verb = {"create": "create", "tags": "update tags of"}.get(plan.action, "update")
        what = f"{verb} {resource.what} {rid.name}"
        if module.params.get("wait", True):
            doc = apply(module, resource.api, what, method, rid, plan.body)
        else:
            op = start(module, resource.api, what, method, rid, plan.body)
            if not op.done:
                _exit(resource, True, plan, resource.predict(existing, plan), related, operation=op.token())
            doc = finish(module, op)
    if plan.children and plan.action == "create":
        plan.children = resource.children_after_create(rid, doc, plan.children)
    if plan.children:
        if module.params.get("wait", True) or resource.serial_children:
            apply_children(module, plan.children, serial=resource.serial_children)
        else:   # wait=false: the child writes are started side by side and handed back like the resource's own
            running = [op.token() for op in start_children(module, plan.children) if not op.done]
            if running:
                _exit(resource, True, plan, doc, resource.predict_related(related, plan), operations=running)
    resource.after_write(doc, plan)
    if doc is not None:
        related = resource.read_related(rid, doc)   # what the writes left (a new server's system databases too)
    _exit(resource, True, plan, doc, related)


def inspect(resource: Resource) -> None:
    """Read only (the *_info modules): the resource as its module returns it, with exists; never a write."""
    _rid, existing, related = _validate_and_read(resource)
    resource.module.exit_json(changed=False, exists=existing is not None, **resource.result(existing, related))


def _validate_and_read(resource: Resource) -> tuple:
    """Input checks (no call), what must end first (after_operations), then the resource and its related reads:
    (id, resource or None, related)."""
    module = resource.module
    with module.validating():
        resource.validate()
        rid = resource.resource_id()
        after = operations_after(module.params.get("after_operations"))
    if after:
        await_operations_after(module, after, f"{resource.what} {rid.name}")
    existing = read(resource, rid)
    return rid, existing, resource.read_related(rid, existing) if existing is not None else {}


def operations_after(items: list | None) -> list[Operation]:
    """The operations of option after_operations (tokens, or the registered results of the tasks that started them)."""
    try:
        return [Operation.from_token(token) for token in operation_tokens(items or [], "after_operations")]
    except ValueError as err:
        raise AzureInputError(str(err)) from None


def await_operations_after(module, ops: list[Operation], subject: str) -> None:
    """Wait, in this process, for operations earlier tasks started (with async, the job can start before they end);
    one that failed fails this task before it reads or writes anything, with Azure's code and message."""
    with module.operation(f"wait for {', '.join(op.what for op in ops)} (after_operations of {subject})"):
        failed = module.arm.finish_all(ops, module.deadline())
    if failed:
        module.fail_json(msg=f"after_operations: {failures_text(ops, failed)}; nothing of {subject} was written")


def read(resource: Resource, rid: ResourceId) -> dict | None:
    """The resource, or None when it (or its group) does not exist."""
    return resource.module.get_or_none(f"get {resource.what} {rid.name}", resource.get, rid)


BUSY_FIRST_PAUSE = 5.0   # seconds before the first retry of a write the service refused as busy
BUSY_MAX_PAUSE = 60.0


def _code(err) -> str | None:
    """The ARM error code of an immediate refusal (an SDK exception) or of a failed operation."""
    return error_code(err) or getattr(err, "code", None)


def _busy(api, err) -> bool:
    """Whether `err` is the api's "busy, try again later" answer (an immediate refusal or a failed operation)."""
    code = _code(err)
    return bool(code) and code in getattr(api, "busy_codes", ())


def _call(module, api, what: str, call, done_codes: tuple = ()):
    """call(), inside module.operation(what); answers the api declares as busy are retried with a doubling
    pause until the module's timeout. azure-core's retry policy does not retry them (a 409, or a failed
    long-running operation). An answer whose code is in `done_codes` returns None instead of failing."""
    deadline, pause = module.deadline(), BUSY_FIRST_PAUSE
    while True:
        with module.operation(what):
            try:
                return call()
            except Exception as err:  # pylint: disable=broad-exception-caught  # re-raised unless it is the busy answer
                if _code(err) in done_codes:
                    return None
                if not _busy(api, err) or module.arm.clock() + pause > deadline:
                    raise
        module.warn(f"{what}: the service is busy with another operation; retrying in {pause:.0f} s")
        module.arm.sleep(pause)
        pause = min(pause * 2, BUSY_MAX_PAUSE)


def start(module, api, what: str, method: str, rid: ResourceId, body: dict | None = None):
    """Send one write; the Operation ARM answered (done, or running)."""
    return _call(module, api, what, lambda: api.start(module, what, method, rid, body))


def finish(module, op) -> dict | None:
    with module.operation(op.what):
        return module.arm.finish(op, module.deadline())


def apply(module, api, what: str, method: str, rid, body: dict | None = None, done_codes: tuple = ()) -> dict | None:
    """One write, awaited; a busy refusal, even one that arrives as the failed operation, is retried whole. A refusal
    whose code is in `done_codes` says another caller has already done what this write would: None, not a failure."""
    return _call(module, api, what, lambda: module.arm.finish(api.start(module, what, method, rid, body), module.deadline()),
                 done_codes)


def apply_children(module, children: list, serial: bool) -> list:
    """Child writes: all started, then all awaited (Azure works on them side by side), or one by one."""
    if serial:
        return [apply(module, c.api, c.what, c.method, c.resource_id, c.body) for c in children]
    return [finish(module, op) for op in start_children(module, children)]


def start_children(module, children: list) -> list:
    """Every child write started, none awaited: their Operations."""
    return [start(module, c.api, c.what, c.method, c.resource_id, c.body) for c in children]


def _absent(resource: Resource, rid: ResourceId, existing: dict | None, related: dict) -> None:
    module = resource.module
    if existing is not None:
        with module.validating():
            resource.check_delete(existing, related)
    before = resource.deleted_view(existing, related) if existing is not None else {}
    if existing is not None and not module.check_mode:
        apply_children(module, resource.delete_children(existing, related), serial=resource.serial_children)
        finish(module, start(module, resource.api, f"delete {resource.what} {rid.name}", "DELETE", rid))
    changed = resource.after_delete(existing) or existing is not None
    out = resource.result(None, {})
    if existing is not None and isinstance(out.get(resource.result_key), dict) and not out[resource.result_key]:
        # What was deleted, by its full id (the audit trail's line of a delete names it: docs/audit-trail.md).
        out[resource.result_key] = {"id": existing.get("id") or str(rid)}
    module.exit_with(changed, before, {}, **out)


def _exit(resource: Resource, changed: bool, plan: Plan, doc: dict | None, related: dict, **extra) -> None:
    resource.module.exit_with(changed, plan.before, plan.after, **resource.result(doc, related), **extra)


@dataclass
class KeyedMerge:
    """merge_keyed's answer: the list to send and what changed, with diff views."""

    items: list
    added: list
    updated: list
    removed: list
    before: list
    after: list

    @property
    def changed(self) -> bool:
        return bool(self.added or self.updated or self.removed)


def merge_keyed(existing: list, wanted: list | None, *, purge: bool, view, build=None, same=None,
                key=lambda item: str(item["name"]).lower()) -> KeyedMerge:
    """Merge a list of named things (subnets, rules, links, databases, parameters) with what exists.

    `view(existing_item)` gives an item in the wanted items' terms; an item is unchanged when every key
    the user set equals the view's (`same(view, wanted)` overrides). `build(existing_item or None,
    wanted)` makes the item to send (default: the wanted item). Existing items not listed are kept, or
    removed with `purge`. before/after list the listed items (and the removed ones) for the diff.
    """
    build = build or (lambda _old, want: want)
    same = same or (lambda have, want: all(have.get(k) == v for k, v in want.items()))
    have = {key(item): item for item in existing}
    if wanted is None:
        return KeyedMerge(list(existing), [], [], [], [], [])
    items, added, updated, before, after, listed = [], [], [], [], [], set()
    for want in wanted:
        k = key(want)
        listed.add(k)
        current = have.get(k)
        after.append(want)
        if current is None:
            added.append(want)
            items.append(build(None, want))
            continue
        current_view = view(current)
        before.append({name: current_view.get(name) for name in want})
        if same(current_view, want):
            items.append(current)
        else:
            updated.append(want)
            items.append(build(current, want))
    removed = []
    for k, item in have.items():
        if k in listed:
            continue
        if purge:
            removed.append(item)
            before.append(view(item))
        else:
            items.append(item)
    return KeyedMerge(items, added, updated, removed, before, after)
