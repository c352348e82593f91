"""The resource engine in-process: runner, ARM client and LRO loop against a fake ARM endpoint.

The subject is real (runner.run, ArmClient with its polling loop, GenericApi, merge_keyed); only the
HTTP transport under ArmClient and the Ansible module around the runner are fakes, so these tests
see every request the engine sends and every exit it makes.
"""
from __future__ import annotations

import contextlib
import json
from urllib.parse import urlparse

import pytest
from azure.core.exceptions import AzureError, ResourceNotFoundError

from ansible_collections.complianceflow.infra.plugins.module_utils._azure.arm import (
    ArmClient, GenericApi, Operation, OperationFailed, OperationTimeout)
from ansible_collections.complianceflow.infra.plugins.module_utils._azure.carry import Carried, identity_body, ids_only, only_true, without
from ansible_collections.complianceflow.infra.plugins.module_utils._azure.ids import ResourceId
from ansible_collections.complianceflow.infra.plugins.module_utils._azure.runner import (
    Child, Resource, merge_keyed, run, tags_plan)
from ansible_collections.complianceflow.infra.plugins.module_utils._azure.values import AzureInputError, merge_tags

BASE = "https://arm.test"
SUB = "00000000-0000-0000-0000-000000000001"
API = GenericApi("2024-01-01")


class FakeResponse:
    def __init__(self, status, body=None, headers=None):
        self.status_code, self.headers, self.reason = status, dict(headers or {}), "fake"
        self._text = json.dumps(body) if body is not None else ""
        self.content_type = "application/json"

    def text(self, encoding=None):
        return self._text

    def json(self):
        return json.loads(self._text)

    def body(self):
        return self._text.encode()


class FakeArm:
    """A tiny ARM: resources by id, writes that can be slow (N polls) or fail, a request log."""

    def __init__(self):
        self.resources, self.log, self.ops, self.slow, self.fail, self.busy = {}, [], {}, {}, {}, {}

    def send_request(self, request):
        url = urlparse(request.url)
        path, method = url.path, request.method
        self.log.append((method, path))
        if path.startswith("/ops/"):
            op = self.ops[path]
            op["polls"] -= 1
            if op["polls"] > 0:
                return FakeResponse(200, {"status": "InProgress"}, {"Retry-After": "1"})
            if op.get("error"):
                return FakeResponse(200, {"status": "Failed", "error": op["error"]})
            if op["method"] == "DELETE":
                self.resources.pop(op["id"], None)
            return FakeResponse(200, {"status": "Succeeded"})
        key = path.lower()
        if method == "GET" and path.endswith("/children"):
            return FakeResponse(200, {"value": [d for k, d in self.resources.items() if k.startswith(key[:-len("/children")] + "/children/")]})
        if method == "GET":
            doc = self.resources.get(key)
            return FakeResponse(200, doc) if doc else FakeResponse(404, {"error": {"code": "ResourceNotFound", "message": f"{path} not found"}})
        body = json.loads(request.content) if request.content else {}
        name = path.rsplit("/", 1)[-1]
        if self.busy.get(name):
            self.busy[name] -= 1
            return FakeResponse(409, {"error": {"code": "ServerIsBusy", "message": "busy processing another operation"}})
        if method == "PUT":
            created = key not in self.resources
            props = dict(body.get("properties") or {}, provisioningState="Succeeded")
            self.resources[key] = dict(body, id=path, name=path.rsplit("/", 1)[-1], properties=props)
        elif method == "PATCH":
            self.resources[key] = dict(self.resources[key], **body)
        elif method == "DELETE" and key not in self.resources:
            return FakeResponse(204)
        name = path.rsplit("/", 1)[-1]
        if name in self.fail or name in self.slow:
            op_path = f"/ops/{len(self.ops)}"
            self.ops[op_path] = {"polls": self.slow.get(name, 1), "method": method, "id": key, "error": self.fail.get(name)}
            return FakeResponse(201 if method == "PUT" else 202, None if method == "DELETE" else self.resources[key],
                                {"Azure-AsyncOperation": BASE + op_path, "Retry-After": "1"})
        if method == "DELETE":
            del self.resources[key]
            return FakeResponse(200)
        return FakeResponse(201 if method == "PUT" and created else 200, self.resources[key])

    def writes(self):
        return [(m, p) for m, p in self.log if m in ("PUT", "PATCH", "DELETE", "POST")]


