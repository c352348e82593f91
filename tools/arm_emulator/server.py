"""The request side of the emulator (the socket side is listener.py): requests routed to

- /_emulator/...                      the admin API (no auth; tests and tools only)
- /metadata/endpoints                  ARM cloud metadata
- /{tenant}/v2.0/.well-known/openid-configuration, /{tenant}/oauth2/v2.0/token   Entra ID
- /subscriptions/...                   ARM (bearer token required), see arm.py

Every response carries x-ms-request-id; every request is appended to requests.jsonl.
"""
from __future__ import annotations

import json
import sys
import time
import traceback
import uuid
from http.server import BaseHTTPRequestHandler
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

from . import arm, blob_dataplane, identity, keyvault_dataplane
from .arm import Response
from .config import Config, ConfigError, parse_role_assignments
from .errors import ArmError
from .providers import authorization, load_registry
from .providers.base import Context, public
from .state import State

ADMIN = "_emulator"


class App:
    """Everything a request needs: state, config, registry, token issuer."""

    def __init__(self, state_dir: Path, config_data: dict) -> None:
        self.state_dir = state_dir
        self.state = State(state_dir)
        self.initial_config = config_data  # what reset returns to
        self.config = Config(config_data)
        self.registry = load_registry()
        self.issuer = identity.TokenIssuer(state_dir)
        with self.state.lock:
            authorization.seed(self.state, self.config.role_assignments)

    def handle(self, method: str, raw_path: str, headers: dict, raw_body: bytes, base_url: str,
               request_id: str, info: dict) -> Response:
        parts = urlsplit(raw_path)
        query = {k: v[0] for k, v in parse_qs(parts.query).items()}
        segments = [unquote(s) for s in parts.path.split("/") if s]
        info["api_version"] = query.get("api-version", "")
        low = [s.lower() for s in segments]
        if blob_dataplane.is_blob_host(headers.get("host", "")):  # <account>.blob.storage.localhost: Blob service
            return blob_dataplane.handle(self, method, raw_path, headers, raw_body, info)
        if keyvault_dataplane.is_vault_host(headers.get("host", "")):  # <vault>.vault.localhost: Key Vault data plane
            return keyvault_dataplane.handle(self, method, raw_path, headers, _parse_json(raw_body), info)
        if low[:1] == [ADMIN]:
            return self.admin(method, segments[1:], query, raw_body, base_url, info)
        if low[:2] == ["metadata", "endpoints"]:
            info["operation"] = "metadata/endpoints"
            return Response(200, identity.cloud_metadata(base_url, query.get("api-version", "")))
        if len(low) >= 3 and low[-2:] == [".well-known", "openid-configuration"]:
            info["operation"] = "oidc/openid-configuration"
            version = "v2.0" if low[1] == "v2.0" else "v1.0"
            return Response(200, identity.openid_configuration(base_url, segments[0], version))
        if len(low) >= 3 and low[1] == "oauth2" and low[-1] == "token" and method == "POST":
            info["operation"] = "oauth2/token"
            config = self.config.snapshot()
            return Response(200, identity.token_response(self.issuer, self.config.credentials,
                                                         config["token_lifetime"], segments[0], raw_body))
        if low == ["providers", "microsoft.dbforpostgresql", "getprivatednszonesuffix"] and method == "POST":
            # Tenant-level action of the PostgreSQL RP (REST spec: GetPrivateDnsZoneSuffix; the public cloud's value as
            # Az.PostgreSqlFlexibleServer's help shows it).
            self.authenticate(headers, base_url)
            info["operation"] = "Microsoft.DBforPostgreSQL/getPrivateDnsZoneSuffix/action"
            return Response(200, "private.postgres.database.azure.com")
        if low[:1] == ["subscriptions"]:
            claims = self.authenticate(headers, base_url)
            body = _parse_json(raw_body)
            with self.state.lock:
                if self.state.settle_operations():
                    self.state.save()
                info.update(_guess_type(self.registry, segments))
                fault = self.config.take_fault("http", dict(info, method=method, path=parts.path))
                if fault is not None:
                    info["fault"] = fault.status
                    headers_out = {"Retry-After": str(fault.retry_after)} if fault.retry_after is not None else {}
                    raise ArmError(fault.status, fault.code, fault.message, headers=headers_out)
                ctx = Context(self.state, self.config, base_url, query.get("api-version", ""),
                              dict(headers, **{"x-emulator-tenant": claims.get("tid", ""), "x-emulator-oid": claims.get("oid", "")}),
                              request_id, self.registry,
                              query)
                try:
                    response = arm.dispatch(ctx, method, segments, body, info)
                finally:
                    if method not in ("GET", "HEAD"):
                        self.state.save()
                return response
        raise ArmError(404, "NotFound", f"No emulator route for {method} {parts.path}.")

    def authenticate(self, headers: dict, base_url: str) -> dict:
        auth = headers.get("authorization", "")
        challenge = {"WWW-Authenticate": f'Bearer authorization_uri="{base_url}/{identity.DEFAULT_TENANT}", '
                                         f'error="invalid_token", error_description="The authentication failed"'}
        if not auth.lower().startswith("bearer "):
            raise ArmError(401, "AuthenticationFailed", "Authentication failed. The 'Authorization' header is missing.",
                           headers=challenge)
        claims = self.issuer.verify(auth[7:].strip())
        if claims is None:
            raise ArmError(401, "InvalidAuthenticationToken",
                           "The access token is invalid or expired (not issued by this emulator).", headers=challenge)
        return claims

    # --- admin API ----------------------------------------------------------------------
    def admin(self, method: str, path: list[str], query: dict, raw_body: bytes, base_url: str,
              info: dict) -> Response:
        what = "/".join(path).lower()
        info["operation"] = f"emulator/{what}"
        try:
            body = _parse_json(raw_body)
            if (method, what) == ("GET", "health"):
                return Response(200, {"status": "ok", "url": base_url})
            if (method, what) == ("GET", "requests"):
                entries = self.state.read_log()
                return Response(200, {"value": entries[int(query.get("since", 0)):]})
            if (method, what) == ("DELETE", "requests"):
                self.state.clear_log()
                return Response(204)
            if (method, what) == ("GET", "config"):
                return Response(200, self.config.snapshot())
            if (method, what) == ("POST", "faults"):
                faults = body if isinstance(body, list) else [body]
                return Response(200, {"added": [f.to_dict() for f in self.config.add_faults(faults)]})
            if (method, what) == ("DELETE", "faults"):
                self.config.clear_faults()
                return Response(204)
            if (method, what) in (("POST", "latency"), ("PUT", "latency")):
                self.config.set_latency(body, replace=method == "PUT")
                return Response(200, self.config.snapshot()["latency"])
            if (method, what) == ("POST", "credentials"):
                self.config.set_credentials(body)
                return Response(204)
            if (method, what) == ("POST", "subscriptions"):
                self.config.set_subscriptions(body)
                return Response(200, {"subscriptions": self.config.snapshot()["subscriptions"]})
            if (method, what) == ("POST", "provider_registration"):
                self.config.apply({"provider_registration": (body or {}).get("value")})
                return Response(200, {"provider_registration": self.config.provider_registration})
            if (method, what) == ("POST", "providers"):
                # An owner registered these (body: {"namespaces": [...], "subscription": id (default: every known one)}).
                subs = self.config.snapshot()["subscriptions"]
                if isinstance(body, dict) and body.get("subscription"):
                    subs = [body["subscription"]]
                with self.state.lock:
                    for sub in subs:
                        for namespace in (body or {}).get("namespaces", []):
                            self.state.register(sub, namespace)
                    self.state.save()
                return Response(200, {"providers": self.state.providers})
            if (method, what) == ("GET", "state"):
                with self.state.lock:
                    return Response(200, {"resources": self.state.resources, "operations": self.state.operations})
            if (method, what) == ("POST", "access"):
                self.config.set_access(body or {})
                return Response(200, self.config.access_snapshot())
            if (method, what) == ("POST", "capacity"):
                self.config.set_capacity(body or {})
                return Response(200, self.config.capacity_snapshot())
            if (method, what) == ("POST", "role-assignments"):
                items = parse_role_assignments(body if isinstance(body, list) else [body])
                with self.state.lock:
                    try:
                        docs = authorization.seed(self.state, items)
                    except ValueError as exc:
                        raise ConfigError(str(exc)) from None
                return Response(200, {"value": [public(d) for d in docs]})
            if (method, what) == ("POST", "reset"):
                with self.state.lock:
                    self.state.reset()
                    self.config = Config(self.initial_config)
                    authorization.seed(self.state, self.config.role_assignments)
                return Response(204)
        except ConfigError as exc:
            raise ArmError(400, "InvalidEmulatorConfig", str(exc)) from None
        raise ArmError(404, "NotFound", f"No admin route {method} /{ADMIN}/{'/'.join(path)}.")


