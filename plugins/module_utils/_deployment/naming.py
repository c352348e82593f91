# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Deployment names and the Azure resource names derived from them.

PRIVATE to the collection: the API may change without notice. Pure Python, no Ansible import,
so the filters, the deployment_info action and the unit tests share one implementation.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass

from ansible_collections.complianceflow.infra.plugins.module_utils._azure.values import reserved_name_problem
from ansible_collections.complianceflow.infra.plugins.module_utils._deployment.tiers import tiers_for

APP = "cf"
ENVIRONMENTS = ("dev", "stg", "prod")
INSTANCE_MAX = 99
DEFAULT_NAMING_SEED = "complianceflow"
KEY_VAULT_SUFFIX_LENGTH = 4

# The seed's region table. short: the 3-letter code used only by the Key Vault compaction.
REGIONS = {
    "westeu": {"location": "westeurope", "display": "West Europe", "short": "weu"},
    "northeu": {"location": "northeurope", "display": "North Europe", "short": "neu"},
    "eastus": {"location": "eastus", "display": "East US", "short": "eus"},
    "westus": {"location": "westus", "display": "West US", "short": "wus"},
    "uksouth": {"location": "uksouth", "display": "UK South", "short": "uks"},
    "australiaeast": {"location": "australiaeast", "display": "Australia East", "short": "aue"},
}
GLOBAL_REGION = "westeu"  # global-* deployments live in West Europe (GDPR)

# Environment words people type that are not ours, and the environment they most likely meant.
ENVIRONMENT_ALIASES = {
    "test": "dev", "tst": "dev", "development": "dev", "develop": "dev",
    "staging": "stg", "stage": "stg", "uat": "stg", "preprod": "stg",
    "production": "prod", "prd": "prod", "live": "prod",
}

VALID_FORMS = ("global-{env} or {region}-{env}-{instance}, where env is one of dev, stg, prod, region is one of "
               + ", ".join(REGIONS) + " and instance is 1..99 without leading zeros (e.g. westeu-dev-1, global-prod)")

# Private endpoint / private DNS zone keys -> descriptor.
PRIVATE_LINK_DESCRIPTORS = {
    "postgresql": "psql",
    "redis": "redis",
    "storage_blob": "blob",
    "key_vault": "kv",
    "container_registry": "acr",
    # The environment's Event Hubs namespace (made by global-<env>): every deployment's own endpoint and zone link.
    "event_hubs": "evhns",
}
# Private links of prod only: a registry's private endpoint needs the Premium SKU, which only prod has (issue 12).
PROD_ONLY_PRIVATE_LINKS = ("container_registry",)


class DeploymentError(ValueError):
    """Any invalid input of the deployment model. The message is meant for the user as is."""


@dataclass(frozen=True)
class Deployment:
    name: str
    scope: str           # "global" | "regional"
    region_code: str
    environment: str
    instance: int | None

    @property
    def is_global(self) -> bool:
        return self.scope == "global"


def _fail(value, problem: str):
    raise DeploymentError(f"invalid deployment name {value!r}: {problem}; valid form: {VALID_FORMS}")


def _check_environment(value, env: str, rebuild) -> None:
    if env in ENVIRONMENTS:
        return
    if env.lower() in ENVIRONMENT_ALIASES:
        meant = ENVIRONMENT_ALIASES[env.lower()]
        _fail(value, f"environment {env!r} is not one of dev, stg, prod (did you mean {rebuild(meant)!r}?)")
    _fail(value, f"environment {env!r} is not one of dev, stg, prod")


