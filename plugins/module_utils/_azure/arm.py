# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""ARM calls for the resource engine: how a resource type is read and written, and long-running
operations that can be awaited now or later. PRIVATE to the collection.

Two ways to reach a resource type (docs/resource-engine.md says which type uses which, and why):

- `GenericApi(api_version)`: ARM's generic resource operations, `{GET,PUT,PATCH,DELETE} {id}?api-version=…`
  with the version pinned per type, sent through azure-mgmt-core's ARMPipelineClient (the pipeline,
  authentication, retry and provider-registration policies the generated SDK clients use).
- `SdkApi(client, group)`: the service's own SDK operations (`client.<group>.get/begin_create_or_update/…`).

Both return ARM REST JSON (camelCase, `properties` nested) and start writes the same way: an
`Operation` that is done at once, or carries ARM's polling URLs (Azure-AsyncOperation, Location). One
loop follows those URLs (ARM's asynchronous operation protocol, learn.microsoft.com/azure/azure-resource-manager/
management/async-operations), honouring Retry-After, so an operation started in one module process
can be awaited in another (module operation_wait) from its `token()`.
"""

from __future__ import annotations

import json
import time
from dataclasses import asdict, dataclass
from urllib.parse import urlparse

from ansible_collections.complianceflow.infra.plugins.module_utils._azure.ids import ResourceId

TERMINAL = {"succeeded": "Succeeded", "failed": "Failed", "canceled": "Canceled", "cancelled": "Canceled"}
DEFAULT_POLL_SECONDS = 5   # when a running operation sends no Retry-After (azure-core's ARM default is 30)
MAX_POLL_SECONDS = 60


class OperationFailed(Exception):
    """A long-running operation ended Failed or Canceled: code and message as ARM reported them."""

    def __init__(self, what: str, status: str, code: str | None, message: str | None):
        super().__init__(f"{what} ended {status}: {code + ': ' if code else ''}{message or 'no message'}")
        self.status, self.code, self.message = status, code, message


class OperationTimeout(Exception):
    """The operation was still running when the wait ran out; Azure may still finish it."""

    def __init__(self, what: str, status: str):
        super().__init__(f"{what}: still {status} when the wait ended")
        self.status = status


@dataclass
class Operation:
    """A write ARM accepted. `done` with its `result`, or running with URLs to poll."""

    what: str
    method: str
    resource_id: str
    api_version: str
    status_url: str | None = None   # Azure-AsyncOperation
    result_url: str | None = None   # Location
    done: bool = False
    result: dict | None = None
    # When ARM said to poll first (its answer's time plus Retry-After, epoch seconds: the operation may be polled by
    # another process, operation_wait). None: poll at once.
    poll_after: float | None = None

    def token(self) -> dict:
        """What operation_wait needs to finish this operation in another process (no secrets, no body)."""
        keys = ("what", "method", "resource_id", "api_version", "status_url", "result_url", "done", "poll_after")
        return {k: v for k, v in asdict(self).items() if k in keys}

    @classmethod
    def from_token(cls, token: dict) -> "Operation":
        poll_after = token.get("poll_after")
        return cls(**{k: token.get(k) for k in ("what", "method", "resource_id", "api_version", "status_url", "result_url")},
                   done=bool(token.get("done")), poll_after=float(poll_after) if isinstance(poll_after, (int, float)) else None)


TOKEN_KEYS = ("what", "method", "resource_id", "api_version")


def operation_tokens(items: list, option: str = "operations") -> list[dict]:
    """The operation tokens among `items`: tokens, or the registered results of the tasks that started them (a result's
    `operations`, child writes started side by side, included; a result that started nothing left out). A bad item
    is a ValueError naming it as `option[index]`."""
    found = []
    for index, item in enumerate(items):
        where = f"{option}[{index}]"
        if not isinstance(item, dict):
            raise ValueError(f"{where}: {item!r} is neither an operation nor a registered result holding one")
        if isinstance(item.get("operations"), list):   # a task that started several writes (its child resources)
            found.extend(operation_tokens(item["operations"], f"{where}.operations"))
            if "operation" not in item:
                continue
        if "operation" in item:
            token = item["operation"]
        elif set(TOKEN_KEYS) <= set(item):
            token = item
        elif "changed" in item or "skipped" in item:
            continue   # a registered result that started nothing
        else:
            raise ValueError(f"{where}: {item!r} is neither an operation nor a registered result holding one")
        if not isinstance(token, dict) or not set(TOKEN_KEYS) <= set(token):
            raise ValueError(f"{where}: an operation needs {', '.join(TOKEN_KEYS)}")
        found.append(token)
    return found


def failures_text(ops: list, failed: dict) -> str:
    """finish_all's failures ({index: OperationFailed}) as one line: each operation, how it ended, Azure's code and message."""
    return "; ".join(f"{ops[i].what} ended {err.status}: {err.code or ''} {err.message or ''}".strip() for i, err in failed.items())


def provisioning_state(doc: dict | None) -> str | None:
    return ((doc or {}).get("properties") or {}).get("provisioningState")


def operation_from_response(what: str, method: str, resource_id: str, api_version: str, status: int, headers, body) -> Operation:
    """Classify ARM's first answer to a write (the protocol's 200/201/202/204 cases)."""
    op = Operation(what, method, resource_id, api_version,
                   status_url=headers.get("Azure-AsyncOperation") or headers.get("azure-asyncoperation"),
                   result_url=headers.get("Location") or headers.get("location"))
    body = body if isinstance(body, dict) else None
    state = (provisioning_state(body) or "Succeeded").lower()
    if status == 202 or op.status_url:
        return op   # as azure-core's ARM polling: an Azure-AsyncOperation header is followed whatever the body says
    if status in (200, 201) and state not in TERMINAL:
        op.status_url = op.result_url = None  # no URL: poll the resource itself
        return op
    if state in ("failed", "canceled", "cancelled"):
        raise OperationFailed(what, TERMINAL[state], "ProvisioningFailed", f"provisioningState is {provisioning_state(body)}")
    op.done, op.result = True, (body if method != "DELETE" else None)
    return op


def _origin(url: str) -> tuple:
    parsed = urlparse(url)
    return (parsed.scheme.lower(), (parsed.hostname or "").lower(), parsed.port)


def _retry_after(headers) -> float:
    try:
        return min(max(float(headers.get("Retry-After") or headers.get("retry-after")), 1.0), MAX_POLL_SECONDS)
    except (TypeError, ValueError):
        return DEFAULT_POLL_SECONDS


class ArmClient:
    """Raw ARM REST over one ARMPipelineClient (built by AzureModule.arm)."""

    def __init__(self, pipeline_client, base_url: str, sleep=time.sleep, clock=time.monotonic, wallclock=time.time):
        self._client = pipeline_client
        self._base = base_url.rstrip("/")
        self.sleep, self.clock, self.wallclock = sleep, clock, wallclock

    def request(self, method: str, path_or_url: str, api_version: str | None = None, body: dict | None = None,
                headers: dict | None = None):
        """(status, headers, json or None). Non-2xx raises azure-core's HttpResponseError subclasses.
        `headers`: extra request headers (an immutability policy's lock takes its ETag in If-Match)."""
        # pylint: disable-next=import-outside-toplevel
        from azure.core.exceptions import (ClientAuthenticationError, HttpResponseError, ResourceExistsError,
                                           ResourceNotFoundError, map_error)
        from azure.core.rest import HttpRequest  # pylint: disable=import-outside-toplevel
        from azure.mgmt.core.exceptions import ARMErrorFormat  # pylint: disable=import-outside-toplevel

        if path_or_url.startswith("/"):
            url = self._base + path_or_url
        elif _origin(path_or_url) == _origin(self._base):
            url = path_or_url   # a polling URL or nextLink: ARM's own host, never another (it would get the token)
        else:
            raise ValueError(f"refusing to send the Azure token to {path_or_url!r}: it is not on {self._base}")
        params = {"api-version": api_version} if api_version and "api-version=" not in url else None
        request = HttpRequest(method, url, params=params, json=body if body is not None else None, headers=headers)
        response = self._client.send_request(request)
        if response.status_code >= 300:
            map_error(status_code=response.status_code, response=response,
                      error_map={401: ClientAuthenticationError, 404: ResourceNotFoundError, 409: ResourceExistsError})
            raise HttpResponseError(response=response, error_format=ARMErrorFormat)
        try:
            payload = response.json() if response.text() else None
        except ValueError:
            payload = None
        return response.status_code, response.headers, payload

    def get(self, resource_id: str, api_version: str) -> dict:
        return self.request("GET", resource_id, api_version)[2]

    def list(self, collection_id: str, api_version: str) -> list[dict]:
        items, url = [], collection_id
        while url:
            payload = self.request("GET", url, api_version if not url.startswith("http") else None)[2] or {}
            items.extend(payload.get("value") or [])
            url = payload.get("nextLink")
        return items

    def start(self, what: str, method: str, resource_id: str, api_version: str, body: dict | None = None,
              headers: dict | None = None) -> Operation:
        status, headers, payload = self.request(method, resource_id, api_version, body, headers)
        op = operation_from_response(what, method, resource_id, api_version, status, headers, payload)
        if not op.done:
            op.poll_after = self.wallclock() + _retry_after(headers)
        return op

    def finish(self, op: Operation, deadline: float) -> dict | None:
        """Poll a running operation until it ends (or `deadline`, a monotonic time); the resource after it."""
        while not op.done:
            if self.clock() >= deadline:
                raise OperationTimeout(op.what, "InProgress")
            headers = self._poll_once(op)
            if not op.done:
                self.sleep(min(_retry_after(headers), max(deadline - self.clock(), 0.0)))
        return op.result

    def finish_all(self, ops: list, deadline: float) -> dict:
        """Poll many running operations side by side until each ends; {index: OperationFailed} of the failed ones.

        Each is polled when ARM said to (Retry-After after its start, then after each poll), not all at once: an
        operation started a moment ago by another task is not asked early and then left a whole interval after it ends.
        Retry-After on a long-running operation's 201/202 tells how long the client should wait before polling its
        status (ARM's asynchronous operation protocol, learn.microsoft.com/azure/azure-resource-manager/management/
        async-operations; the ARM linter rule @azure-tools/typespec-azure-resource-manager/retry-after). azure-core's
        LROBasePolling._poll asks once at once, then waits Retry-After between polls; `finish` does the same."""
        pending, failed = dict(enumerate(ops)), {}
        wall, now = self.wallclock(), self.clock()
        due = {i: now + max(0.0, (op.poll_after or 0.0) - wall) for i, op in pending.items()}
        while True:
            for index, op in list(pending.items()):
                if op.done:
                    del pending[index]
                    continue
                if due[index] > self.clock():
                    continue
                try:
                    retry = _retry_after(self._poll_once(op))
                except OperationFailed as err:
                    failed[index] = err
                    del pending[index]
                    continue
                if op.done:
                    del pending[index]
                else:
                    due[index] = self.clock() + retry
            if not pending:
                return failed
            if self.clock() >= deadline:
                raise OperationTimeout(", ".join(op.what for op in pending.values()), "InProgress")
            self.sleep(max(0.0, min(min(due[i] for i in pending), deadline) - self.clock()))

    def _poll_once(self, op: Operation):
        if op.status_url:
            _status, headers, payload = self.request("GET", op.status_url)
            state = str((payload or {}).get("status") or "InProgress").lower()
            if state in ("failed", "canceled", "cancelled"):
                error = (payload or {}).get("error") or {}
                raise OperationFailed(op.what, TERMINAL[state], error.get("code"), error.get("message"))
            if state == "succeeded":
                self._complete(op)
            return headers
        if op.result_url:
            status, headers, payload = self.request("GET", op.result_url)
            if status != 202:
                op.done = True
                op.result = payload if op.method == "POST" else None
                if op.method in ("PUT", "PATCH"):
                    op.result = self.get(op.resource_id, op.api_version)
            return headers
        status, headers, payload = self.request("GET", op.resource_id, op.api_version)
        state = (provisioning_state(payload) or "Succeeded").lower()
        if state in ("failed", "canceled", "cancelled"):
            raise OperationFailed(op.what, TERMINAL[state], "ProvisioningFailed", f"provisioningState is {provisioning_state(payload)}")
        if state in TERMINAL:
            op.done, op.result = True, payload
        return headers

    def _complete(self, op: Operation) -> None:
        op.done = True
        if op.method in ("PUT", "PATCH"):
            op.result = self.get(op.resource_id, op.api_version)   # ARM's final state: the resource itself
        elif op.method == "POST" and op.result_url:
            op.result = self.request("GET", op.result_url)[2]


class GenericApi:
    """A resource type reached through ARM's generic operations with a pinned api-version."""

    def __init__(self, api_version: str, patch_method: str = "PATCH", busy_codes: tuple = ()):
        self.api_version = api_version
        self.patch_method = patch_method
        self.busy_codes = busy_codes

    def get(self, module, rid: ResourceId) -> dict | None:
        return module.arm.get(str(rid), self.api_version)

    def list(self, module, collection: ResourceId, child_type: str) -> list[dict]:
        return module.arm.list(f"{collection}/{child_type}", self.api_version)

    def start(self, module, what: str, method: str, rid: ResourceId, body: dict | None = None) -> Operation:
        return module.arm.start(what, method, str(rid), self.api_version, body)


class SdkApi:
    """A resource type reached through its service SDK: `client.<group>.<operation>(*args_of(rid), …)`.

    `args_of` turns an id into the operation's positional arguments (default: group and name); `model`
    names the SDK model a PUT body goes through (it leaves out read-only properties). The SDK
    sends the first request; its answer (captured with azure-core's raw_response_hook) becomes an
    Operation polled like any other, so the same start/wait split holds.
    """

    def __init__(self, client: str, group: str, api_version: str, args_of=None, model: str | None = None,
                 put="begin_create_or_update", patch="begin_update", delete="begin_delete", get="get", list_op=None, post=None,
                 busy_codes: tuple = ()):
        self.client, self.group, self.api_version, self.model = client, group, api_version, model
        self.busy_codes = busy_codes   # error codes that mean "another operation runs, try again later"
        self.args_of = args_of or (lambda rid: (rid.resource_group, rid.name))
        self.ops = {"PUT": put, "PATCH": patch, "DELETE": delete, "GET": get, "POST": post}
        self.list_op = list_op

    def _operations(self, module):
        return getattr(module.client(self.client), self.group)

    def get(self, module, rid: ResourceId) -> dict | None:
        return as_rest(getattr(self._operations(module), self.ops["GET"])(*self.args_of(rid)))

    def list(self, module, collection: ResourceId, child_type: str) -> list[dict]:
        # The children of `collection` (a server's databases): the operation takes the parent's group and name.
        return [as_rest(item) for item in getattr(self._operations(module), self.list_op)(collection.resource_group, collection.name)]

    def start(self, module, what: str, method: str, rid: ResourceId, body: dict | None = None) -> Operation:
        seen = {}

        def capture(pipeline_response):
            seen["response"] = pipeline_response.http_response

        call = getattr(self._operations(module), self.ops[method])
        if method == "PUT" and self.model:
            # The SDK's model drops what its spec marks read-only (ids, states, etags) from a body read from Azure.
            body = getattr(module.models(self.client), self.model)(body)
        args = self.args_of(rid) + ((body,) if body is not None else ())
        extra = {"polling": False} if call.__name__.startswith("begin_") else {}
        call(*args, raw_response_hook=capture, **extra)
        response = seen["response"]
        try:
            payload = json.loads(response.text()) if response.text() else None
        except ValueError:
            payload = None
        op = operation_from_response(what, method, str(rid), self.api_version, response.status_code, response.headers, payload)
        if not op.done:
            op.poll_after = module.arm.wallclock() + _retry_after(response.headers)
        return op


def as_rest(obj) -> dict | None:
    """ARM REST JSON of an SDK model (camelCase, `properties` nested), as the pure helpers expect."""
    if obj is None:
        return None
    return obj.as_dict() if hasattr(obj, "as_dict") else dict(obj)
