"""Start and stop the local ARM emulator from tests, and talk to its admin API.

    from emulator import Emulator
    with Emulator(tmp_path / "arm", config={"latency": {"default": 0}}) as emu:
        env = emu.env()                    # AZURE_* / AWX-style variables + REQUESTS_CA_BUNDLE
        cred = emu.credential()            # a real azure.identity.ClientSecretCredential
        client = NetworkManagementClient(cred, emu.subscription_id, **emu.client_kwargs())
        emu.add_fault(status=429, method="PUT", resource_type="Microsoft.Network/virtualNetworks")
        emu.requests(operation="Microsoft.Network/virtualNetworks/write")

It drives the same `tools/arm-emulator` command a user runs.
"""
from __future__ import annotations

import json
import os
import ssl
import subprocess
import sys
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[2]
CLI = REPO / "tools" / "arm-emulator"
sys.path.insert(0, str(REPO / "tools"))

# pylint: disable-next=wrong-import-position
from arm_emulator.config import DEFAULT_CLIENT_ADDRESS  # noqa: E402
from arm_emulator.identity import DEFAULT_CLIENT_ID, object_id  # noqa: E402  pylint: disable=wrong-import-position

# Where the emulator sees the controller (every client): a public address outside every virtual network.
CONTROLLER_ADDRESS = DEFAULT_CLIENT_ADDRESS
# What a subscription's owner has from the start: Owner on the default subscription for the default client
# (it may assign roles; it has no data-plane role on any vault until one is assigned).
OWNER_CONFIG = {"role_assignments": [{"client_id": DEFAULT_CLIENT_ID, "role": "Owner"}]}


AWX_NAMES = ("AZURE_SUBSCRIPTION_ID", "AZURE_CLIENT_ID", "AZURE_SECRET", "AZURE_TENANT", "AZURE_CLOUD_ENVIRONMENT")


# The emulator runs on the test's interpreter unless ARM_EMULATOR_PYTHON names another: scripts/test.sh's stage
# `lowest` runs the modules on the oldest SDKs requirements.txt allows and keeps the emulator on .venv.
EMULATOR_PYTHON = os.environ.get("ARM_EMULATOR_PYTHON") or sys.executable

PREPARED_PROVIDERS = ("Microsoft.Network", "Microsoft.KeyVault", "Microsoft.DBforPostgreSQL", "Microsoft.OperationalInsights",
                      "Microsoft.ContainerRegistry", "Microsoft.Insights", "Microsoft.Cache", "Microsoft.Storage",
                      "Microsoft.ApiManagement", "Microsoft.App", "Microsoft.ManagedIdentity",
                      "Microsoft.EventHub")


class EmulatorError(RuntimeError):
    """The emulator did not start, or an admin call failed."""


