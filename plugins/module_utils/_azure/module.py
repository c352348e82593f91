# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The shared base of the collection's Azure modules. PRIVATE to the collection.

AzureModule wraps AnsibleModule (like amazon.aws AnsibleAWSModule): it merges the auth options
of the `complianceflow.infra.azure` doc fragment, resolves credentials and the cloud, builds SDK
clients with azure-core's retry policy configured, waits on long-running operations with a
bounded timeout, and turns Azure exceptions into one fail_json (never a traceback).
"""

from __future__ import annotations

import dataclasses
import importlib
import json
import os
import subprocess
import time
import traceback
from contextlib import contextmanager

from ansible.module_utils.basic import AnsibleModule, missing_required_lib

from ansible_collections.complianceflow.infra.plugins.module_utils._azure import auth, discovery, tls
from ansible_collections.complianceflow.infra.plugins.module_utils._azure.arm import ArmClient, OperationFailed, OperationTimeout
from ansible_collections.complianceflow.infra.plugins.module_utils._azure.values import AzureInputError
from ansible_collections.complianceflow.infra.plugins.module_utils._azure.errors import (
    describe_azure_error, describe_failed_operation, is_subscription_not_found)

try:
    from azure.core.exceptions import AzureError, ResourceNotFoundError
    from azure.core.pipeline import policies as core_policies
    HAS_AZURE_CORE, AZURE_CORE_IMPORT_ERROR = True, None
except ImportError:
    AzureError = ResourceNotFoundError = None  # pylint: disable=invalid-name
    HAS_AZURE_CORE, AZURE_CORE_IMPORT_ERROR = False, traceback.format_exc()

USER_AGENT = "complianceflow.infra"

# key -> (python module, client class, pip package): the service SDKs the engine uses (docs/resource-engine.md
# says which type uses which). Registered once, imported lazily: a module pays only for the SDK it uses, and a
# missing package is reported by its pip name.
SDK_CLIENTS = {
    "network": ("azure.mgmt.network", "NetworkManagementClient", "azure-mgmt-network"),
    "postgresql": ("azure.mgmt.postgresqlflexibleservers", "PostgreSQLManagementClient", "azure-mgmt-postgresqlflexibleservers"),
}

# Throttling (429) and 5xx are retried by azure-core's RetryPolicy, which honours Retry-After.
# azure-core's RetryPolicy caps connect, read and status retries at 3 each unless told otherwise: 6 of each, as the
# collection's docs promise (exponential backoff from 1 s to 60 s, Retry-After honoured).
RETRY_SETTINGS = {"retry_total": 6, "retry_connect": 6, "retry_read": 6, "retry_status": 6,
                  "retry_backoff_factor": 1.0, "retry_backoff_max": 60}


def retry_policy():
    """The retry policy of every pipeline the modules build: RETRY_SETTINGS, a refused certificate not retried."""
    return tls.CertificateCheckedRetryPolicy(**RETRY_SETTINGS)


AZURE_AUTH_SPEC = {
    "auth_source": {"type": "str", "default": "auto", "choices": list(auth.AUTH_SOURCES)},
    "subscription_id": {"type": "str"},
    "client_id": {"type": "str"},
    "secret": {"type": "str", "no_log": True},
    "tenant": {"type": "str"},
    "ad_user": {"type": "str"},
    "password": {"type": "str", "no_log": True},
    "cloud_environment": {"type": "str"},
    "ca_bundle": {"type": "path"},
    "validate_certs": {"type": "bool", "default": True},
    "timeout": {"type": "int", "default": 900},
}

STATE_SPEC = {"state": {"type": "str", "default": "present", "choices": ["present", "absent"]}}
WAIT_SPEC = {"wait": {"type": "bool", "default": True}, "after_operations": {"type": "list", "elements": "raw"}}
TAGS_SPEC = {
    "tags": {"type": "dict"},
    "purge_tags": {"type": "bool", "default": True},
}


class AzureModule:
    """AnsibleModule plus Azure auth, clients, bounded waits and error translation."""

    def __init__(self, argument_spec: dict | None = None, **kwargs):
        spec = dict(AZURE_AUTH_SPEC)
        spec.update(argument_spec or {})
        kwargs.setdefault("supports_check_mode", True)
        self._module = AnsibleModule(argument_spec=spec, **kwargs)
        self.params = self._module.params
        self.check_mode = self._module.check_mode
        self._diff = self._module._diff
        self._credential = None
        self._cloud = None
        self._plan = None
        self._subscription = None
        self._clients = {}
        self._arm = None
        if not HAS_AZURE_CORE:
            self.fail_json(msg=missing_required_lib("azure-core and azure-identity (pip install azure-core azure-identity)"),
                           exception=AZURE_CORE_IMPORT_ERROR)
        if self.params["timeout"] <= 0:
            self.fail_json(msg=f"timeout={self.params['timeout']} must be a positive number of seconds")

    # ---- AnsibleModule pass-through
    def fail_json(self, **kwargs):
        self._module.fail_json(**kwargs)

    def exit_json(self, **kwargs):
        self._module.exit_json(**kwargs)

    def warn(self, msg: str):
        self._module.warn(msg)

    @property
    def diff_mode(self) -> bool:
        return bool(self._diff)

    @property
    def no_log(self) -> bool:
        """Whether the task runs with no_log (a module may then return a secret's value)."""
        return bool(self._module.no_log)

    # ---- auth and cloud
    def _fail_config(self, err: Exception):
        self.fail_json(msg=str(err))

    @property
    def auth_plan(self) -> auth.AuthPlan:
        if self._plan is None:
            try:
                self._plan = auth.resolve_auth(self.params, os.environ)
            except auth.AzureConfigError as err:
                self._fail_config(err)
        return self._plan

    def transport_kwargs(self) -> dict:
        """The connection settings every client of this run gets (also part of what a reused client is known by)."""
        return {"connection_verify": auth.connection_verify(self.params), "connection_timeout": 30, "read_timeout": 120}

    def client_transport(self) -> dict:
        """transport_kwargs() plus a transport of its own whose HTTPS connections share the TLS trust store (tls.py),
        for one SDK client."""
        return tls.client_transport(self.transport_kwargs())

    @property
    def cloud(self) -> auth.Cloud:
        if self._cloud is None:
            setting = auth.cloud_setting(self.params, os.environ)
            try:
                self._cloud = auth.known_cloud(setting) or self._fetch_cloud(setting)
            except auth.AzureConfigError as err:
                self._fail_config(err)
        return self._cloud

    def _fetch_cloud(self, arm_url: str) -> auth.Cloud:
        from azure.core import PipelineClient
        from azure.core.rest import HttpRequest

        cached = auth.cached_metadata(os.environ, arm_url)
        if cached is not None:
            try:
                return auth.cloud_from_metadata(arm_url, cached)
            except auth.AzureConfigError:
                pass   # not what it should be: read it from ARM again
        client = PipelineClient(arm_url, policies=[retry_policy()], **self.client_transport())
        last = None
        for version in ("2022-09-01", "2015-01-01"):
            with self.operation(f"read cloud metadata from {arm_url}"):
                response = client.send_request(HttpRequest("GET", auth.metadata_url(arm_url, version)))
            if response.status_code == 200:
                try:
                    payload = response.json()
                    cloud = auth.cloud_from_metadata(arm_url, payload)
                except ValueError as err:
                    raise auth.AzureConfigError(f"cloud_environment={arm_url}: {err}") from err
                auth.store_metadata(os.environ, arm_url, payload)
                return cloud
            last = response.status_code
        raise auth.AzureConfigError(f"cloud_environment={arm_url}: {auth.metadata_url(arm_url)} answered HTTP {last}; "
                                    "is this the URL of an Azure Resource Manager endpoint?")

    @property
    def credential(self):
        if self._credential is None:
            plan, cloud = self.auth_plan, self.cloud
            if plan.kind == "cli":
                problem = auth.cli_cloud_problem(self._az_json("cloud", "show").get("name"), cloud)
                if problem:
                    self.fail_json(msg=problem)
            with self.operation("set up Azure credentials"):
                self._credential = self._reused("credential", lambda: build_credential(plan, cloud, self.transport_kwargs()))
        return self._credential

    def _reused(self, what: tuple | str, build):
        """build(), or what an earlier module run in this process built for the same `what`, auth plan, cloud and
        transport settings (reused_in_process). A credential that reads more than the plan (the environment, a managed
        identity, the CLI) is built each time, with what is built on it."""
        plan = self.auth_plan
        if plan.kind not in REUSABLE_AUTH_KINDS:
            return build()
        return reused_in_process((what, plan, self.cloud, tuple(sorted(self.transport_kwargs().items()))), build)

    @property
    def subscription_id(self) -> str:
        if self._subscription is None:
            plan = self.auth_plan
            sub = plan.subscription_id or (self._cli_subscription() if plan.kind == "cli" else None)
            try:
                self._subscription = auth.require_subscription(dataclasses.replace(plan, subscription_id=sub))
            except auth.AzureConfigError as err:
                self._fail_config(err)
        return self._subscription

    def _cli_subscription(self) -> str | None:
        # The CLI's default subscription, asked from `az` itself (never import azure-cli-core).
        return self._az_json("account", "show").get("id")

    @staticmethod
    def _az_json(*args) -> dict:
        """`az <args> --output json` as a dict; {} when az is missing or fails."""
        try:
            out = subprocess.run(["az", *args, "--output", "json"], capture_output=True, text=True, timeout=60, check=False)
            found = json.loads(out.stdout) if out.returncode == 0 else {}
        except (OSError, ValueError, subprocess.SubprocessError):
            return {}
        return found if isinstance(found, dict) else {}

    # ---- clients
    def client(self, which: str):
        """The SDK client `which` (a key of SDK_CLIENTS) for this subscription and cloud, built once."""
        if which not in self._clients:
            module_name, class_name, package = SDK_CLIENTS[which]
            try:
                cls = getattr(importlib.import_module(module_name), class_name)
            except ImportError:
                self.fail_json(msg=missing_required_lib(f"{package} (pip install {package})"), exception=traceback.format_exc())
            # Local decisions first (credentials, subscription) so a bad configuration fails before any network call.
            subscription = self.subscription_id
            cloud = self.cloud
            self._clients[which] = self._reused(
                ("sdk", which, subscription),
                lambda: cls(self.credential, subscription, base_url=cloud.resource_manager.rstrip("/"),
                            credential_scopes=list(cloud.credential_scopes), user_agent=USER_AGENT,
                            retry_policy=retry_policy(), **RETRY_SETTINGS, **self.client_transport()))
        return self._clients[which]

    def models(self, which: str):
        """The models module of the SDK `which`."""
        module_name, _dummy, package = SDK_CLIENTS[which]
        try:
            return importlib.import_module(module_name + ".models")
        except ImportError:
            self.fail_json(msg=missing_required_lib(f"{package} (pip install {package})"), exception=traceback.format_exc())
            return None

    @property
    def arm(self) -> ArmClient:
        """Raw ARM REST through azure-mgmt-core's ARMPipelineClient (the generated clients' policies)."""
        if self._arm is None:
            cloud = self.cloud
            pipeline = self._reused("arm", lambda: build_arm_pipeline(self.credential, cloud, self.client_transport()))
            self._arm = ArmClient(pipeline, cloud.resource_manager)
        return self._arm

    # ---- input, results, errors and long-running operations
    @contextmanager
    def validating(self):
        """Input errors found before any Azure call become one fail_json naming the bad value."""
        try:
            yield
        except (AzureInputError, auth.AzureConfigError) as err:
            self.fail_json(msg=str(err))

    def exit_with(self, changed: bool, before: dict, after: dict, **result):
        """exit_json with changed and, in diff mode, before/after of what the user set."""
        if self.diff_mode:
            result["diff"] = {"before": before, "after": after if changed else before}
        self.exit_json(changed=changed, **result)

    @contextmanager
    def operation(self, description: str):
        """Run Azure calls; any Azure exception becomes one fail_json naming `description`."""
        try:
            yield
        except AzureError as err:  # pylint: disable=catching-non-exception
            plan = self._plan
            self.fail_json(**describe_azure_error(err, description, plan.origin if plan else None, self._subscription))
        except OperationFailed as err:
            self.fail_json(**describe_failed_operation(err, description))
        except OperationTimeout as err:
            timeout = self.params["timeout"]
            self.fail_json(msg=f"{description}: timed out after {timeout} s (status {err.status}); Azure may still finish it: "
                               "raise the timeout option or check the resource later",
                           azure_error={"operation": description, "code": "Timeout", "status": err.status})
        except ValueError as err:
            # azure-identity/MSAL report a bad authority or tenant as ValueError.
            self.fail_json(msg=f"{description} failed: {err}")

    def deadline(self) -> float:
        """When a wait that starts now must end (monotonic clock): `timeout` seconds per operation."""
        return time.monotonic() + self.params["timeout"]

    def get_or_none(self, description: str, func, *args):
        """func(*args), or None when Azure answers 404 for the resource (or its group).

        A 404 SubscriptionNotFound is not "missing": the subscription id is wrong or not
        accessible, so reporting "does not exist" would be a silent wrong answer; it fails.
        """
        with self.operation(description):
            try:
                return func(*args)
            except ResourceNotFoundError as err:
                if is_subscription_not_found(err):
                    raise
                return None


# What earlier module runs in this process built (credential, ARM pipeline, SDK clients), kept for the next one: a
# loop's items run one after another in one worker (plugins/plugin_utils/in_process.py), and each would otherwise
# fetch its own token and open its own TLS connections. In memory and in this process only (never written anywhere);
# a forked child (a background job forked from a worker) starts with none, so no two processes share a connection.
_REUSED: dict = {}
os.register_at_fork(after_in_child=_REUSED.clear)
# Credentials built from the auth plan alone (another kind reads the environment or asks the CLI each time).
REUSABLE_AUTH_KINDS = ("service_principal", "user_password")


def reused_in_process(key: tuple, build):
    """build() the first time this process asks for `key`, the same object after."""
    if key not in _REUSED:
        _REUSED[key] = build()
    return _REUSED[key]


def build_credential(plan: auth.AuthPlan, cloud: auth.Cloud, transport: dict):
    """An azure-identity credential for the plan, pointed at the cloud's authority. Those that ask Entra ID (or ADFS)
    through MSAL share the TLS trust store (tls.py) and read its discovery document once per run where the run keeps a
    cache (discovery.py)."""
    try:
        identity = importlib.import_module("azure.identity")
    except ImportError as err:
        raise auth.AzureConfigError("the Python package azure-identity is required (pip install azure-identity)") from err
    common = dict(transport, authority=cloud.authority)
    if cloud.custom:
        # Azure Stack and the local emulator are not in Microsoft's instance discovery.
        common["disable_instance_discovery"] = True
    tenant = "adfs" if cloud.adfs else plan.tenant
    if plan.kind in ("service_principal", "user_password", "environment"):
        common.update(discovery.credential_transport(os.environ, transport))
    if plan.kind == "service_principal":
        return identity.ClientSecretCredential(tenant, plan.client_id, plan.secret, **common)
    if plan.kind == "user_password":
        return identity.UsernamePasswordCredential(plan.client_id, plan.username, plan.password, tenant_id=tenant, **common)
    if plan.kind == "environment":
        return identity.EnvironmentCredential(**common)
    if plan.kind == "managed_identity":
        return identity.ManagedIdentityCredential(client_id=plan.client_id, **transport)
    return identity.AzureCliCredential(tenant_id=plan.tenant or "")


def build_arm_pipeline(credential, cloud: auth.Cloud, transport: dict):
    """An ARMPipelineClient with the policies of a generated azure-mgmt client: request id, user agent,
    proxy, automatic resource provider registration, redirect, retry, ARM challenge authentication, hooks, logging."""
    from azure.mgmt.core import ARMPipelineClient  # pylint: disable=import-outside-toplevel
    from azure.mgmt.core.policies import (  # pylint: disable=import-outside-toplevel
        ARMAutoResourceProviderRegistrationPolicy, ARMChallengeAuthenticationPolicy, ARMHttpLoggingPolicy)

    pipeline = [
        core_policies.RequestIdPolicy(), core_policies.HeadersPolicy(), core_policies.UserAgentPolicy(USER_AGENT),
        core_policies.ProxyPolicy(), core_policies.ContentDecodePolicy(), ARMAutoResourceProviderRegistrationPolicy(),
        core_policies.RedirectPolicy(), retry_policy(),
        ARMChallengeAuthenticationPolicy(credential, *cloud.credential_scopes), core_policies.CustomHookPolicy(),
        core_policies.NetworkTraceLoggingPolicy(), ARMHttpLoggingPolicy(),
    ]
    return ARMPipelineClient(base_url=cloud.resource_manager.rstrip("/"), policies=pipeline, **transport)