def parse_deployment_name(value) -> Deployment:
    """Parse and validate a deployment name; raise DeploymentError naming the problem."""
    if not isinstance(value, str):
        _fail(value, f"expected a string, got {type(value).__name__}")
    if value == "":
        _fail(value, "the name is empty")
    if value != value.strip():
        _fail(value, "it has leading or trailing whitespace")
    if value != value.lower():
        hint = value.lower()
        _fail(value, f"it must be lowercase (did you mean {hint!r}?)")
    if not re.fullmatch(r"[a-z0-9-]+", value):
        _fail(value, "only lowercase letters, digits and single hyphens are allowed")
    parts = value.split("-")
    if "" in parts:
        _fail(value, "it has an empty part (leading, trailing or doubled hyphen)")
    if parts[0] == "global":
        if len(parts) == 3 and parts[2].isdigit():
            _fail(value, f"global deployments have no instance number (did you mean 'global-{parts[1]}'?)")
        if len(parts) != 2:
            _fail(value, "a global deployment is global-{env}")
        _check_environment(value, parts[1], lambda env: f"global-{env}")
        return Deployment(value, "global", GLOBAL_REGION, parts[1], None)
    if len(parts) == 2:
        _fail(value, "a regional deployment needs an instance number (e.g. '" + value + "-1')")
    if len(parts) != 3:
        _fail(value, f"expected 3 parts separated by hyphens, got {len(parts)}")
    region, env, instance = parts
    if region not in REGIONS:
        _fail(value, f"region {region!r} is not one of " + ", ".join(REGIONS))
    _check_environment(value, env, lambda e: f"{region}-{e}-{instance}")
    if not instance.isdigit():
        _fail(value, f"instance {instance!r} is not a number")
    if not 1 <= int(instance) <= INSTANCE_MAX:
        _fail(value, f"instance {instance!r} is out of range 1..{INSTANCE_MAX}")
    if instance != str(int(instance)):
        _fail(value, f"instance {instance!r} must be 1..{INSTANCE_MAX} without leading zeros (did you mean "
                     f"'{region}-{env}-{int(instance)}'?)")
    return Deployment(value, "regional", region, env, int(instance))


def key_vault_suffix(deployment: str, naming_seed: str = DEFAULT_NAMING_SEED) -> str:
    """4 lowercase base-36 characters from sha256('<naming_seed>:<deployment>')."""
    if not isinstance(naming_seed, str) or not naming_seed:
        raise DeploymentError(f"invalid naming_seed {naming_seed!r}: expected a non-empty string")
    number = int.from_bytes(hashlib.sha256(f"{naming_seed}:{deployment}".encode("utf-8")).digest(), "big")
    digits = "0123456789abcdefghijklmnopqrstuvwxyz"
    out = ""
    for _position in range(KEY_VAULT_SUFFIX_LENGTH):
        number, rest = divmod(number, 36)
        out += digits[rest]
    return out


def _check_suffix(suffix) -> str:
    if not isinstance(suffix, str) or not re.fullmatch(r"[a-z0-9]{%d}" % KEY_VAULT_SUFFIX_LENGTH, suffix):
        raise DeploymentError(f"invalid key_vault_suffix {suffix!r}: expected exactly {KEY_VAULT_SUFFIX_LENGTH} "
                              "lowercase letters or digits (e.g. 'ab12')")
    return suffix


def key_vault_name(dep: Deployment, suffix: str) -> str:
    """kv-cf-<deployment>-<suffix>; when that exceeds 24 characters, kv-cf-<short region>-<env>-<instance>-<suffix>.

    The compact form still carries region, environment and instance, and the short region codes
    differ from every full code, so no two deployments share a Key Vault name.
    """
    full = f"kv-{APP}-{dep.name}-{suffix}"
    if len(full) <= 24:
        return full
    return f"kv-{APP}-{REGIONS[dep.region_code]['short']}-{dep.environment}-{dep.instance}-{suffix}"


def _private_links(environment: str) -> list:
    """(key, descriptor) of the private links a deployment of `environment` has."""
    return [(k, v) for k, v in PRIVATE_LINK_DESCRIPTORS.items() if environment == "prod" or k not in PROD_ONLY_PRIVATE_LINKS]


