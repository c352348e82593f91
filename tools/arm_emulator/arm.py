"""The ARM routing core: path -> resource type handler, methods -> handler calls, LROs.

Paths are matched case-insensitively (the SDK sends `resourcegroups` for some operations).
Long-running operations: with no latency configured a PUT/DELETE completes in its first
response (200/201 with provisioningState Succeeded, 200 for DELETE) and the SDK poller stops at
once; with latency (or an injected failure) the response carries Azure-AsyncOperation, Location
and Retry-After: 1, and the status resource answers InProgress until the operation is done.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote

from . import openapi
from .errors import ArmError, invalid_request, missing_api_version, no_route, resource_group_not_found, subscription_not_found
from .providers.base import Context, Ref, ResourceType
from .state import set_provisioning_state

RG_TYPE = "microsoft.resources/resourcegroups"


@dataclass
class Response:
    status: int
    body: Any = None
    headers: dict = field(default_factory=dict)
    operation: str = ""


def dispatch(ctx: Context, method: str, segments: list[str], body: Any, info: dict) -> Response:
    """Route an authenticated /subscriptions/... request. info collects log fields."""
    if not ctx.api_version:
        raise missing_api_version()
    if len(segments) < 2:
        raise no_route(method, "/" + "/".join(segments))
    sub, rest = segments[1], segments[2:]
    if not ctx.config.knows_subscription(sub):
        # As ARM answers a wrong or inaccessible subscription id: before any routing.
        raise subscription_not_found(sub)
    low = [s.lower() for s in rest]

    # Role assignments are extension resources: {any scope}/providers/Microsoft.Authorization/roleAssignments[/{name}].
    # Role definitions are read the same way: {any scope}/providers/Microsoft.Authorization/roleDefinitions/{id}.
    # Diagnostic settings too: {resource id or subscription}/providers/Microsoft.Insights/diagnosticSettings[/{name}].
    for namespace, kind in (("Microsoft.Authorization", "roleAssignments"), ("Microsoft.Authorization", "roleDefinitions"),
                            ("Microsoft.Insights", "diagnosticSettings")):
        marker = ["providers", namespace.lower(), kind.lower()]
        auth_at = next((i for i in range(len(low) - 2) if low[i:i + 3] == marker), None)
        if auth_at is not None:
            scope = "/" + "/".join(["subscriptions", sub, *rest[:auth_at]])
            # A PATCH these types' specs have no operation for: 405 before the handler runs (docs/emulator.md, "Errors").
            openapi.check_method(method, "/" + "/".join(segments), ctx.api_version)
            return ctx.handler(f"{namespace}/{kind}").handle(ctx, method, scope, rest[auth_at + 3:], body, info)
    if len(rest) == 6 and low[0] == "providers" and low[2] == "locations" and low[4] in ("operations", "operationresults"):
        info["operation"] = f"{rest[1]}/locations/operations/read"
        return operation_status(ctx, sub, rest[1], rest[3], low[4], rest[5])
    if not rest:
        info["operation"] = "Microsoft.Resources/subscriptions/read"
        return Response(200, {"id": f"/subscriptions/{sub}", "subscriptionId": sub, "displayName": "ARM emulator",
                              "state": "Enabled", "tenantId": ctx.headers.get("x-emulator-tenant", "")})
    if low[0] == "resourcegroups":
        if len(rest) == 1:
            return _route(ctx, method, Ref(sub, None, "Microsoft.Resources", ("resourceGroups",), ()), body, info)
        rg = rest[1]
        if len(rest) == 2:
            return _route(ctx, method, Ref(sub, None, "Microsoft.Resources", ("resourceGroups",), (rg,)), body, info)
        if len(rest) == 3 and low[2] == "resources" and method == "GET":
            _require_group(ctx, sub, rg)
            return _list_resources(ctx, f"/subscriptions/{sub}/resourceGroups/{rg}", info)
        if len(rest) >= 5 and low[2] == "providers":
            return _provider_path(ctx, method, sub, rg, rest[3], rest[4:], body, info)
    if low == ["resources"] and method == "GET":
        return _list_resources(ctx, f"/subscriptions/{sub}", info)
    if low[0] == "providers" and (len(rest) == 2 or low[2:] == ["register"]):
        return _provider_registration(ctx, method, sub, rest[1], low[2:], info)
    if low[0] == "providers" and len(rest) >= 3:
        return _provider_path(ctx, method, sub, None, rest[1], rest[2:], body, info)
    raise no_route(method, "/" + "/".join(segments))


def _provider_registration(ctx: Context, method: str, sub: str, namespace: str, action: list, info: dict) -> Response:
    """GET .../providers/{ns} and POST .../providers/{ns}/register (Microsoft.Resources Providers_Get/_Register)."""
    if action == ["register"] and method == "POST":
        info["operation"] = f"{namespace}/register/action"
        if ctx.config.provider_registration == "forbidden":
            # ARM's AuthorizationFailed (learn.microsoft.com: troubleshoot resource provider registration).
            raise ArmError(403, "AuthorizationFailed",
                           f"The client does not have authorization to perform action '{namespace}/register/action' "
                           f"over scope '/subscriptions/{sub}' or the scope is invalid.")
        ctx.state.register(sub, namespace)
    elif method != "GET" or action:
        raise no_route(method, f"/subscriptions/{sub}/providers/{namespace}")
    else:
        info["operation"] = "Microsoft.Resources/subscriptions/providers/read"
    state = "Registered" if is_registered(ctx, sub, namespace) else "NotRegistered"
    return Response(200, {"id": f"/subscriptions/{sub}/providers/{namespace}", "namespace": namespace,
                          "registrationState": state, "registrationPolicy": "RegistrationRequired", "resourceTypes": []})


def is_registered(ctx: Context, sub: str, namespace: str) -> bool:
    return ctx.config.starts_registered(namespace) or namespace.lower() in ctx.state.registered(sub)


def _require_registered(ctx: Context, sub: str, namespace: str) -> None:
    """A write into a namespace the subscription has not registered: ARM's 409 (learn.microsoft.com/azure/
    azure-resource-manager/troubleshooting/error-register-resource-provider); body as quoted in
    Azure/azure-sdk-for-python#9272 (message and details[].target)."""
    if not is_registered(ctx, sub, namespace):
        message = (f"The subscription registration is in 'Unregistered' state. The subscription must be registered to use "
                   f"namespace '{namespace}'. See https://aka.ms/rps-not-found for how to register subscriptions.")
        raise ArmError(409, "MissingSubscriptionRegistration", message,
                       details=[{"code": "MissingSubscriptionRegistration", "target": namespace, "message": message}])


