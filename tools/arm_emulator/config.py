"""Runtime configuration: latency per resource type, fault injection, accepted credentials, known subscriptions,
access enforcement (where the caller sits on the network, role assignments a subscription owner starts with).

Read from a JSON (or YAML) file at start and changed at runtime through /_emulator/*.
"""
from __future__ import annotations

import ipaddress
import json
import re
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .identity import DEFAULT_SUBSCRIPTION

ACCESS_MODES = ("strict", "open")
# Where every caller of the emulator sits, unless configured: outside every virtual network, at a public
# address from TEST-NET-2 (RFC 5737, documentation only), so no vault firewall lets it in by accident.
DEFAULT_CLIENT_ADDRESS = "198.51.100.10"
ACCESS_DEFAULTS = {"mode": "strict", "client_address": DEFAULT_CLIENT_ADDRESS, "client_subnet": None,
                   "rbac_delay": 0.0, "dns_delay": 0.0}
ASSIGNMENT_KEYS = {"client_id", "principal_id", "principal_type", "role", "scope"}
# What a location offers and what a subscription may use there (docs/emulator.md, "Capacity"): the limits of the
# usage rows the emulator serves (network usages; PostgreSQL quota usages: "cores" and every "<family>"), and the
# PostgreSQL sizes a location does not offer. The numbers are the emulator's own choice, not Azure's limits.
CAPACITY_DEFAULTS = {"limits": {"VirtualNetworks": 50, "NetworkSecurityGroups": 100, "cores": 100, "family": 100},
                     "withheld_skus": {}}
FAULT_KINDS = ("http", "fail_operation")
# Keys a config file may carry as documentation (e.g. bench/deploy/profile.json says where its numbers come from): only
# these exact names at the top level, ignored; any other unknown key is still refused.
COMMENT_KEYS = frozenset({"_comment", "_source"})
MATCH_KEYS = ("method", "resource_type", "name", "path")


class ConfigError(ValueError):
    """A bad config file or admin request; the message names the bad value."""


def load_file(path: Path) -> dict:
    text = path.read_text(encoding="utf-8")
    if path.suffix in (".yml", ".yaml"):
        import yaml  # pylint: disable=import-outside-toplevel  # only YAML configs need it
        data = yaml.safe_load(text) or {}
    else:
        data = json.loads(text or "{}")
    if not isinstance(data, dict):
        raise ConfigError(f"{path}: the config must be a mapping, got {type(data).__name__}")
    return data


@dataclass
class Fault:
    """One injected fault, consumed by the next `count` matching requests or operations."""

    kind: str
    count: int = 1
    status: int = 500
    retry_after: int | None = None
    code: str = ""
    message: str = ""
    match: dict = field(default_factory=dict)

    @classmethod
    def from_dict(cls, data: Any) -> "Fault":
        if not isinstance(data, dict):
            raise ConfigError(f"a fault must be a mapping, got {data!r}")
        unknown = set(data) - {"kind", "count", "status", "retry_after", "code", "message", *MATCH_KEYS}
        if unknown:
            raise ConfigError(f"unknown fault keys {sorted(unknown)}; valid: kind, count, status, retry_after, "
                              f"code, message and the match keys {list(MATCH_KEYS)}")
        kind = data.get("kind", "http")
        if kind not in FAULT_KINDS:
            raise ConfigError(f"fault kind {kind!r} is not one of {list(FAULT_KINDS)}")
        try:
            count = int(data.get("count", 1))
            status = int(data.get("status", 500 if kind == "http" else 400))
            retry_after = data.get("retry_after")
            retry_after = None if retry_after is None else int(retry_after)
        except (TypeError, ValueError) as exc:
            raise ConfigError(f"fault count/status/retry_after must be integers: {exc}") from None
        if count < 1:
            raise ConfigError(f"fault count must be >= 1, got {count}")
        if kind == "http" and not 400 <= status <= 599:
            raise ConfigError(f"fault status must be an HTTP error status (400-599), got {status}")
        if status == 429 and retry_after is None:
            retry_after = 1
        defaults = _DEFAULT_TEXT.get(status if kind == "http" else "fail_operation", _DEFAULT_TEXT[500])
        match = {key: str(data[key]) for key in MATCH_KEYS if data.get(key) is not None}
        if "path" in match:
            try:
                re.compile(match["path"])
            except re.error as exc:
                raise ConfigError(f"fault path {match['path']!r} is not a valid regular expression: {exc}") from None
        return cls(kind=kind, count=count, status=status, retry_after=retry_after,
                   code=str(data.get("code") or defaults[0]), message=str(data.get("message") or defaults[1]),
                   match=match)

    def matches(self, info: dict) -> bool:
        for key, wanted in self.match.items():
            value = info.get(key) or ""
            if key == "path":
                if not re.search(wanted, value, re.IGNORECASE):
                    return False
            elif value.lower() != wanted.lower():
                return False
        return True

    def to_dict(self) -> dict:
        data = {"kind": self.kind, "count": self.count, "status": self.status, "code": self.code,
                "message": self.message, **self.match}
        if self.retry_after is not None:
            data["retry_after"] = self.retry_after
        return data


