# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Azure credential and cloud resolution. PRIVATE to the collection: no compatibility promise.

Pure decisions (which credential source applies, which cloud and endpoints) are separate from
building azure-identity objects, so they can be tested without the SDK or the network.
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass, field
from urllib.parse import urlparse

from ansible_collections.complianceflow.infra.plugins.module_utils._azure import run_cache

AUTH_SOURCES = ("auto", "module", "env", "identity_env", "msi", "cli")

# The variables AWX's "Microsoft Azure Resource Manager" credential type injects.
AWX_ENV = {
    "subscription_id": "AZURE_SUBSCRIPTION_ID",
    "client_id": "AZURE_CLIENT_ID",
    "secret": "AZURE_SECRET",
    "tenant": "AZURE_TENANT",
    "ad_user": "AZURE_AD_USER",
    "password": "AZURE_PASSWORD",
    "cloud_environment": "AZURE_CLOUD_ENVIRONMENT",
}

# Public client id of the Azure CLI: the usual client for username/password sign-in.
AZURE_CLI_CLIENT_ID = "04b07795-8ddb-461a-bbee-02f9e1bf7b46"


class AzureConfigError(ValueError):
    """Bad or incomplete auth/cloud configuration, found before any call to Azure."""


@dataclass(frozen=True)
class AuthPlan:
    """Which credential to build. `origin` tells the user where the values came from."""

    source: str
    kind: str  # service_principal | user_password | environment | managed_identity | cli
    origin: str
    subscription_id: str | None = None
    tenant: str | None = None
    client_id: str | None = None
    secret: str | None = field(default=None, repr=False)
    username: str | None = None
    password: str | None = field(default=None, repr=False)


@dataclass(frozen=True)
class Cloud:
    name: str
    resource_manager: str
    authority: str
    credential_scopes: tuple
    custom: bool = False
    adfs: bool = False


KNOWN_CLOUDS = {
    "AzureCloud": Cloud("AzureCloud", "https://management.azure.com/", "https://login.microsoftonline.com",
                        ("https://management.azure.com/.default",)),
    "AzureUSGovernment": Cloud("AzureUSGovernment", "https://management.usgovcloudapi.net/", "https://login.microsoftonline.us",
                               ("https://management.core.usgovcloudapi.net/.default",)),
    "AzureChinaCloud": Cloud("AzureChinaCloud", "https://management.chinacloudapi.cn/", "https://login.chinacloudapi.cn",
                             ("https://management.chinacloudapi.cn/.default",)),
}
_CLOUD_ALIASES = {
    "azurecloud": "AzureCloud", "azurepubliccloud": "AzureCloud", "azure_public_cloud": "AzureCloud", "public": "AzureCloud",
    "azureusgovernment": "AzureUSGovernment", "azureusgovernmentcloud": "AzureUSGovernment", "azure_us_government": "AzureUSGovernment",
    "azurechinacloud": "AzureChinaCloud", "azure_china_cloud": "AzureChinaCloud",
}


def _pick(params: dict, key: str) -> str | None:
    value = params.get(key)
    return value if value not in (None, "") else None


def _env(env, name: str) -> str | None:
    value = env.get(name)
    return value if value not in (None, "") else None


def _from_values(source: str, origin: str, values: dict, subscription_id: str | None) -> AuthPlan | None:
    """A service principal or user/password plan from one set of values, or None if it has neither."""
    names = AWX_ENV if source == "env" else {k: k for k in AWX_ENV}
    secret, user, password = values.get("secret"), values.get("ad_user"), values.get("password")
    if secret:
        missing = [names[k] for k in ("client_id", "tenant") if not values.get(k)]
        if missing:
            raise AzureConfigError(
                f"{origin}: a service principal secret was given without {' and '.join(missing)}; "
                f"a service principal needs {names['client_id']}, {names['secret']} and {names['tenant']}")
        return AuthPlan(source, "service_principal", origin, subscription_id, values["tenant"], values["client_id"], secret=secret)
    if user or password:
        if not (user and password):
            raise AzureConfigError(f"{origin}: {names['ad_user']} and {names['password']} must be given together")
        return AuthPlan(source, "user_password", origin, subscription_id, values.get("tenant") or "organizations",
                        values.get("client_id") or AZURE_CLI_CLIENT_ID, username=user, password=password)
    return None