def _provider_path(ctx: Context, method: str, sub: str, rg: str | None, namespace: str, pairs: list[str],
                   body: Any, info: dict) -> Response:
    types, names = tuple(pairs[0::2]), tuple(pairs[1::2])
    handler = ctx.registry.get("/".join((namespace,) + types).lower())
    action = None
    if handler is None and len(pairs) >= 3 and len(pairs) % 2 == 1:
        # POST .../{type}/{name}/{action}: an action on an item
        types, names, action = tuple(pairs[:-1][0::2]), tuple(pairs[:-1][1::2]), pairs[-1]
        handler = ctx.registry.get("/".join((namespace,) + types).lower())
    if handler is None:
        raise ArmError(400, "InvalidResourceType",
                       f"The resource type '{'/'.join(types)}' could not be found in the namespace '{namespace}' "
                       f"for api version '{ctx.api_version}'.")
    ref = Ref(sub, rg, handler.namespace, handler.types, names)
    if method in ("PUT", "PATCH", "DELETE", "POST"):
        _require_registered(ctx, sub, handler.namespace)
    if rg is None and not ref.is_collection and not getattr(handler, "subscription_scoped", False):
        raise no_route(method, ref.id)
    if rg is not None:
        _require_group(ctx, sub, rg, writing=method in ("PUT", "PATCH"))
    if action is not None:
        if method != "POST":
            raise no_route(method, f"{ref.id}/{action}")
        info["operation"] = f"{handler.type_name}/{action}/action"
        handler.check_busy(ctx, ref)
        outcome = handler.post(ctx, ref, action, _body_dict(body))
        if isinstance(outcome, Response):  # an action answered as a long-running operation (start_lro)
            return outcome
        status, result = outcome
        return Response(status, result)
    return _route(ctx, method, ref, body, info, handler)