_DEFAULT_TEXT: dict[Any, tuple[str, str]] = {
    429: ("TooManyRequests", "The request is being throttled as the limit has been reached for this operation type. "
                             "Retry after the number of seconds in the Retry-After header."),
    500: ("InternalServerError", "Encountered internal server error. (injected by the ARM emulator)"),
    503: ("ServiceUnavailable", "The service is temporarily unavailable. (injected by the ARM emulator)"),
    "fail_operation": ("InternalServerError", "The operation failed. (injected by the ARM emulator)"),
}


# Registered in every subscription from the start (learn.microsoft.com/azure/azure-resource-manager/management/
# azure-services-resource-providers, "registered by default"); the others a subscription must register.
DEFAULT_REGISTERED = frozenset(n.lower() for n in (
    "Microsoft.Authorization", "Microsoft.Billing", "Microsoft.ClassicSubscription", "Microsoft.Commerce",
    "Microsoft.Consumption", "Microsoft.CostManagement", "Microsoft.Features", "Microsoft.MarketplaceOrdering",
    "Microsoft.Portal", "Microsoft.ResourceGraph", "Microsoft.Resources", "Microsoft.Security", "Microsoft.SerialConsole",
    "microsoft.support"))


class Config:
    """Latency, faults and credentials; thread-safe, changed by the admin API."""

    def __init__(self, data: dict | None = None) -> None:
        self._lock = threading.Lock()
        self.latency: dict[str, float] = {}
        self.faults: list[Fault] = []
        self.credentials: list[dict] = []
        self.subscriptions: list[str] = [DEFAULT_SUBSCRIPTION]
        self.token_lifetime = 3600
        # Resource providers registered from the start besides Azure's default set (registrations made later are in
        # the state); registering is allowed unless provider_registration is "forbidden".
        self.registered: set[str] = set()
        self.provider_registration = "allowed"
        self.access: dict = dict(ACCESS_DEFAULTS)
        self.role_assignments: list[dict] = []
        self.capacity: dict = {"limits": dict(CAPACITY_DEFAULTS["limits"]), "withheld_skus": {}}
        self.apply(data or {})

    def apply(self, data: dict) -> None:
        unknown = set(data) - {"latency", "faults", "credentials", "subscriptions", "token_lifetime", "access",
                               "role_assignments", "registered_providers", "provider_registration", "capacity"} - COMMENT_KEYS
        if unknown:
            raise ConfigError(f"unknown config keys {sorted(unknown)}; valid: latency, faults, credentials, subscriptions, "
                              "token_lifetime, access, role_assignments, registered_providers, provider_registration, "
                              f"capacity (and the comment keys {', '.join(sorted(COMMENT_KEYS))})")
        if "capacity" in data:
            self.set_capacity(data["capacity"])
        if "registered_providers" in data:
            self.set_registered_providers(data["registered_providers"])
        if "provider_registration" in data:
            if data["provider_registration"] not in ("allowed", "forbidden"):
                raise ConfigError("provider_registration must be 'allowed' or 'forbidden'")
            self.provider_registration = data["provider_registration"]
        if "latency" in data:
            self.set_latency(data["latency"])
        if "faults" in data:
            faults = data["faults"]
            if not isinstance(faults, list):
                raise ConfigError("faults must be a list of fault mappings")
            with self._lock:
                self.faults = [Fault.from_dict(item) for item in faults]
        if "credentials" in data:
            self.set_credentials(data["credentials"])
        if "subscriptions" in data:
            self.set_subscriptions(data["subscriptions"])
        if "token_lifetime" in data:
            self.token_lifetime = int(data["token_lifetime"])
        if "access" in data:
            self.set_access(data["access"])
        if "role_assignments" in data:
            self.role_assignments = parse_role_assignments(data["role_assignments"])

    def set_access(self, access: Any) -> None:
        """Merge access settings: mode (strict|open), client_address, client_subnet, rbac_delay, dns_delay."""
        if not isinstance(access, dict):
            raise ConfigError("access must be a mapping of mode, client_address, client_subnet, rbac_delay, dns_delay")
        unknown = set(access) - set(ACCESS_DEFAULTS)
        if unknown:
            raise ConfigError(f"unknown access keys {sorted(unknown)}; valid: {', '.join(ACCESS_DEFAULTS)}")
        merged = dict(self.access, **access)
        if merged["mode"] not in ACCESS_MODES:
            raise ConfigError(f"access.mode {merged['mode']!r} is not one of {list(ACCESS_MODES)}")
        try:
            address = ipaddress.IPv4Address(str(merged["client_address"]))
        except ValueError:
            raise ConfigError(f"access.client_address {merged['client_address']!r} is not an IPv4 address") from None
        subnet = merged["client_subnet"]
        if subnet is not None and not (isinstance(subnet, str) and "/subnets/" in subnet.lower()):
            raise ConfigError(f"access.client_subnet {subnet!r} must be a subnet resource id "
                              "(/subscriptions/.../virtualNetworks/<vnet>/subnets/<name>) or null")
        for key in ("rbac_delay", "dns_delay"):
            try:
                merged[key] = float(merged[key])
            except (TypeError, ValueError):
                raise ConfigError(f"access.{key} must be a number of seconds, got {merged[key]!r}") from None
            if merged[key] < 0:
                raise ConfigError(f"access.{key} must be >= 0, got {merged[key]}")
        merged["client_address"] = str(address)
        with self._lock:
            self.access = merged

    def set_capacity(self, capacity: Any) -> None:
        """Merge capacity settings: limits {usage name: number} (names: VirtualNetworks, NetworkSecurityGroups, cores,
        a PostgreSQL family such as standardDSv3Family, or "family" for every family) and withheld_skus {location:
        [size names]} (replacing the list of each location given; [] offers everything again)."""
        if not isinstance(capacity, dict) or set(capacity) - set(CAPACITY_DEFAULTS):
            raise ConfigError(f"capacity must be a mapping with keys from {sorted(CAPACITY_DEFAULTS)}, got {capacity!r}")
        limits = capacity.get("limits", {})
        if not isinstance(limits, dict) or not all(isinstance(v, int) and not isinstance(v, bool) for v in limits.values()):
            raise ConfigError(f"capacity.limits must map usage names to integers, got {limits!r}")
        withheld = capacity.get("withheld_skus", {})
        if not isinstance(withheld, dict) or not all(isinstance(v, list) and all(isinstance(n, str) for n in v)
                                                     for v in withheld.values()):
            raise ConfigError(f"capacity.withheld_skus must map locations to lists of size names, got {withheld!r}")
        with self._lock:
            self.capacity["limits"].update(limits)
            for location, names in withheld.items():
                self.capacity["withheld_skus"][_location_key(location)] = [n.lower() for n in names]

    def capacity_snapshot(self) -> dict:
        with self._lock:
            return {"limits": dict(self.capacity["limits"]),
                    "withheld_skus": {k: list(v) for k, v in self.capacity["withheld_skus"].items() if v}}

    def access_snapshot(self) -> dict:
        with self._lock:
            return dict(self.access)

    def set_latency(self, latency: Any, replace: bool = False) -> None:
        """Seconds per resource type; POST merges into the current map, PUT (replace) swaps it."""
        if not isinstance(latency, dict):
            raise ConfigError("latency must map a resource type (or 'default') to seconds")
        parsed = {}
        for key, value in latency.items():
            try:
                seconds = float(value)
            except (TypeError, ValueError):
                raise ConfigError(f"latency for {key!r} must be a number of seconds, got {value!r}") from None
            if seconds < 0:
                raise ConfigError(f"latency for {key!r} must be >= 0, got {seconds}")
            parsed[str(key).lower()] = seconds
        with self._lock:
            if replace:
                self.latency = {}
            self.latency.update(parsed)

    def set_credentials(self, credentials: Any) -> None:
        if not isinstance(credentials, list) or not all(
                isinstance(c, dict) and c.get("client_id") and c.get("client_secret") for c in credentials):
            raise ConfigError("credentials must be a list of {client_id, client_secret[, tenant_id]} mappings")
        with self._lock:
            self.credentials = [dict(c) for c in credentials]

    def set_subscriptions(self, subscriptions: Any) -> None:
        """Extra subscription ids that exist (the default one always does); others answer 404 SubscriptionNotFound."""
        if not isinstance(subscriptions, list) or not all(isinstance(s, str) and s.strip() for s in subscriptions):
            raise ConfigError(f"subscriptions must be a list of subscription id strings, got {subscriptions!r}")
        known = [DEFAULT_SUBSCRIPTION] + [s.strip() for s in subscriptions if s.strip().lower() != DEFAULT_SUBSCRIPTION]
        with self._lock:
            self.subscriptions = known

    def set_registered_providers(self, namespaces: Any) -> None:
        """Namespaces registered in every subscription from the start (besides Azure's registered-by-default set);
        ["*"] registers everything."""
        if not isinstance(namespaces, list) or not all(isinstance(n, str) and n for n in namespaces):
            raise ConfigError(f"registered_providers must be a list of namespaces, got {namespaces!r}")
        with self._lock:
            self.registered = {n.lower() for n in namespaces}

    def starts_registered(self, namespace: str) -> bool:
        with self._lock:
            return namespace.lower() in DEFAULT_REGISTERED or namespace.lower() in self.registered or "*" in self.registered

    def knows_subscription(self, subscription_id: str) -> bool:
        with self._lock:
            return subscription_id.lower() in (s.lower() for s in self.subscriptions)

    def delay_for(self, type_name: str) -> float:
        with self._lock:
            return self.latency.get(type_name.lower(), self.latency.get("default", 0.0))

    def add_faults(self, faults: list) -> list[Fault]:
        parsed = [Fault.from_dict(item) for item in faults]
        with self._lock:
            self.faults.extend(parsed)
        return parsed

    def clear_faults(self) -> None:
        with self._lock:
            self.faults = []

    def take_fault(self, kind: str, info: dict) -> Fault | None:
        """Consume one use of the first fault of this kind that matches the request."""
        with self._lock:
            for fault in self.faults:
                if fault.kind == kind and fault.matches(info):
                    fault.count -= 1
                    if fault.count <= 0:
                        self.faults.remove(fault)
                    return fault
        return None

    def snapshot(self) -> dict:
        with self._lock:
            return {"latency": dict(self.latency), "faults": [f.to_dict() for f in self.faults],
                    "credentials": [{"tenant_id": c.get("tenant_id"), "client_id": c["client_id"]}
                                    for c in self.credentials],
                    "subscriptions": list(self.subscriptions),
                    "registered_providers": sorted(self.registered),
                    "provider_registration": self.provider_registration,
                    "token_lifetime": self.token_lifetime,
                    "access": dict(self.access),
                    "capacity": {"limits": dict(self.capacity["limits"]),
                                 "withheld_skus": {k: list(v) for k, v in self.capacity["withheld_skus"].items() if v}},
                    "role_assignments": [dict(a) for a in self.role_assignments]}