class Exit(Exception):
    def __init__(self, result):
        super().__init__(result.get("msg", ""))
        self.result = result


class FakeModule:
    """What the runner uses of AzureModule, with the real error paths reduced to a raised Exit."""

    def __init__(self, fake, params, check_mode=False, diff=True, timeout=30):
        self.params = dict({"state": "present", "timeout": timeout}, **params)
        self.check_mode, self.diff_mode, self.subscription_id, self.warnings = check_mode, diff, SUB, []
        self.clock = [0.0]
        self.sleeps = []

        def sleep(seconds):
            self.sleeps.append(seconds)
            self.clock[0] += seconds

        self.arm = ArmClient(fake, BASE, sleep=sleep, clock=lambda: self.clock[0])

    def fail_json(self, **result):
        raise Exit(dict(result, failed=True))

    def exit_json(self, **result):
        raise Exit(result)

    def exit_with(self, changed, before, after, **result):
        if self.diff_mode:
            result["diff"] = {"before": before, "after": after if changed else before}
        self.exit_json(changed=changed, **result)

    def warn(self, msg):
        self.warnings.append(msg)

    def deadline(self):
        return self.clock[0] + self.params["timeout"]

    @contextlib.contextmanager
    def validating(self):
        try:
            yield
        except AzureInputError as err:
            self.fail_json(msg=str(err))

    @contextlib.contextmanager
    def operation(self, what):
        try:
            yield
        except OperationFailed as err:
            self.fail_json(msg=f"{what} failed: {err.code}: {err.message}")
        except OperationTimeout as err:
            self.fail_json(msg=f"{what}: timed out (status {err.status})")
        except (AzureError, ValueError) as err:
            self.fail_json(msg=f"{what} failed: {err}")

    def get_or_none(self, what, func, *args):
        with self.operation(what):
            try:
                return func(*args)
            except ResourceNotFoundError:
                return None


class Widget(Resource):
    """A made-up resource type: a size, tags, and children listed in `children`."""

    what = "widget"
    result_key = "widget"
    api = API

    def validate(self):
        if self.params.get("size") is not None and not 1 <= self.params["size"] <= 10:
            raise AzureInputError(f"size: {self.params['size']} is out of range 1-10")

    def resource_id(self):
        return ResourceId.build(SUB, "rg", "Test.Widgets/widgets", self.params["name"])

    def view(self, doc):
        return {"name": doc["name"], "size": doc["properties"].get("size"), "tags": doc.get("tags") or {}}

    def read_related(self, rid, existing):
        return {"children": self.module.arm.list(f"{rid}/children", API.api_version)}

    def plan(self, existing, related):
        size = (existing or {}).get("properties", {}).get("size")
        want = self.params.get("size")
        changed = want is not None and want != size
        tags = merge_tags((existing or {}).get("tags"), self.params.get("tags"), True)
        body = {"location": "westeurope", "properties": {"size": want if want is not None else size}}
        plan = tags_plan(existing, body, {"size": size}, {"size": want}, changed, tags)
        wanted = [{"name": n} for n in self.params.get("children") or []]
        merged = merge_keyed(related.get("children", []), wanted, purge=True, view=lambda c: {"name": c["name"]})
        rid = self.resource_id()
        plan.children = [Child(f"add child {c['name']}", "PUT", rid.child("children", c["name"]), {"properties": {}}, API) for c in merged.added]
        plan.children += [Child(f"remove child {c['name']}", "DELETE", rid.child("children", c["name"]), None, API) for c in merged.removed]
        return plan