def _route(ctx: Context, method: str, ref: Ref, body: Any, info: dict,
           handler: ResourceType | None = None) -> Response:
    handler = handler or ctx.registry[RG_TYPE]
    info.update(resource_type=handler.type_name, name=ref.names[-1] if ref.names else "")
    verb = {"GET": "read", "HEAD": "read", "PUT": "write", "PATCH": "write", "DELETE": "delete"}.get(method, "action")
    info["operation"] = f"{handler.type_name}/{verb}"
    if ref.is_collection:
        if method != "GET":
            raise ArmError(405, "MethodNotAllowed", f"The method '{method}' is not allowed on a collection.")
        return Response(200, {"value": [handler.render(ctx, d) for d in handler.list(ctx, ref)]})
    if method == "GET":
        return Response(200, handler.render(ctx, handler.get(ctx, ref)))
    if method == "HEAD":
        return Response(204 if handler.find(ctx, ref) is not None else 404)
    if method in ("PUT", "PATCH"):
        # A PATCH of a path whose vendored spec has a PUT but no PATCH: 405 before anything else (openapi.check_method)
        openapi.check_method(method, ref.id, ctx.api_version)
        body = _body_dict(body)
        openapi.check_body(method, ref.id, ctx.api_version, body)   # the spec of this api-version (docs/emulator.md)
        return (_put if method == "PUT" else _patch)(ctx, handler, ref, body, info)
    if method == "DELETE":
        return _delete(ctx, handler, ref, info)
    raise ArmError(405, "MethodNotAllowed", f"The method '{method}' is not allowed on '{handler.type_name}'.")


def _put(ctx: Context, handler: ResourceType, ref: Ref, body: dict, info: dict) -> Response:
    handler.check_put(ctx, ref)
    existing = handler.find(ctx, ref)
    _check_preconditions(ctx, existing)
    handler.check_busy(ctx, ref)
    doc, created = handler.put(ctx, ref, body)
    status = 201 if created else 200
    headers = _start_lro(ctx, handler, ref, "put", [doc["id"]], doc, info) if handler.lro_put else None
    if headers and handler.always_async:
        status = 202
    return Response(status, handler.render(ctx, doc), headers or {})


def _patch(ctx: Context, handler: ResourceType, ref: Ref, body: dict, info: dict) -> Response:
    _check_preconditions(ctx, handler.get(ctx, ref))
    handler.check_busy(ctx, ref)
    doc = handler.patch(ctx, ref, body)
    headers = _start_lro(ctx, handler, ref, "put", [doc["id"]], doc, info) if handler.lro_patch else None
    return Response(202 if headers and handler.always_async else 200, handler.render(ctx, doc), headers or {})


def _delete(ctx: Context, handler: ResourceType, ref: Ref, info: dict) -> Response:
    if handler.find(ctx, ref) is not None:
        handler.check_busy(ctx, ref)
    ids = handler.delete_plan(ctx, ref)
    if ids is None:
        return Response(204)
    doc = ctx.find(ids[0])
    headers = _start_lro(ctx, handler, ref, "delete", ids, doc, info) if handler.lro_delete else None
    if headers:
        return Response(202, None, headers)
    for resource_id in ids:
        ctx.state.delete(resource_id)
    return Response(200)


def _start_lro(ctx: Context, handler: ResourceType, ref: Ref, kind: str, ids: list[str], doc: dict | None,
               info: dict) -> dict | None:
    """Make this write a real long-running operation when latency or a failure says so."""
    delay = ctx.config.delay_for(handler.type_name)
    fault = ctx.config.take_fault("fail_operation", info)
    if delay <= 0 and fault is None and ctx.failure is None and not handler.always_async:
        return None
    failure = {"code": fault.code, "message": fault.message, "status": fault.status} if fault else ctx.failure
    location = (doc or {}).get("location") or "global"
    op = ctx.state.start_operation(kind=kind, resource_ids=ids, namespace=handler.namespace,
                                   location=location.replace(" ", "").lower(), delay=delay, failure=failure)
    if doc is not None:
        set_provisioning_state(doc, handler.deleting_state if kind == "delete" else handler.in_progress_state)
    base = (f"{ctx.base_url}/subscriptions/{ref.subscription}/providers/{handler.namespace}"
            f"/locations/{quote(op['location'])}")
    version = quote(ctx.api_version)
    info["async_operation"] = op["id"]
    return {"Azure-AsyncOperation": f"{base}/operations/{op['id']}?api-version={version}",
            "Location": f"{base}/operationResults/{op['id']}?api-version={version}",
            "Retry-After": "1"}