class Emulator:
    """One emulator process with its state in state_dir (kept across stop/start)."""

    def __init__(self, state_dir: str | Path, config: dict | None = None, port: int | None = None,
                 prepared: bool = True) -> None:
        self.state_dir = Path(state_dir)
        self.config = config
        self.prepared = prepared
        self.port = port
        self.info: dict[str, str] = {}

    # --- lifecycle ----------------------------------------------------------------------
    def start(self) -> "Emulator":
        self.state_dir.mkdir(parents=True, exist_ok=True)
        cmd = [str(CLI), "start", "--state-dir", str(self.state_dir)]
        if self.config is not None:
            config_file = self.state_dir / "test-config.json"
            config_file.write_text(json.dumps(self.config), encoding="utf-8")
            cmd += ["--config", str(config_file)]
        if self.port is not None:
            cmd += ["--port", str(self.port)]
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=60, check=False,
                              env={"ARM_EMULATOR_PYTHON": EMULATOR_PYTHON, "PATH": "/usr/bin:/bin"})
        if proc.returncode != 0:
            log = self.state_dir / "emulator.log"
            raise EmulatorError(f"arm-emulator start failed ({proc.returncode}): {proc.stderr}\n"
                                f"{log.read_text() if log.exists() else ''}")
        self.info = dict(line.split("=", 1) for line in proc.stdout.splitlines() if "=" in line)
        if self.prepared:
            # The subscriptions' owner registered the providers the collection writes into, as on a prepared
            # subscription (a fresh one: prepared=False, or a subscription added later; test_resource_provider.py).
            self.admin("POST", "providers", {"namespaces": list(PREPARED_PROVIDERS)})
        return self

    def stop(self) -> None:
        subprocess.run([str(CLI), "stop", "--state-dir", str(self.state_dir)], capture_output=True, text=True,
                       timeout=30, check=False, env={"ARM_EMULATOR_PYTHON": EMULATOR_PYTHON, "PATH": "/usr/bin:/bin"})

    def restart(self) -> "Emulator":
        self.stop()
        self.config = None  # the state dir keeps the config given at first start
        return self.start()

    def __enter__(self) -> "Emulator":
        return self.start()

    def __exit__(self, *exc: Any) -> None:
        self.stop()

    # --- what clients need --------------------------------------------------------------
    @property
    def url(self) -> str:
        return self.info["ARM_EMULATOR_URL"]

    @property
    def ca(self) -> str:
        return self.info["ARM_EMULATOR_CA"]

    @property
    def tenant_id(self) -> str:
        return self.info["ARM_EMULATOR_TENANT_ID"]

    @property
    def client_id(self) -> str:
        return self.info["ARM_EMULATOR_CLIENT_ID"]

    @property
    def client_secret(self) -> str:
        return self.info["ARM_EMULATOR_CLIENT_SECRET"]

    @property
    def subscription_id(self) -> str:
        return self.info["ARM_EMULATOR_SUBSCRIPTION_ID"]

    def env(self) -> dict[str, str]:
        """Variables for a module run: the AWX names, azure-identity's names, and the CA bundle."""
        return {
            "AZURE_SUBSCRIPTION_ID": self.subscription_id, "AZURE_CLIENT_ID": self.client_id,
            "AZURE_SECRET": self.client_secret, "AZURE_TENANT": self.tenant_id,
            "AZURE_CLOUD_ENVIRONMENT": self.url,
            "AZURE_CLIENT_SECRET": self.client_secret, "AZURE_TENANT_ID": self.tenant_id,
            "AZURE_AUTHORITY_HOST": self.url, "REQUESTS_CA_BUNDLE": self.ca,
        }

    def awx_env(self, with_proxy: bool = False) -> dict[str, str]:
        """Only what an AWX Azure credential injects (plus the CA bundle, as a private CA would be
        on an execution environment); with_proxy adds the CONNECT proxy for *.localhost names."""
        env = {name: value for name, value in self.env().items() if name in AWX_NAMES}
        env["REQUESTS_CA_BUNDLE"] = self.ca
        if with_proxy:
            env.update(self.proxy_env())
        return env

    @property
    def proxy(self) -> str:
        """http://127.0.0.1:<port>: the same port as an HTTPS (CONNECT) proxy for *.localhost names."""
        return self.info["ARM_EMULATOR_PROXY"]

    def proxy_env(self) -> dict[str, str]:
        """Variables that send *.vault.localhost (and other emulator names) through the proxy. NO_PROXY
        must not list "localhost": it would suffix-match those names and bypass the proxy."""
        return {"HTTPS_PROXY": self.proxy, "https_proxy": self.proxy, "NO_PROXY": "127.0.0.1", "no_proxy": "127.0.0.1"}

    def credential(self, client_secret: str | None = None, client_id: str | None = None):
        """A real ClientSecretCredential pointed at the emulator's token endpoint."""
        from azure.identity import ClientSecretCredential  # pylint: disable=import-outside-toplevel
        return ClientSecretCredential(self.tenant_id, client_id or self.client_id, client_secret or self.client_secret,
                                      authority=self.url, disable_instance_discovery=True, connection_verify=self.ca)

    def client_kwargs(self) -> dict:
        """Keyword arguments for any azure-mgmt-* client: base_url, scope, CA."""
        return {"base_url": self.url, "credential_scopes": [self.url + "/.default"], "connection_verify": self.ca}

    # --- admin API ----------------------------------------------------------------------
    def admin(self, method: str, path: str, body: Any = None) -> Any:
        data = None if body is None else json.dumps(body).encode()
        request = urllib.request.Request(f"{self.url}/_emulator/{path}", data=data, method=method,
                                         headers={"Content-Type": "application/json"})
        context = ssl.create_default_context(cafile=self.ca)
        try:
            with urllib.request.urlopen(request, context=context, timeout=10) as resp:
                raw = resp.read()
        except urllib.error.HTTPError as exc:
            raise EmulatorError(f"{method} /_emulator/{path}: HTTP {exc.code}: {exc.read().decode()}") from None
        return json.loads(raw) if raw else None

    def add_fault(self, **fault: Any) -> None:
        """E.g. add_fault(status=429, retry_after=1, count=1, method="PUT", resource_type=..., name=...),
        or add_fault(kind="fail_operation", code="...", message="...", name=...)."""
        self.admin("POST", "faults", fault)

    def clear_faults(self) -> None:
        self.admin("DELETE", "faults")

    def set_latency(self, latency: dict[str, float], replace: bool = False) -> None:
        """Seconds per resource type ("Microsoft.Network/virtualNetworks") or "default";
        merged into the current settings, or replacing them all when replace=True."""
        self.admin("PUT" if replace else "POST", "latency", latency)

    @property
    def object_id(self) -> str:
        """The object id (token `oid`) of the default client: the principal its role assignments name."""
        return object_id(self.client_id)

    def grant(self, role: str, scope: str | None = None, client_id: str | None = None) -> dict:
        """Assign a built-in role (name or id) to a client (default: the default client) at scope (default: the
        default subscription), as an administrator outside the tests would; returns the assignment."""
        item = {"client_id": client_id or self.client_id, "role": role}
        if scope:
            item["scope"] = scope
        return self.admin("POST", "role-assignments", item)["value"][0]

    def set_access(self, **settings: Any) -> dict:
        """mode (strict|open), client_address, client_subnet, rbac_delay, dns_delay (merged into the current ones)."""
        return self.admin("POST", "access", settings)

    def set_capacity(self, limits: dict | None = None, withheld_skus: dict | None = None) -> dict:
        """Usage limits by row name (VirtualNetworks, NetworkSecurityGroups, cores, a PostgreSQL family, or "family") and
        PostgreSQL sizes a location does not offer ({location: [size names]}); merged into the current settings."""
        body = {}
        if limits is not None:
            body["limits"] = limits
        if withheld_skus is not None:
            body["withheld_skus"] = withheld_skus
        return self.admin("POST", "capacity", body)

    def reset(self) -> None:
        """Forget every resource, operation and registration (registered again when prepared); faults and latency
        return to the start config."""
        self.admin("POST", "reset")
        if self.prepared:
            self.admin("POST", "providers", {"namespaces": list(PREPARED_PROVIDERS)})

    def requests(self, since: int = 0, **match: str) -> list[dict]:
        """Request log entries (time, method, path, api_version, status, request_id, operation,
        resource_type, name, ...) from the since-th on, filtered by exact field values."""
        path = self.state_dir / "requests.jsonl"
        lines = path.read_text(encoding="utf-8").splitlines() if path.exists() else []
        entries = [json.loads(line) for line in lines[since:] if line.strip()]
        return [e for e in entries if all(str(e.get(k)) == str(v) for k, v in match.items())]

    def request_count(self) -> int:
        path = self.state_dir / "requests.jsonl"
        return len(path.read_text(encoding="utf-8").splitlines()) if path.exists() else 0