def execute(fake, check_mode=False, module=None, **params):
    """Run the Widget module once; its exit (or failure) result."""
    module = module or FakeModule(fake, dict({"name": "w1"}, **params), check_mode=check_mode)
    with pytest.raises(Exit) as caught:
        run(Widget(module))
    return caught.value.result


WIDGET = "/subscriptions/00000000-0000-0000-0000-000000000001/resourceGroups/rg/providers/Test.Widgets/widgets/w1"


def test_create_then_second_run_sends_no_write():
    fake = FakeArm()
    result = execute(fake, size=3, tags={"a": "1"})
    assert result["changed"] is True and result["widget"] == {"name": "w1", "size": 3, "tags": {"a": "1"}}
    assert result["diff"] == {"before": {}, "after": {"size": 3}}
    assert fake.writes() == [("PUT", WIDGET)]
    fake.log.clear()
    result = execute(fake, size=3, tags={"a": "1"})
    assert result["changed"] is False and fake.writes() == []


def test_check_mode_predicts_and_writes_nothing():
    fake = FakeArm()
    result = execute(fake, check_mode=True, size=3)
    assert result["changed"] is True and result["widget"]["size"] == 3
    assert fake.writes() == [] and fake.resources == {}


def test_tags_only_change_is_a_patch_of_the_tags():
    fake = FakeArm()
    execute(fake, size=3, tags={"a": "1"})
    fake.log.clear()
    result = execute(fake, size=3, tags={"a": "2"})
    assert result["changed"] is True and fake.writes() == [("PATCH", WIDGET)]
    assert fake.resources[WIDGET.lower()]["tags"] == {"a": "2"} and fake.resources[WIDGET.lower()]["properties"]["size"] == 3


def test_a_real_change_is_a_put_of_the_whole_body():
    fake = FakeArm()
    execute(fake, size=3, tags={"a": "1"})
    fake.log.clear()
    result = execute(fake, size=4)
    assert result["diff"] == {"before": {"size": 3}, "after": {"size": 4}}
    assert fake.writes() == [("PUT", WIDGET)] and fake.resources[WIDGET.lower()]["tags"] == {"a": "1"}


class CarryingWidget(Widget):
    """A widget whose type carries a writable colour, a link (its id alone) and an identity through a PUT."""

    carried = Carried(properties={"color": None, "link": ids_only, "ports": without("etag"), "glow": only_true, "hum": only_true},
                      top_level={"identity": identity_body})


def test_a_put_of_an_existing_resource_carries_what_the_module_does_not_manage():
    fake = FakeArm()
    execute(fake, size=3)
    stored = fake.resources[WIDGET.lower()]
    # as Azure answers it: read-only principalId, tenantId and each user-assigned identity's principalId and clientId
    uami = "/subscriptions/s/resourceGroups/g/providers/Microsoft.ManagedIdentity/userAssignedIdentities/id1"
    stored["identity"] = {"type": "SystemAssigned, UserAssigned", "principalId": "p0", "tenantId": "t0",
                          "userAssignedIdentities": {uami: {"principalId": "p1", "clientId": "c1"}}}
    stored["properties"].update(color="red", link={"id": "/x/links/l1", "state": "Ready"}, ports=[{"name": "p", "etag": "1"}],
                                readOnlyThing="set by Azure", glow=True, hum=False)
    with pytest.raises(Exit):
        run(CarryingWidget(FakeModule(fake, {"name": "w1", "size": 4})))
    after = fake.resources[WIDGET.lower()]
    assert after["properties"]["size"] == 4
    assert after["identity"] == {"type": "SystemAssigned, UserAssigned", "userAssignedIdentities": {uami: {}}}   # writable parts only
    assert (after["properties"]["color"], after["properties"]["link"], after["properties"]["ports"]) == ("red", {"id": "/x/links/l1"}, [{"name": "p"}])
    assert "readOnlyThing" not in after["properties"]   # only what the type declares goes back
    assert after["properties"]["glow"] is True and "hum" not in after["properties"]   # a switch only when on