def resource_names(name, naming_seed: str = DEFAULT_NAMING_SEED, suffix: str | None = None) -> dict:
    """All resource names of a deployment; needs no CIDR registry."""
    dep = parse_deployment_name(name)
    suffix = _check_suffix(suffix) if suffix is not None else key_vault_suffix(dep.name, naming_seed)
    d = dep.name
    compact = d.replace("-", "")
    names = {
        "resource_group": f"rg-{APP}-{d}",
        # The audit evidence (Log Analytics workspace, storage account) outlives a teardown: its own group.
        "audit_resource_group": f"rg-{APP}-{d}-audit",
        "virtual_network": f"vnet-{APP}-{d}",
        "subnets": {k: f"snet-{APP}-{d}-{t.descriptor}" for k, t in tiers_for(dep.environment).items()},
        "network_security_groups": {k: f"nsg-{APP}-{d}-{t.descriptor}" for k, t in tiers_for(dep.environment).items()},
        "postgresql_server": f"psql-{APP}-{d}",
        "redis_cache": f"redis-{APP}-{d}",
        "key_vault": key_vault_name(dep, suffix),
        "storage_account": f"st{APP}{compact}",
        "container_registry": f"acr{APP}{compact}",
        "log_analytics_workspace": f"log-{APP}-{d}",
        "application_insights": f"appi-{APP}-{d}",
        "event_hubs_namespace": f"evhns-{APP}-{d}",
        "container_apps_environment": f"cae-{APP}-{d}",
        # The deployment's user-assigned managed identity, for its apps (roles/identity).
        "managed_identity": f"id-{APP}-{d}",
        "api_management": f"apim-{APP}-{d}",
        # Azure Bastion (features.bastion, off by default) and its Standard static public IP.
        "bastion_host": f"bas-{APP}-{d}",
        "bastion_public_ip": f"pip-{APP}-{d}-bastion",
        "private_endpoints": {k: f"pe-{APP}-{d}-{v}" for k, v in _private_links(dep.environment)},
        "private_dns_zone_links": {k: f"pdnslink-{APP}-{d}-{v}" for k, v in _private_links(dep.environment)},
        "budget": f"budget-{APP}-{d}",
        # DDoS Network Protection: one plan per region (Azure's limit), shared by the environment's deployments there, in a
        # group of its own that no deployment's teardown removes (plan.ddos_protection).
        "ddos_resource_group": f"rg-{APP}-{dep.environment}-{dep.region_code}-ddos",
        "ddos_protection_plan": f"ddos-{APP}-{dep.environment}-{dep.region_code}",
        # Evidence (plan.evidence): the setting on the vault and on the server (a name is unique per resource), the
        # subscription's activity-log setting (one per environment, made by global-<env>: at most 5 per subscription),
        # the VNet flow log (in Network Watcher's group, so the deployment's name is in it).
        "diagnostic_setting": f"diag-{APP}-{d}",
        "activity_log_diagnostic_setting": f"diag-{APP}-activity-{dep.environment}",
        "flow_log": f"fl-{APP}-{d}",
    }
    problems = check_names(names)
    if problems:  # only reachable through a future pattern change: fail rather than emit a bad name
        raise DeploymentError(f"generated names for {d!r} break Azure's rules: " + "; ".join(problems))
    return names