def start_lro(ctx: Context, handler: ResourceType, ref: Ref, kind: str, doc: dict | None) -> Response:
    """A 202 Accepted with Azure-AsyncOperation/Location, for a provider's action (restart, purge)."""
    headers = _start_lro(ctx, handler, ref, kind, [doc["id"]] if doc else [], doc, {}) or {}
    return Response(202, None, headers)


def operation_status(ctx: Context, sub: str, namespace: str, location: str, kind: str, op_id: str) -> Response:
    op = ctx.state.operations.get(op_id)
    if op is None:
        raise ArmError(404, "OperationNotFound", f"The operation '{op_id}' could not be found.")
    in_progress = op["status"] == "InProgress"
    retry = {"Retry-After": "1"} if in_progress else {}
    if kind == "operations":
        body = {"id": f"/subscriptions/{sub}/providers/{namespace}/locations/{location}/operations/{op_id}",
                "name": op_id, "status": op["status"], "startTime": op["startTime"]}
        if op.get("endTime"):
            body["endTime"] = op["endTime"]
        if op["status"] == "Failed" and op.get("error"):
            body["error"] = {"code": op["error"]["code"], "message": op["error"]["message"],
                             "details": list(op["error"].get("details") or [])}
        return Response(200, body, retry)
    # operationResults (the Location header): 202 while running, then the outcome.
    if in_progress:
        here = (f"{ctx.base_url}/subscriptions/{sub}/providers/{namespace}/locations/{location}"
                f"/operationResults/{op_id}?api-version={quote(ctx.api_version)}")
        return Response(202, None, dict(retry, Location=here))
    if op["status"] == "Failed":
        error = op.get("error") or {"code": "Failed", "message": "The operation failed.", "status": 400}
        raise ArmError(int(error.get("status", 400)), error["code"], error["message"])
    if op["kind"] == "delete":
        return Response(204)
    doc = ctx.find(op["resource_ids"][0])
    return Response(200, doc and _public(doc))


def _public(doc: dict) -> dict:
    from .providers.base import public  # pylint: disable=import-outside-toplevel
    return public(doc)


def _check_preconditions(ctx: Context, existing: dict | None) -> None:
    if_match = ctx.headers.get("if-match")
    if_none = ctx.headers.get("if-none-match")
    if if_none == "*" and existing is not None:
        raise ArmError(412, "PreconditionFailed", "The resource already exists (If-None-Match: *).")
    if if_match and if_match != "*" and (existing is None or existing.get("etag") != if_match):
        raise ArmError(412, "PreconditionFailed", "The etag in If-Match does not match the resource's current etag.")
    if if_match == "*" and existing is None:
        raise ArmError(412, "PreconditionFailed", "The resource does not exist (If-Match: *).")


def _require_group(ctx: Context, sub: str, rg: str, writing: bool = False) -> dict:
    group = ctx.state.get(f"/subscriptions/{sub}/resourceGroups/{rg}")
    if group is None:
        raise resource_group_not_found(rg)
    if writing and group.get("properties", {}).get("provisioningState") == "Deleting":
        raise ArmError(409, "ResourceGroupBeingDeleted",
                       f"The resource group '{group['name']}' is in deprovisioning state and cannot perform this operation.")
    return group


def _body_dict(body: Any) -> dict:
    if body is None:
        return {}
    if not isinstance(body, dict):
        raise invalid_request("The request content was invalid and could not be deserialized: expected a JSON object.")
    return body


def _list_resources(ctx: Context, scope: str, info: dict) -> Response:
    """GET .../resources: every resource below scope (not groups, not inline children), with
    the one $filter the SDKs send: resourceType eq '<type>'."""
    info["operation"] = "Microsoft.Resources/resources/read"
    wanted = re.search(r"resourceType\s+eq\s+'([^']+)'", ctx.query.get("$filter", ""), re.IGNORECASE)
    docs = [d for d in ctx.state.under(scope) if d["id"].lower().count("/providers/") == 1
            and "/resourcegroups/" in d["id"].lower()  # not subscription-level records (deleted vaults)
            and not d.get("type", "").lower().startswith("microsoft.authorization/")  # extension resources
            and (not wanted or d.get("type", "").lower() == wanted.group(1).lower())]
    return Response(200, {"value": [_summary(d) for d in docs]})


def _summary(doc: dict) -> dict:
    keys = ("id", "name", "type", "location", "tags", "kind", "sku")
    return {k: doc[k] for k in keys if k in doc}