def test_a_type_without_carried_parts_puts_only_its_body():
    fake = FakeArm()
    execute(fake, size=3)
    fake.resources[WIDGET.lower()]["properties"]["color"] = "red"
    execute(fake, size=4)
    assert "color" not in fake.resources[WIDGET.lower()]["properties"]


def test_bad_input_fails_before_any_request():
    fake = FakeArm()
    result = execute(fake, size=11)
    assert result["failed"] and result["msg"] == "size: 11 is out of range 1-10"
    assert fake.log == []


def test_absent_deletes_and_a_second_absent_is_no_change():
    fake = FakeArm()
    execute(fake, size=3)
    result = execute(fake, state="absent")
    assert result["changed"] is True and result["diff"]["before"]["size"] == 3
    assert result["widget"]["id"].lower() == WIDGET.lower() and list(result["widget"]) == ["id"]   # what was deleted
    assert WIDGET.lower() not in fake.resources
    fake.log.clear()
    result = execute(fake, state="absent")
    assert result["changed"] is False and fake.writes() == [] and result["widget"] == {}


def test_long_running_create_is_polled_as_retry_after_says():
    fake = FakeArm()
    fake.slow["w1"] = 3
    module = FakeModule(fake, {"name": "w1", "size": 3})
    result = execute(fake, module=module)
    assert result["changed"] is True and result["widget"]["size"] == 3
    polls = [p for m, p in fake.log if p.startswith("/ops/")]
    assert len(polls) == 3 and module.sleeps == [1.0, 1.0]
    assert fake.log[-2:] == [("GET", WIDGET), ("GET", WIDGET + "/children")]   # ARM's final state, then what it left


def test_failed_operation_names_azure_code_and_message():
    fake = FakeArm()
    fake.fail["w1"] = {"code": "ServerBusy", "message": "Another operation is in progress"}
    result = execute(fake, size=3)
    assert result["failed"] and result["msg"] == "create widget w1 failed: ServerBusy: Another operation is in progress"


def test_operation_past_the_timeout_fails_saying_it_may_still_finish():
    fake = FakeArm()
    fake.slow["w1"] = 100
    module = FakeModule(fake, {"name": "w1", "size": 3}, timeout=5)
    with pytest.raises(Exit) as caught:
        run(Widget(module))
    assert caught.value.result["msg"] == "create widget w1: timed out (status InProgress)"
    assert sum(module.sleeps) == 5


def test_wait_false_returns_a_token_that_finish_all_completes_elsewhere():
    fake = FakeArm()
    fake.slow["w1"] = 2
    result = execute(fake, size=3, wait=False)
    token = result["operation"]
    assert result["changed"] is True and token["status_url"] == BASE + "/ops/0" and "body" not in token
    other = FakeModule(fake, {"name": "w1"})
    op = Operation.from_token(token)
    assert other.arm.finish_all([op], other.deadline()) == {}
    assert op.done and op.result["properties"]["size"] == 3


def test_finish_all_polls_each_operation_when_arm_said_not_all_at_once():
    """An operation started a moment ago elsewhere (its token's poll_after: the start's time plus Retry-After) is not
    polled early: operation_wait waits until then, polls, and goes on at each answer's own Retry-After."""
    fake = FakeArm()
    fake.slow.update(a=1, b=2)
    starter = FakeModule(fake, {"name": "x"})
    wall = [1000.0]
    starter.arm.wallclock = lambda: wall[0]
    ops = [starter.arm.start(f"create {n}", "PUT", f"/subscriptions/{SUB}/resourceGroups/rg/providers/T.W/w/{n}", "1", {})
           for n in "ab"]
    tokens = [op.token() for op in ops]
    assert [t["poll_after"] for t in tokens] == [1001.0, 1001.0]   # Retry-After: 1 from the start's answer
    waiter = FakeModule(fake, {"name": "x"})
    waiter.arm.wallclock = lambda: 1000.25   # operation_wait runs a quarter second after the starts
    fake.log.clear()
    assert waiter.arm.finish_all([Operation.from_token(t) for t in tokens], waiter.deadline()) == {}
    # No poll before 1001: one sleep of 0.75 s first; then a is done, b answers InProgress with Retry-After 1.
    assert waiter.sleeps == [0.75, 1.0]
    assert [p for _m, p in fake.log if p.startswith("/ops/")] == ["/ops/0", "/ops/1", "/ops/1"]