def _identity_env_ready(env) -> bool:
    if not (_env(env, "AZURE_CLIENT_ID") and _env(env, "AZURE_TENANT_ID")):
        return False
    return bool(_env(env, "AZURE_CLIENT_SECRET") or _env(env, "AZURE_CLIENT_CERTIFICATE_PATH")
                or (_env(env, "AZURE_USERNAME") and _env(env, "AZURE_PASSWORD")))


def resolve_auth(params: dict, env, which=shutil.which) -> AuthPlan:
    """Decide which credential to use.

    `auto` tries, in order: module options; the AWX variables; azure-identity's own variables;
    a managed identity the host advertises (IDENTITY_ENDPOINT / MSI_ENDPOINT); the Azure CLI
    login when `az` is on PATH. The VM metadata service (IMDS) is never probed implicitly:
    `auth_source: msi` asks for it.
    """
    source = params.get("auth_source") or "auto"
    if source not in AUTH_SOURCES:
        raise AzureConfigError(f"auth_source={source!r} is not valid; use one of {', '.join(AUTH_SOURCES)}")
    subscription = _pick(params, "subscription_id") or _env(env, "AZURE_SUBSCRIPTION_ID")
    module_values = {k: _pick(params, k) for k in ("client_id", "secret", "tenant", "ad_user", "password")}
    awx_values = {k: _env(env, v) for k, v in AWX_ENV.items()}

    if source in ("auto", "module"):
        plan = _from_values("module", "module options", module_values, subscription)
        if plan or source == "module":
            if not plan:
                raise AzureConfigError("auth_source=module needs secret with client_id and tenant, or ad_user and password")
            return plan
    if source in ("auto", "env"):
        plan = _from_values("env", "AWX environment variables", awx_values, _pick(params, "subscription_id") or awx_values["subscription_id"])
        if plan or source == "env":
            if not plan:
                raise AzureConfigError("auth_source=env needs AZURE_CLIENT_ID, AZURE_SECRET and AZURE_TENANT, or AZURE_AD_USER and AZURE_PASSWORD")
            return plan
    if source == "identity_env" or (source == "auto" and _identity_env_ready(env)):
        if not _identity_env_ready(env):
            raise AzureConfigError("auth_source=identity_env needs AZURE_CLIENT_ID, AZURE_TENANT_ID and one of AZURE_CLIENT_SECRET, "
                                   "AZURE_CLIENT_CERTIFICATE_PATH or AZURE_USERNAME with AZURE_PASSWORD")
        return AuthPlan("identity_env", "environment", "azure-identity environment variables", subscription,
                        _env(env, "AZURE_TENANT_ID"), _env(env, "AZURE_CLIENT_ID"))
    if source == "msi" or (source == "auto" and (_env(env, "IDENTITY_ENDPOINT") or _env(env, "MSI_ENDPOINT"))):
        return AuthPlan("msi", "managed_identity", "managed identity", subscription,
                        client_id=module_values["client_id"] or _env(env, "AZURE_CLIENT_ID"))
    if source == "cli" or (source == "auto" and which("az")):
        return AuthPlan("cli", "cli", "Azure CLI login", subscription, tenant=module_values["tenant"])
    raise AzureConfigError(
        "no Azure credentials found; tried module options (client_id/secret/tenant or ad_user/password), "
        "the AWX variables (AZURE_CLIENT_ID/AZURE_SECRET/AZURE_TENANT), azure-identity's variables "
        "(AZURE_CLIENT_ID/AZURE_TENANT_ID/AZURE_CLIENT_SECRET), a managed identity endpoint and the Azure CLI (az not on PATH). "
        "On an Azure VM with a managed identity set auth_source=msi")


def require_subscription(plan: AuthPlan) -> str:
    if not plan.subscription_id:
        raise AzureConfigError(f"no subscription: set the subscription_id option or AZURE_SUBSCRIPTION_ID (credentials from {plan.origin})")
    return plan.subscription_id


def cloud_setting(params: dict, env) -> str:
    return _pick(params, "cloud_environment") or _env(env, "AZURE_CLOUD_ENVIRONMENT") or "AzureCloud"