def _parse_json(raw: bytes) -> Any:
    if not raw.strip():
        return None
    try:
        return json.loads(raw)
    except ValueError as exc:
        raise ArmError(400, "InvalidRequestContent",
                       f"The request content was invalid and could not be deserialized: {exc}.") from None


def _guess_type(registry: dict, segments: list[str]) -> dict:
    """resource_type and name of an ARM path, for fault matching (before routing)."""
    low = [s.lower() for s in segments]
    if "providers" in low:
        index = len(low) - 1 - low[::-1].index("providers")   # the last one: extension resources sit under others
        pairs = segments[index + 2:]
        for cut in range(len(pairs), 0, -1):
            type_name = "/".join([segments[index + 1]] + pairs[:cut][0::2])
            if type_name.lower() in registry:
                names = pairs[:cut][1::2]
                return {"resource_type": registry[type_name.lower()].type_name, "name": names[-1] if names else ""}
    if len(low) >= 4 and low[2] == "resourcegroups":
        return {"resource_type": "Microsoft.Resources/resourceGroups", "name": segments[3]}
    return {}


class Handler(BaseHTTPRequestHandler):
    """Turns HTTP into App.handle calls; writes the response and the request log line."""

    protocol_version = "HTTP/1.1"
    server_version = "ArmEmulator/1.0"
    app: App  # set on the subclass made by listener.make_listener

    def log_message(self, format: str, *args: Any) -> None:  # pylint: disable=redefined-builtin
        """Silence the default stderr access log: requests.jsonl is the log."""

    def _serve(self) -> None:
        request_id = str(uuid.uuid4())
        started = time.time()
        length = int(self.headers.get("Content-Length") or 0)
        raw_body = self.rfile.read(length) if length else b""
        headers = {k.lower(): v for k, v in self.headers.items()}
        host = headers.get("host") or f"127.0.0.1:{self.server.server_address[1]}"
        base_url = f"https://{host}"
        info: dict = {"method": self.command, "path": urlsplit(self.path).path}
        try:
            response = self.app.handle(self.command, self.path, headers, raw_body, base_url, request_id, info)
        except ArmError as exc:
            body = getattr(exc, "oauth_body", None) or exc.body()
            response = Response(exc.status, body, dict(exc.headers))
            info["error_code"] = exc.code
            if exc.innererror:
                info["inner_error"] = exc.innererror
        except Exception:  # pylint: disable=broad-exception-caught  # any bug must still answer the client
            traceback.print_exc(file=sys.stderr)
            response = Response(500, {"error": {"code": "InternalServerError",
                                                "message": "The ARM emulator failed; see emulator.log."}})
        entry = {"time": time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(started)) + f".{int(started * 1000) % 1000:03d}Z",
                 "method": self.command, "path": info["path"], "api_version": info.get("api_version", ""),
                 "status": response.status, "request_id": request_id, "operation": info.get("operation", ""),
                 "client_request_id": headers.get("x-ms-client-request-id", ""),
                 "duration_ms": int((time.time() - started) * 1000)}
        for key in ("resource_type", "name", "error_code", "inner_error", "fault", "async_operation"):
            if info.get(key):
                entry[key] = info[key]
        # Logged before the answer is sent, so a client that got its answer finds the line.
        self.app.state.log_request(entry)
        self._write(response, request_id, headers)

    def _write(self, response: Response, request_id: str, headers: dict) -> None:
        raw = blob_dataplane.handled_body(response.body)   # the Blob service's payloads are written as they are
        payload = b"" if response.body is None or self.command == "HEAD" else bytes(response.body) if raw else json.dumps(response.body).encode()
        self.send_response(response.status)
        self.send_header("x-ms-request-id", request_id)
        self.send_header("x-ms-correlation-request-id", headers.get("x-ms-correlation-request-id", request_id))
        if headers.get("x-ms-client-request-id"):
            self.send_header("x-ms-client-request-id", headers["x-ms-client-request-id"])
        for key, value in response.headers.items():
            self.send_header(key, value)
        if response.body is not None and not raw:
            self.send_header("Content-Type", "application/json; charset=utf-8")
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        if payload:
            self.wfile.write(payload)

    do_GET = do_PUT = do_POST = do_PATCH = do_DELETE = do_HEAD = _serve