def test_finish_all_reports_each_failure_and_waits_for_the_rest():
    fake = FakeArm()
    fake.slow.update(a=3, b=1)
    fake.fail["b"] = {"code": "Conflict", "message": "no"}
    module = FakeModule(fake, {"name": "x"})
    ops = [module.arm.start(f"create {n}", "PUT", f"/subscriptions/{SUB}/resourceGroups/rg/providers/T.W/w/{n}", "1", {}) for n in "ab"]
    failed = module.arm.finish_all(ops, module.deadline())
    assert list(failed) == [1] and failed[1].code == "Conflict" and ops[0].done


def _started(fake, name, polls, error=None):
    """A registered result of a task that started a write of `name` with wait=false (N polls until it ends)."""
    fake.slow[name] = polls
    if error:
        fake.fail[name] = error
    starter = FakeModule(fake, {"name": name})
    op = starter.arm.start(f"create link {name}", "PUT", f"/subscriptions/{SUB}/resourceGroups/rg/providers/T.W/links/{name}", "1", {})
    return {"changed": True, "operation": op.token()}


def test_after_operations_are_awaited_before_the_resource_is_read_or_written():
    fake = FakeArm()
    started = _started(fake, "link", polls=2)
    skipped = {"changed": False, "skipped": True}   # a result that started nothing is left out
    fake.log.clear()
    result = execute(fake, size=3, after_operations=[started, skipped])
    assert result["changed"] is True
    first_widget_request = next(i for i, (_m, p) in enumerate(fake.log) if p.startswith(WIDGET))
    # Polled until it ended (then ARM's final state of the link read), all before the widget's first request.
    assert [p for _m, p in fake.log[:first_widget_request]] == ["/ops/0", "/ops/0", f"/subscriptions/{SUB}/resourceGroups/rg/providers/T.W/links/link"]


def test_a_failed_after_operation_fails_the_task_before_it_writes():
    fake = FakeArm()
    started = _started(fake, "link", polls=1, error={"code": "BadRequest", "message": "zone has a link to that network"})
    fake.log.clear()
    result = execute(fake, size=3, after_operations=[started])
    assert result["failed"]
    assert result["msg"] == ("after_operations: create link link ended Failed: BadRequest zone has a link to that network; "
                             "nothing of widget w1 was written")
    assert fake.writes() == [] and not any(p.startswith(WIDGET) for _m, p in fake.log)


def test_a_bad_after_operations_item_fails_before_any_request():
    fake = FakeArm()
    result = execute(fake, size=3, after_operations=[{"changed": True, "operation": {"what": "x"}}])
    assert result["failed"] and result["msg"] == "after_operations[0]: an operation needs what, method, resource_id, api_version"
    assert fake.log == []


def test_a_polling_url_on_another_host_is_refused():
    fake = FakeArm()
    module = FakeModule(fake, {"name": "x"})
    op = Operation("create x", "PUT", "/subscriptions/s/x", "1", status_url="https://evil.example/ops/1")
    with pytest.raises(ValueError, match="refusing to send the Azure token"):
        module.arm.finish(op, module.deadline())
    assert fake.log == []