# Azure naming rules per name key (learn.microsoft.com, "Naming rules and restrictions for Azure resources").
# (min length, max length, regex over the whole name, description)
_ALNUM_HYPHEN_START_LETTER = r"[A-Za-z]([A-Za-z0-9-]*[A-Za-z0-9])?"
AZURE_RULES = {
    "resource_group": (1, 90, r"[\w.()-]*[\w()-]", "letters, digits, _ . ( ) -, not ending with a period"),
    "audit_resource_group": (1, 90, r"[\w.()-]*[\w()-]", "letters, digits, _ . ( ) -, not ending with a period"),
    "virtual_network": (2, 64, r"[A-Za-z0-9]([\w.-]*\w)?", "alphanumerics, _ . -; start alphanumeric, end alphanumeric or _"),
    "subnets": (1, 80, r"[A-Za-z0-9]([\w.-]*\w)?", "alphanumerics, _ . -; start alphanumeric, end alphanumeric or _"),
    "network_security_groups": (1, 80, r"[A-Za-z0-9]([\w.-]*\w)?", "alphanumerics, _ . -; start alphanumeric, end alphanumeric or _"),
    "postgresql_server": (3, 63, r"[a-z0-9]([a-z0-9-]*[a-z0-9])?", "lowercase letters, digits, hyphens; no hyphen at either end"),
    # Azure Managed Redis (redisEnterprise 2025-07-01 ClusterNameParameter): 1-60, no leading, trailing or double hyphen.
    "redis_cache": (1, 60, r"[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?", "alphanumerics and hyphens; start and end alphanumeric; no '--'"),
    "key_vault": (3, 24, _ALNUM_HYPHEN_START_LETTER, "alphanumerics and hyphens; start with a letter, end alphanumeric; no '--'"),
    "storage_account": (3, 24, r"[a-z0-9]+", "lowercase letters and digits"),
    "container_registry": (5, 50, r"[A-Za-z0-9]+", "alphanumerics"),
    "log_analytics_workspace": (4, 63, r"[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?", "alphanumerics and hyphens; start and end alphanumeric"),
    "application_insights": (1, 260, r"[^%&\\?/]*[^%&\\?/. ]", "no % & \\ ? /; not ending with a space or period"),
    "event_hubs_namespace": (6, 50, _ALNUM_HYPHEN_START_LETTER, "alphanumerics and hyphens; start with a letter, end alphanumeric"),
    "container_apps_environment": (2, 60, r"[a-z]([a-z0-9-]*[a-z0-9])?", "lowercase letters, digits, hyphens; start letter, end alphanumeric; no '--'"),
    # Microsoft.ManagedIdentity/userAssignedIdentities: 3-128 characters, alphanumerics, hyphens and underscores,
    # starting with a letter or digit (learn.microsoft.com azure/azure-resource-manager/management/resource-name-rules).
    "managed_identity": (3, 128, r"[A-Za-z0-9][A-Za-z0-9_-]*", "alphanumerics, hyphens and underscores; start alphanumeric"),
    "api_management": (1, 50, _ALNUM_HYPHEN_START_LETTER, "alphanumerics and hyphens; start with a letter, end alphanumeric"),
    "private_endpoints": (2, 64, r"[A-Za-z0-9]([\w.-]*\w)?", "alphanumerics, _ . -; start alphanumeric, end alphanumeric or _"),
    "private_dns_zone_links": (1, 80, r"[A-Za-z0-9]([\w.-]*\w)?", "alphanumerics, _ . -; start alphanumeric, end alphanumeric or _"),
    # bastionHosts and publicIPAddresses: 1-80 alphanumerics, _ . -; start alphanumeric, end alphanumeric or _
    # (resource-name-rules, Microsoft.Network).
    "bastion_host": (1, 80, r"[A-Za-z0-9]([\w.-]*\w)?", "alphanumerics, _ . -; start alphanumeric, end alphanumeric or _"),
    "bastion_public_ip": (1, 80, r"[A-Za-z0-9]([\w.-]*\w)?", "alphanumerics, _ . -; start alphanumeric, end alphanumeric or _"),
    "budget": (1, 63, r"[A-Za-z0-9][\w-]*", "alphanumerics, _ and -; start alphanumeric"),
    "ddos_resource_group": (1, 90, r"[\w.()-]*[\w()-]", "letters, digits, _ . ( ) -, not ending with a period"),
    "ddos_protection_plan": (1, 80, r"[A-Za-z0-9]([\w.-]*\w)?", "alphanumerics, _ . -; start alphanumeric, end alphanumeric or _"),
    # Diagnostic settings: 1-260 characters, none of * % & : \ ? + / # < > (rule unverified: _azure/diagnostic_setting.py).
    "diagnostic_setting": (1, 260, r"[^*%&:\\?+/#<>]*[^*%&:\\?+/#<> .]", "no * % & : \\ ? + / # < >; not ending with a space or period"),
    "activity_log_diagnostic_setting": (1, 260, r"[^*%&:\\?+/#<>]*[^*%&:\\?+/#<> .]",
                                        "no * % & : \\ ? + / # < >; not ending with a space or period"),
    "flow_log": (1, 80, r"[A-Za-z0-9]([\w.-]*\w)?", "alphanumerics, _ . -; start alphanumeric, end alphanumeric or _"),
}
NO_DOUBLE_HYPHEN = {"key_vault", "redis_cache", "container_apps_environment"}
# Types whose name is global in Azure (a DNS name): they must differ between deployments.
GLOBALLY_UNIQUE = ("postgresql_server", "redis_cache", "key_vault", "storage_account", "container_registry",
                   "event_hubs_namespace", "api_management")


def check_name(key: str, value: str) -> str | None:
    """None when value satisfies Azure's rule for the name key, else a description of the problem."""
    low, high, pattern, text = AZURE_RULES[key]
    if not low <= len(value) <= high:
        return f"{key} {value!r} is {len(value)} characters, allowed {low}-{high}"
    if not re.fullmatch(pattern, value, flags=re.ASCII):
        return f"{key} {value!r} breaks the rule: {text}"
    if key in NO_DOUBLE_HYPHEN and "--" in value:
        return f"{key} {value!r} has consecutive hyphens"
    reserved = reserved_name_problem(value) if key in GLOBALLY_UNIQUE else None   # reached at a DNS name of its own
    if reserved:
        return f"{key} {value!r} is refused by Azure as reserved: {reserved}"
    return None


def check_names(names: dict) -> list:
    problems = []
    for key, value in names.items():
        for item in (value.values() if isinstance(value, dict) else [value]):
            problem = check_name(key, item)
            if problem:
                problems.append(problem)
    return problems


def all_deployment_names():
    """Every valid deployment name: global-* and every region x env x instance 1..99."""
    for env in ENVIRONMENTS:
        yield f"global-{env}"
    for region in REGIONS:
        for env in ENVIRONMENTS:
            for instance in range(1, INSTANCE_MAX + 1):
                yield f"{region}-{env}-{instance}"