def _location_key(location: str) -> str:
    """Locations compared as ARM does: "West Europe" and "westeurope" are one."""
    return str(location).replace(" ", "").lower()


def parse_role_assignments(items: Any) -> list[dict]:
    """Role assignments the emulator creates at start and after a reset (what a subscription's owner starts with):
    [{client_id | principal_id, role (name or definition GUID), scope (default: the default subscription), principal_type}]."""
    if not isinstance(items, list):
        raise ConfigError("role_assignments must be a list of {client_id or principal_id, role, scope} mappings")
    from .providers.authorization import BUILT_IN_ROLES, role_guid  # pylint: disable=import-outside-toplevel

    parsed = []
    for item in items:
        if not isinstance(item, dict) or set(item) - ASSIGNMENT_KEYS:
            raise ConfigError(f"a role assignment must be a mapping with keys from {sorted(ASSIGNMENT_KEYS)}, got {item!r}")
        if bool(item.get("client_id")) == bool(item.get("principal_id")) or not item.get("role"):
            raise ConfigError(f"role assignment {item!r}: give role and exactly one of client_id or principal_id")
        if role_guid(str(item["role"])) is None:
            raise ConfigError(f"role assignment {item!r}: role {item['role']!r} is not one the emulator knows: "
                              f"{', '.join(r['roleName'] for r in BUILT_IN_ROLES.values())} (or their definition ids)")
        scope = str(item.get("scope") or f"/subscriptions/{DEFAULT_SUBSCRIPTION}")
        if not scope.lower().startswith("/subscriptions/"):
            raise ConfigError(f"role assignment {item!r}: scope must start with /subscriptions/")
        parsed.append(dict(item, scope=scope.rstrip("/")))
    return parsed