def test_children_are_started_together_then_awaited():
    fake = FakeArm()
    fake.slow.update(c1=2, c2=2)
    execute(fake, size=3, children=["c1", "c2"])
    writes = [(m, p.rsplit("/", 1)[-1]) for m, p in fake.log if m == "PUT" or p.startswith("/ops/")]
    assert writes[:3] == [("PUT", "w1"), ("PUT", "c1"), ("PUT", "c2")]
    fake.log.clear()
    result = execute(fake, size=3, children=["c2"])
    assert result["changed"] is True and [(m, p.rsplit("/", 1)[-1]) for m, p in fake.writes()] == [("DELETE", "c1")]


def test_serial_children_wait_for_each_before_the_next():
    class Serial(Widget):
        serial_children = True

    fake = FakeArm()
    fake.slow.update(c1=2, c2=2)
    module = FakeModule(fake, {"name": "w1", "size": 3, "children": ["c1", "c2"]})
    with pytest.raises(Exit):
        run(Serial(module))
    order = [p.rsplit("/", 1)[-1] for m, p in fake.log if m == "PUT" or p.startswith("/ops/")]
    assert order == ["w1", "c1", "0", "0", "c2", "1", "1"]


def test_merge_keyed_keeps_unlisted_unless_purged_and_rebuilds_only_what_differs():
    existing = [{"name": "A", "v": 1}, {"name": "b", "v": 2}, {"name": "c", "v": 3}]
    wanted = [{"name": "a", "v": 1}, {"name": "b", "v": 5}, {"name": "d", "v": 4}]
    merged = merge_keyed(existing, wanted, purge=False, view=lambda i: dict(i, name=i["name"]),
                         same=lambda have, want: have["v"] == want["v"], build=lambda old, want: dict(old or {}, **want))
    assert merged.items == [{"name": "A", "v": 1}, {"name": "b", "v": 5}, {"name": "d", "v": 4}, {"name": "c", "v": 3}]
    assert [w["name"] for w in merged.added] == ["d"] and [w["name"] for w in merged.updated] == ["b"] and merged.removed == []
    purged = merge_keyed(existing, wanted, purge=True, view=lambda i: i, same=lambda have, want: have["v"] == want["v"])
    assert [i["name"] for i in purged.removed] == ["c"] and purged.before[-1] == {"name": "c", "v": 3}
    assert not merge_keyed(existing, None, purge=True, view=lambda i: i).changed


@pytest.mark.parametrize("text", [WIDGET, WIDGET.upper().replace("/SUBSCRIPTIONS", "/subscriptions"), f"/subscriptions/{SUB}/resourceGroups/rg"])
def test_resource_ids_parse_and_print_back(text):
    rid = ResourceId.parse(text)
    assert str(rid).lower() == text.lower()


def test_resource_id_parts_and_errors():
    rid = ResourceId.parse(WIDGET + "/children/c1")
    assert (rid.type_name, rid.name, str(rid.parent)) == ("Test.Widgets/widgets/children", "c1", WIDGET)
    with pytest.raises(AzureInputError, match="is not an Azure resource id"):
        ResourceId.parse("/subscriptions/x/resourceGroups/rg/providers/Test.Widgets/widgets")
    with pytest.raises(AzureInputError, match="not a Microsoft.Network/virtualNetworks id"):
        ResourceId.parse(WIDGET, "vnet", expect_type="Microsoft.Network/virtualNetworks")


def test_a_busy_answer_is_retried_with_a_doubling_pause_only_where_the_api_says_so():
    class Busy(Widget):
        api = GenericApi("2024-01-01", busy_codes=("ServerIsBusy",))

    fake = FakeArm()
    fake.busy["w1"] = 2
    module = FakeModule(fake, {"name": "w1", "size": 3})
    with pytest.raises(Exit) as caught:
        run(Busy(module))
    assert caught.value.result["changed"] is True and module.sleeps == [5.0, 10.0]
    assert [m for m, p in fake.writes()] == ["PUT", "PUT", "PUT"] and len(module.warnings) == 2
    fake.busy["w2"] = 1
    result = execute(fake, name="w2", size=3)   # an api without busy codes fails at once
    assert result["failed"] and "ServerIsBusy" in result["msg"]