def known_cloud(value: str) -> Cloud | None:
    """The named public cloud, None for an ARM URL; an unknown name is an error."""
    if value.lower().startswith(("https://", "http://")):
        if urlparse(value).scheme != "https" or not urlparse(value).netloc:
            raise AzureConfigError(f"cloud_environment={value!r}: an ARM endpoint must be an https:// URL")
        return None
    name = _CLOUD_ALIASES.get(value.lower().replace("-", "_").replace(" ", ""))
    if not name:
        raise AzureConfigError(f"cloud_environment={value!r} is not a known cloud; use one of "
                               f"{', '.join(KNOWN_CLOUDS)} or the https:// URL of an ARM endpoint (Azure Stack)")
    return KNOWN_CLOUDS[name]


def metadata_url(arm_url: str, api_version: str = "2022-09-01") -> str:
    return arm_url.rstrip("/") + "/metadata/endpoints?api-version=" + api_version


def _metadata_key(arm_url: str) -> str:
    return arm_url.rstrip("/").lower()


def cached_metadata(env, arm_url: str):
    """The metadata document an earlier task of this run read from arm_url, or None (no run cache, none yet, unreadable)."""
    return run_cache.read(env, "cloud-metadata", _metadata_key(arm_url))


def store_metadata(env, arm_url: str, payload) -> None:
    """Keep a metadata document for the run's later tasks (best effort: without the cache they read it again)."""
    run_cache.write(env, "cloud-metadata", _metadata_key(arm_url), payload)


def _same_host(a: str, b: str) -> bool:
    return urlparse(a).netloc.lower() == urlparse(b).netloc.lower()


def cloud_from_metadata(arm_url: str, payload) -> Cloud:
    """A Cloud from ARM's metadata endpoint.

    api-version 2022-09-01 answers a list of clouds (pick the one whose resourceManager is this
    URL); Azure Stack's older form (2015-01-01) is a single object with `authentication`.
    """
    entries = payload if isinstance(payload, list) else [payload]
    entries = [e for e in entries if isinstance(e, dict) and isinstance(e.get("authentication"), dict)]
    if not entries:
        raise AzureConfigError(f"{metadata_url(arm_url)} answered no cloud with an 'authentication' section")
    entry = next((e for e in entries if e.get("resourceManager") and _same_host(e["resourceManager"], arm_url)), entries[0])
    auth = entry["authentication"]
    login = (auth.get("loginEndpoint") or "").rstrip("/")
    audiences = auth.get("audiences") or []
    if not login or not audiences:
        raise AzureConfigError(f"{metadata_url(arm_url)}: the cloud metadata lacks authentication.loginEndpoint or audiences")
    adfs = login.lower().endswith("/adfs") or str(auth.get("identityProvider", "")).upper() == "ADFS"
    if login.lower().endswith("/adfs"):
        login = login[: -len("/adfs")]
    # A v1 resource id becomes a v2 scope by appending "/.default", keeping its own trailing slash
    # (https://management.core.windows.net/ -> https://management.core.windows.net//.default).
    scope = audiences[0] + "/.default"
    resource_manager = arm_url.rstrip("/") + "/"
    return Cloud(entry.get("name") or urlparse(arm_url).netloc, resource_manager, login, (scope,), custom=True, adfs=adfs)


def cli_cloud_problem(cli_cloud: str | None, cloud: Cloud) -> str | None:
    """Why the Azure CLI login cannot serve `cloud` (None when it can, or when it cannot be told).

    AzureCliCredential asks `az` for a token of the cloud az is set to; cloud_environment cannot change
    that (azure-identity's AzureCliCredential takes no authority), so a named cloud must match `az cloud show`.
    """
    if cloud.custom or not cli_cloud or cli_cloud.lower() == cloud.name.lower():
        return None
    return (f"cloud_environment is {cloud.name} but the Azure CLI is set to {cli_cloud}: its login cannot give tokens "
            f"for {cloud.name}; run 'az cloud set --name {cloud.name}' and 'az login', or choose another auth_source")


def connection_verify(params: dict):
    """What the SDK's transport takes as `connection_verify`: a CA bundle path or a bool."""
    if params.get("validate_certs") is False:
        return False
    return params.get("ca_bundle") or True
