# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The plan of a deployment: one dict with every name, CIDR, subnet, tag, budget and size.

PRIVATE to the collection: the API may change without notice. The filter
complianceflow.infra.deployment and the deployment_info action both call build_plan().
"""

from __future__ import annotations

import copy
import re

# The tag limits Azure has per type (pure Python, no Ansible): one definition for the modules and the plan.
from ansible_collections.complianceflow.infra.plugins.module_utils._azure.values import (
    API_MANAGEMENT_MAX_TAGS, PRIVATE_DNS_ZONE_MAX_TAGS, STORAGE_ACCOUNT_MAX_TAG_KEY, bad_dns_zone_tag_names)
from ansible_collections.complianceflow.infra.plugins.module_utils._deployment.cidr import (
    Registry,
    load_registry,
    overlaps,
    parse_cidr,
    subnet_plan,
)
from ansible_collections.complianceflow.infra.plugins.module_utils._deployment.tiers import SUBNET_TIERS, subnet_settings
from ansible_collections.complianceflow.infra.plugins.module_utils._deployment.naming import (
    DEFAULT_NAMING_SEED,
    REGIONS,
    DeploymentError,
    parse_deployment_name,
    resource_names,
)

THRESHOLDS = [50, 80, 100]
CURRENCY = "USD"
# The seed's "Per-Deployment Budgets" table (monthly USD).
SEED_BUDGETS = {
    "global-dev": 150, "westeu-dev-1": 200, "global-stg": 300, "westeu-stg-1": 500,
    "global-prod": 1000, "westeu-prod-1": 5000, "westeu-prod-2": 5000, "eastus-prod-1": 5000,
}
# Deployments the table omits: the table's regional value for the same environment.
DEFAULT_BUDGETS = {"dev": 200, "stg": 500, "prod": 5000}
# The budget's alerts (Microsoft.Consumption 2026-06-01 spec, _azure/budget.py): at most 5 notifications per budget, at
# most 50 contact e-mails and 50 action groups each; at a resource group's scope at least one of them (the budget role
# skips the budget, with a warning, when the inventory gives none: deployment_overrides.budget.contact_emails).
BUDGET_MAX_NOTIFICATIONS = 5
BUDGET_MAX_CONTACTS = 50
BUDGET_EMAIL = r"[^@\s,;]+@[^@\s,;]+\.[^@\s,;]+"
BUDGET_ACTION_GROUP = r"/subscriptions/[^/]+/resourceGroups/[^/]+/providers/(?i:microsoft\.insights)/actionGroups/[^/]+"

# Azure Managed Redis (Microsoft.Cache/redisEnterprise) SKUs the spec of 2025-07-01 lists, less the Enterprise and
# EnterpriseFlash tiers of Azure Cache for Redis Enterprise (retiring 2027-03-31).
MANAGED_REDIS_SKUS = tuple(
    [f"Balanced_B{n}" for n in (0, 1, 3, 5, 10, 20, 50, 100, 150, 250, 350, 500, 700, 1000)]
    + [f"MemoryOptimized_M{n}" for n in (10, 20, 50, 100, 150, 250, 350, 500, 700, 1000, 1500, 2000)]
    + [f"ComputeOptimized_X{n}" for n in (3, 5, 10, 20, 50, 100, 150, 250, 350, 500, 700)]
    + [f"FlashOptimized_A{n}" for n in (250, 500, 700, 1000, 1500, 2000, 4500)])
# The deployment's Azure Managed Redis, besides its size: TLS 1.2, no public access (the private endpoint in the Redis
# subnet), the default database with the documented defaults (clientProtocol Encrypted, clustering OSSCluster, eviction
# VolatileLRU), port 10000 (Microsoft Learn, migrate-basic-standard-premium-understand), access keys off (Microsoft Entra
# ID only). docs/azure.md cites the sources.
MANAGED_REDIS = {"minimum_tls_version": "1.2", "public_network_access": "Disabled", "client_protocol": "Encrypted",
                 "port": 10000, "clustering_policy": "OSSCluster", "eviction_policy": "VolatileLRU",
                 "access_keys_authentication": "Disabled"}

# prod = the seed's westeu-prod-1 tfvars; dev and stg are smaller, without HA or geo backup. Redis: the seed's Azure Cache
# for Redis sizes mapped as Microsoft's migration guide does (Basic C0 -> Balanced_B0 without high availability, Standard
# C1 -> Balanced_B1, Premium P1 -> Balanced_B5; learn.microsoft.com/azure/redis/migrate/migrate-overview).
SIZING = {
    "dev": {
        "postgresql": {"version": "15", "sku_name": "B_Standard_B1ms", "tier": "Burstable", "storage_mb": 32768,
                       "backup_retention_days": 7, "geo_redundant_backup": False, "high_availability": "Disabled"},
        "redis": {"sku_name": "Balanced_B0", "high_availability": "Disabled"},
        "log_analytics": {"retention_in_days": 30},
        "storage": {"sku_name": "Standard_LRS", "soft_delete_days": 7, "lock_audit_container": False},
    },
    "stg": {
        "postgresql": {"version": "15", "sku_name": "GP_Standard_D2s_v3", "tier": "GeneralPurpose", "storage_mb": 65536,
                       "backup_retention_days": 14, "geo_redundant_backup": False, "high_availability": "Disabled"},
        "redis": {"sku_name": "Balanced_B1", "high_availability": "Enabled"},
        "log_analytics": {"retention_in_days": 30},
        "storage": {"sku_name": "Standard_LRS", "soft_delete_days": 14, "lock_audit_container": False},
    },
    "prod": {
        "postgresql": {"version": "15", "sku_name": "GP_Standard_D4s_v3", "tier": "GeneralPurpose", "storage_mb": 131072,
                       "backup_retention_days": 35, "geo_redundant_backup": True, "high_availability": "ZoneRedundant"},
        "redis": {"sku_name": "Balanced_B5", "high_availability": "Enabled"},
        "log_analytics": {"retention_in_days": 90},
        # The seed's DR section: geo-redundant storage (GRS) in prod. The audit container's policy is locked only when
        # the inventory asks (sizing.storage.lock_audit_container): a locked policy can never be shortened or removed.
        "storage": {"sku_name": "Standard_GRS", "soft_delete_days": 30, "lock_audit_container": False},
    },
}
SIZING_RULES = {
    "postgresql": {
        "version": ("choice", ("13", "14", "15", "16", "17")),
        "sku_name": ("pattern", r"(B|GP|MO)_Standard_[A-Za-z0-9_]+"),
        "tier": ("choice", ("Burstable", "GeneralPurpose", "MemoryOptimized")),
        "storage_mb": ("choice", (32768, 65536, 131072, 262144, 524288, 1048576, 2097152, 4193280, 4194304,
                                  8388608, 16777216, 33553408)),
        "backup_retention_days": ("range", (7, 35)),
        "geo_redundant_backup": ("bool", None),
        "high_availability": ("choice", ("Disabled", "SameZone", "ZoneRedundant")),
    },
    "redis": {
        "sku_name": ("choice", MANAGED_REDIS_SKUS),
        "high_availability": ("choice", ("Enabled", "Disabled")),
    },
    "log_analytics": {
        "retention_in_days": ("range", (30, 730)),
    },
    "storage": {
        "sku_name": ("choice", ("Standard_LRS", "Standard_GRS", "Standard_RAGRS", "Standard_ZRS", "Standard_GZRS",
                                "Standard_RAGZRS")),
        "soft_delete_days": ("range", (1, 365)),
        "lock_audit_container": ("bool", None),
    },
}
SKU_TIER_PREFIX = {"Burstable": "B_", "GeneralPurpose": "GP_", "MemoryOptimized": "MO_"}

DATABASES = {
    "global": ["tenant_registry", "master_data", "global_config"],
    "regional": ["user_service", "form_service", "rule_service", "declaration_service", "review_service",
                 "case_service", "notification_service", "analytics_service"],
}
# A VNet-integrated Flexible Server gets a zone of its own deployment, ending with the service's suffix
# (getPrivateDnsZoneSuffix: private.postgres.database.azure.com in Azure's public cloud; Microsoft's
# concepts-networking-private: the zone must end with postgres.database.azure.com). A hub VNet can link one zone
# per name only, so one shared privatelink.postgres... name would resolve one deployment's server alone;
# privatelink.* zones are for private endpoints.
POSTGRESQL_DNS_SUFFIX = "private.postgres.database.azure.com"
# The other zones are the ones the private endpoints need (learn.microsoft.com/azure/private-link/private-endpoint-dns,
# "Azure Private Endpoint private DNS zone values"); the network role creates and links every zone listed for the
# deployment, so a zone no endpoint of the deployment uses is not listed (the registry's only in prod).
PRIVATE_DNS_ZONES = {
    "postgresql": "{deployment}." + POSTGRESQL_DNS_SUFFIX,
    "redis": "privatelink.redis.azure.net",   # Azure Managed Redis (redisEnterprise); .redis.cache.windows.net was Azure Cache for Redis
    "storage_blob": "privatelink.blob.core.windows.net",
    "key_vault": "privatelink.vaultcore.azure.net",
    "container_registry": "privatelink.azurecr.io",   # the registry and its regional data endpoints, one zone
    "event_hubs": "privatelink.servicebus.windows.net",   # group namespace: learn.microsoft.com private-endpoint-dns
}
# One private endpoint per PaaS target: (key of the zone and endpoint name, target type, key of the target's name in
# names, group id (sub-resource) of the target type, subnet tier, key of the target's resource group in names: the
# storage account is in the audit group; the Event Hubs namespace's are global-<env>'s). Key Vault, blob, the registry and
# Event Hubs sit in the storage subnet (.4, the seed's "private endpoints" subnet), Redis in its own (.3). Group ids: learn.microsoft.com
# azure/private-link/private-endpoint-overview ("Private-link resource") and private-endpoint-dns.
PRIVATE_ENDPOINTS = (
    ("key_vault", "Microsoft.KeyVault/vaults", "key_vault", "vault", "storage", "resource_group"),
    ("storage_blob", "Microsoft.Storage/storageAccounts", "storage_account", "blob", "storage", "audit_resource_group"),
    ("redis", "Microsoft.Cache/redisEnterprise", "redis_cache", "redisEnterprise", "redis", "resource_group"),
    ("container_registry", "Microsoft.ContainerRegistry/registries", "container_registry", "registry", "storage", "resource_group"),
    # The environment's namespace, in global-<env>'s group (plan.event_hubs).
    ("event_hubs", "Microsoft.EventHub/namespaces", "event_hubs_namespace", "namespace", "storage", "resource_group"),
)
# The seed's evidence of changes and access (activity log, Key Vault access, PostgreSQL audit logs): kept
# 7 years, a total retention of 2556 days per table (docs/resource-engine.md cites the rules).
AUDIT_TABLES = ("AzureActivity", "AZKVAuditLogs", "PGSQLServerLogs", "AzureDiagnostics")
AUDIT_RETENTION_DAYS = 2556
# Resource providers a deployment writes into (registered before its first write; Microsoft.Resources,
# Microsoft.Authorization and Microsoft.Consumption (budgets) are registered in every subscription: learn.microsoft.com
# azure/azure-resource-manager/management/azure-services-resource-providers, "registered by default").
RESOURCE_PROVIDERS = ("Microsoft.Network", "Microsoft.KeyVault", "Microsoft.DBforPostgreSQL", "Microsoft.OperationalInsights",
                      "Microsoft.ContainerRegistry", "Microsoft.Insights", "Microsoft.Cache", "Microsoft.Storage",
                      "Microsoft.ApiManagement", "Microsoft.App", "Microsoft.ManagedIdentity",
                      "Microsoft.EventHub")
# The Container Apps environment (Microsoft.App/managedEnvironments; sources in _azure/container_apps_environment.py):
# a workload-profiles environment with the Consumption profile, internal (no public IP) in the container_apps subnet,
# zone redundant in prod. Its logs go to Azure Monitor and a diagnostic setting sends them to the deployment's
# workspace (resource-specific tables), so no workspace shared key is ever handled (docs/azure.md says why).
CONTAINER_APPS_WORKLOAD_PROFILES = ({"name": "Consumption", "workload_profile_type": "Consumption"},)
CONTAINER_APPS_LOG_CATEGORIES = ("ContainerAppConsoleLogs", "ContainerAppSystemLogs")
# The deployment's identity's roles (learn.microsoft.com azure/role-based-access-control/built-in-roles): pull from the
# deployment's registry, read the deployment's vault's secrets, send to and receive from the environment's global Event
# Hubs namespace (global-<env>, read from that deployment's names, never recomputed).
IDENTITY_ROLE_ASSIGNMENTS = (
    ("AcrPull", "Microsoft.ContainerRegistry/registries", "self", "container_registry"),
    ("Key Vault Secrets User", "Microsoft.KeyVault/vaults", "self", "key_vault"),
    ("Azure Event Hubs Data Sender", "Microsoft.EventHub/namespaces", "global", "event_hubs_namespace"),
    ("Azure Event Hubs Data Receiver", "Microsoft.EventHub/namespaces", "global", "event_hubs_namespace"),
)
# The evidence sources (docs/azure.md "Evidence"; sources in _azure/diagnostic_setting.py and _azure/flow_log.py):
# resource logs sent to the deployment's workspace in resource-specific tables (logAnalyticsDestinationType
# Dedicated), each (plan key of the resource, its type, its log category, the table the rows land in).
EVIDENCE_RESOURCE_LOGS = (
    ("key_vault", "Microsoft.KeyVault/vaults", "AuditEvent", "AZKVAuditLogs"),
    ("postgresql_server", "Microsoft.DBforPostgreSQL/flexibleServers", "PostgreSQLLogs", "PGSQLServerLogs"),
)
# The subscription's activity log (table AzureActivity). Azure allows 5 diagnostic settings per scope and every
# deployment of an environment may share a subscription: one setting per environment, made by global-<env> and sent
# to its workspace (3 settings at most, dev, stg and prod, leaving 2 for others).
ACTIVITY_LOG_CATEGORIES = ("Administrative", "Security", "ServiceHealth", "Alert", "Recommendation", "Policy",
                           "Autoscale", "ResourceHealth")
# VNet flow logs (NSG flow logs can no longer be created) in Network Watcher's default group and name for the region.
NETWORK_WATCHER_RESOURCE_GROUP = "NetworkWatcherRG"
FLOW_LOG = {"format_version": 2, "retention_days": 0, "traffic_analytics": False, "traffic_analytics_interval": 60}
# The deployment's storage account: the seed's security flags (TLS 1.2+, private only, Entra only) and an audit container
# whose blobs are kept 7 years (time-based immutability, the same 2556 days as the audit tables).
STORAGE_ACCOUNT = {"kind": "StorageV2", "minimum_tls_version": "TLS1_2", "allow_blob_public_access": False,
                   "allow_shared_key_access": False, "public_network_access": "Disabled", "https_only": True}
AUDIT_CONTAINER = "audit"
# Key Vault secrets the deployment keeps (generated once, never printed).
SECRETS = {"postgresql_admin_password": "postgresql-admin-password", "postgresql_app_password": "postgresql-app-password",
           "application_insights_connection_string": "application-insights-connection-string",
           # HMAC-SHA256 key of the GDPR erasure records (playbooks/gdpr_erase.yml, docs/gdpr.md).
           "gdpr_signing_key": "gdpr-signing-key"}
# Container Registry tier per environment. Private endpoints and disabled public network access are Premium only
# (learn.microsoft.com/azure/container-registry/container-registry-skus): prod is Premium, reached only through its
# private endpoint; dev (Basic) and stg (Standard, more storage and throughput) are cheaper and therefore public,
# protected by Microsoft Entra authentication alone (no admin user, no anonymous pull). docs/azure.md says why.
CONTAINER_REGISTRY_SKUS = {"dev": "Basic", "stg": "Standard", "prod": "Premium"}
# Application Insights: workspace-based (classic was retired on 2024-02-29), telemetry only with Entra tokens.
APPLICATION_INSIGHTS = {"kind": "web", "application_type": "web", "disable_local_auth": True, "ingestion_mode": "LogAnalytics"}
# API Management (features.api_management: prod only, the seed's flag), injected in the API Management subnet (.5) in
# internal mode. Only the classic Developer and Premium tiers can be injected in a VNet (learn.microsoft.com
# api-management/virtual-network-reference: "APPLIES TO: Developer | Premium"); Developer has no SLA, so prod is Premium
# (one unit, about 2,800 USD a month at list price: docs/azure.md). Premium v2 is not in the SKU enum of the api-version
# the module sends (2024-05-01). TLS 1.0/1.1 and 3DES off (customProperties, the spec's description of them), a
# system-assigned identity (to read custom-domain certificates from Key Vault later). The publisher contact is required
# by Azure (publisherEmail, publisherName): deployment_overrides.api_management.publisher_email/publisher_name.
API_MANAGEMENT_SKUS = ("Developer", "Premium")
API_MANAGEMENT = {"sku_name": "Premium", "sku_capacity": 1, "virtual_network_type": "Internal", "identity": "SystemAssigned",
                  "publisher_name": "ComplianceFlow", "publisher_email": "platform@complianceflow.example",
                  "disable_legacy_tls": True}
API_MANAGEMENT_OVERRIDES = {"sku_name": ("choice", API_MANAGEMENT_SKUS), "sku_capacity": ("range", (1, 12)),
                            "publisher_name": ("pattern", r"[^<>]{1,100}"),
                            "publisher_email": ("pattern", r"[^@\s]{1,64}@[^@\s]+\.[^@\s]+")}
# DDoS Network Protection: a fixed monthly fee covering 100 public IPs, each further one billed per month (README.md: the
# figures are Microsoft's as quoted on Microsoft Q&A, unverified against the pricing page).
DDOS_MONTHLY_USD = 2944
DDOS_INCLUDED_PUBLIC_IPS = 100
DDOS_OVERAGE_USD = 30
# Event Hubs (Kafka), one namespace per global deployment (docs/azure.md "Event Hubs" cites the sources): Standard, the
# cheapest tier with the Kafka endpoint and private endpoints (Basic has neither), 1 throughput unit (Premium's smallest
# size alone would take most of global-prod's 1,000 USD a month); TLS 1.2, no SAS keys (Microsoft Entra ID only), no
# public network access: every deployment of the environment reaches the namespace through a private endpoint in its
# own VNet (group "namespace", zone privatelink.servicebus.windows.net), so no peering is needed. The hubs are the
# seed's; a partition count cannot change on Standard (partitions are added only in Premium and Dedicated). Each
# regional deployment adds its own consumer group (its name) on every hub the global namespace has.
EVENT_HUBS_TOPICS = ({"name": "tenant-events", "partition_count": 4}, {"name": "masterdata-events", "partition_count": 2},
                     {"name": "file-ingestion-events", "partition_count": 4})
EVENT_HUBS_NAMESPACE = {"sku": "Standard", "capacity": 1, "minimum_tls_version": "1.2", "disable_local_auth": True,
                        "public_network_access": "Disabled"}
# Days the hubs keep events (Standard allows 1-7 at no extra cost): a week in prod, so that a consumer can catch up after
# an outage; auto-inflate in prod only, capped at 4 throughput units (a bounded cost).
EVENT_HUBS_SIZING = {"dev": {"message_retention_in_days": 1, "auto_inflate": False, "maximum_throughput_units": 0},
                     "stg": {"message_retention_in_days": 1, "auto_inflate": False, "maximum_throughput_units": 0},
                     "prod": {"message_retention_in_days": 7, "auto_inflate": True, "maximum_throughput_units": 4}}
COMPUTED_TAGS = ("Deployment", "Environment", "Region", "Instance", "Application", "ManagedBy", "Ephemeral")
OVERRIDE_KEYS = ("vnet_cidr", "naming_seed", "key_vault_suffix", "cost_center", "owner", "tags", "budget",
                 "features", "sizing", "api_management", "peerings")
FEATURES = ("api_management", "ddos_protection", "backup", "bastion")
# Features off in every environment unless the inventory turns them on (features.bastion: true).
FEATURES_OFF_BY_DEFAULT = ("bastion",)
# Azure Bastion (features.bastion): Basic, the cheapest SKU that uses the AzureBastionSubnet (Developer does not, and has
# no VNet peering); browser SSH/RDP through the portal is what the management tier needs. Basic can be upgraded to
# Standard in place, but a SKU is never downgraded without deleting the host (learn.microsoft.com/azure/bastion/
# configuration-settings, "Upgrade a SKU"), so the cheaper start is the reversible one. Its public IP must be Standard
# and Static (configuration-settings, "Public IP address"). docs/azure.md ("Azure Bastion") has the sources.
BASTION = {"sku": "Basic", "public_ip_sku": "Standard", "public_ip_allocation": "Static"}

# VNet peering between deployments (deployment_overrides.peerings: the peers' deployment names; the seed's "VNet Peering"
# section: westeu-prod-1 <-> westeu-prod-2 in one region for blue/green, cross-region for disaster recovery). Both
# directions are named peer-<from>-to-<to>, within 80 characters (letters, digits, _ . -; starting with a letter or digit,
# ending with one or _): the network name rule values.py applies (learn.microsoft.com/azure/azure-resource-manager/
# management/resource-name-rules, Microsoft.Network; the row for virtualNetworkPeerings was not re-read through the
# search tool, so the 80 is unverified for this type); the longest deployment name (australiaeast-prod-99) gives 51.
# The settings are the seed's example (allow_forwarded_traffic true, allow_gateway_transit false)
# with VNet access on and no remote gateway (no deployment has a gateway). Peers are of the same environment: the seed
# keeps environments apart ("No default cross-deployment communication"). Sources of the Azure rules: _azure/virtual_network_peering.py.
PEERING_SETTINGS = {"allow_virtual_network_access": True, "allow_forwarded_traffic": True, "allow_gateway_transit": False,
                    "use_remote_gateways": False}
PEERING_NAME = "peer-{source}-to-{target}"
PEERING_NAME_MAX = 80


def _err(name: str, key: str, value, expected: str):
    raise DeploymentError(f"invalid override {key}={value!r} for {name}: expected {expected}")


def _string(name, key, value, pattern=r".{1,256}", expected="a non-empty string of at most 256 characters"):
    if not isinstance(value, str) or not re.fullmatch(pattern, value, flags=re.DOTALL):
        _err(name, key, value, expected)
    return value


def _check_sizing(name: str, env: str, override) -> dict:
    sizing = copy.deepcopy(SIZING[env])
    if not isinstance(override, dict):
        _err(name, "sizing", override, "a dict with postgresql, redis, log_analytics and/or storage")
    for group, values in override.items():
        if group not in SIZING_RULES:
            _err(name, "sizing", group, "keys postgresql, redis, log_analytics, storage")
        if not isinstance(values, dict):
            _err(name, f"sizing.{group}", values, "a dict")
        for key, value in values.items():
            rule = SIZING_RULES[group].get(key)
            where = f"sizing.{group}.{key}"
            if rule is None:
                _err(name, f"sizing.{group}", key, "one of the keys " + ", ".join(SIZING_RULES[group]))
            kind, arg = rule
            if kind == "bool":
                if not isinstance(value, bool):
                    _err(name, where, value, "true or false")
            elif kind == "range":
                if isinstance(value, bool) or not isinstance(value, int) or not arg[0] <= value <= arg[1]:
                    _err(name, where, value, f"an integer {arg[0]}..{arg[1]}")
            elif kind == "choice":
                if isinstance(value, bool) or value not in arg:
                    _err(name, where, value, "one of " + ", ".join(str(a) for a in arg))
            elif not isinstance(value, str) or not re.fullmatch(arg, value):
                _err(name, where, value, f"a string matching {arg} (e.g. GP_Standard_D4s_v3)")
            sizing[group][key] = value
    pg = sizing["postgresql"]
    if not pg["sku_name"].startswith(SKU_TIER_PREFIX[pg["tier"]]):
        _err(name, "sizing.postgresql.sku_name", pg["sku_name"], f"a {pg['tier']} SKU ({SKU_TIER_PREFIX[pg['tier']]}...)")
    if pg["tier"] == "Burstable" and pg["high_availability"] != "Disabled":
        _err(name, "sizing.postgresql.high_availability", pg["high_availability"], "Disabled for the Burstable tier")
    if sizing["storage"]["lock_audit_container"] and env != "prod":
        _err(name, "sizing.storage.lock_audit_container", True, "false: the audit container is locked only in prod")
    return sizing


def _check_contacts(name: str, key: str, value, pattern: str, expected: str) -> list:
    if not isinstance(value, list) or len(value) > BUDGET_MAX_CONTACTS or len(set(value)) != len(value):
        _err(name, f"budget.{key}", value, f"a list of at most {BUDGET_MAX_CONTACTS} distinct {expected}")
    for item in value:
        _string(name, f"budget.{key}", item, pattern, expected)
    return list(value)


def _check_budget(name: str, default_amount, override) -> dict:
    budget = {"amount": default_amount, "currency": CURRENCY, "thresholds": list(THRESHOLDS), "forecast_thresholds": [],
              "contact_emails": [], "contact_groups": []}
    if not isinstance(override, dict):
        _err(name, "budget", override, "a dict with amount, currency, thresholds, forecast_thresholds, contact_emails "
             "and/or contact_groups")
    for key, value in override.items():
        if key == "amount":
            if isinstance(value, bool) or not isinstance(value, (int, float)) or value <= 0:
                _err(name, "budget.amount", value, "a positive number (monthly, in the budget currency)")
        elif key == "currency":
            _string(name, "budget.currency", value, r"[A-Z]{3}", "a 3-letter ISO currency code such as USD")
        elif key in ("thresholds", "forecast_thresholds"):
            ok = (isinstance(value, list) and (value or key == "forecast_thresholds")
                  and all(isinstance(v, int) and not isinstance(v, bool) and 0 < v <= 1000 for v in value)
                  and value == sorted(set(value)))
            if not ok:
                _err(name, f"budget.{key}", value, "an ascending list of percentages 1..1000, e.g. [50, 80, 100]"
                     + (" (not empty)" if key == "thresholds" else ""))
        elif key == "contact_emails":
            value = _check_contacts(name, key, value, BUDGET_EMAIL, "e-mail addresses (name@domain.tld)")
        elif key == "contact_groups":
            value = _check_contacts(name, key, value, BUDGET_ACTION_GROUP,
                                    "action group ids (/subscriptions/<id>/resourceGroups/<group>/providers/"
                                    "Microsoft.Insights/actionGroups/<name>)")
        else:
            _err(name, "budget", key, "keys amount, currency, thresholds, forecast_thresholds, contact_emails, contact_groups")
        budget[key] = value
    if len(budget["thresholds"]) + len(budget["forecast_thresholds"]) > BUDGET_MAX_NOTIFICATIONS:
        _err(name, "budget.thresholds", budget["thresholds"] + budget["forecast_thresholds"],
             f"at most {BUDGET_MAX_NOTIFICATIONS} thresholds in all (actual and forecast): Azure's limit of notifications per budget")
    return budget


def _api_management(name: str, names: dict, override) -> dict:
    """The plan's API Management: SKU and publisher (overridable), internal VNet mode in the API Management subnet."""
    apim = dict(API_MANAGEMENT)
    if not isinstance(override, dict):
        _err(name, "api_management", override, "a dict with " + ", ".join(API_MANAGEMENT_OVERRIDES))
    for key, value in override.items():
        rule = API_MANAGEMENT_OVERRIDES.get(key)
        if rule is None:
            _err(name, "api_management", key, "keys " + ", ".join(API_MANAGEMENT_OVERRIDES))
        kind, arg = rule
        where = f"api_management.{key}"
        if kind == "choice" and value not in arg:
            _err(name, where, value, "one of " + ", ".join(arg) + " (the tiers that can be injected in a VNet)")
        if kind == "range" and (isinstance(value, bool) or not isinstance(value, int) or not arg[0] <= value <= arg[1]):
            _err(name, where, value, f"an integer {arg[0]}..{arg[1]}")
        if kind == "pattern":
            _string(name, where, value, arg, "a publisher name of 1-100 characters without < >" if key == "publisher_name"
                    else "an email address (Azure sends the service's notifications there)")
        apim[key] = value
    if apim["sku_name"] == "Developer" and apim["sku_capacity"] != 1:
        _err(name, "api_management.sku_capacity", apim["sku_capacity"], "1 for the Developer tier (it cannot scale out)")
    apim["name"] = names["api_management"]
    apim["subnet"] = f"{names['virtual_network']}/{names['subnets']['api_management']}"
    return apim


def _check_vnet_cidr(name: str, value, registry: Registry, registered: str) -> str:
    net = parse_cidr(value, f"vnet_cidr override for {name}")
    others = registry.overlapping(str(net), exclude=name)
    if others:
        clash = ", ".join(f"{n} ({c})" for n, c in others)
        raise DeploymentError(f"invalid override vnet_cidr={value!r} for {name}: it overlaps {clash}; "
                              f"the registry gives {name} {registered}")
    if value != registered:
        raise DeploymentError(f"invalid override vnet_cidr={value!r} for {name}: the registry gives {registered}; "
                              "change the registry only with tools/cidr_allocate.py, or drop the override")
    return value


def _peerings(dep, names: dict, vnet_cidr: str, registry: Registry, override) -> list:
    """Both directions of each peering the inventory declares, checked against the CIDR registry before any call: an
    unknown peer, a peer of another environment, the deployment itself or an overlapping /16 fails the plan."""
    if not isinstance(override, list) or len(set(map(str, override))) != len(override):
        _err(dep.name, "peerings", override, "a list of distinct deployment names, e.g. [westeu-prod-2]")
    out = []
    for peer_name in override:
        try:
            peer = parse_deployment_name(peer_name)
        except DeploymentError as exc:
            raise DeploymentError(f"invalid override peerings for {dep.name}: {exc}") from None
        if peer.name == dep.name:
            _err(dep.name, "peerings", peer_name, "another deployment: a VNet cannot be peered with itself")
        if peer.environment != dep.environment:
            _err(dep.name, "peerings", peer_name, f"a {dep.environment} deployment: peerings join deployments of one environment")
        try:
            peer_cidr = registry.lookup(peer.name)
        except DeploymentError as exc:
            raise DeploymentError(f"cannot peer {dep.name} ({vnet_cidr}) with {peer.name}: {exc}") from None
        if overlaps(parse_cidr(vnet_cidr), parse_cidr(peer_cidr)):
            raise DeploymentError(f"cannot peer {dep.name} ({vnet_cidr}) with {peer.name} ({peer_cidr}): their address spaces "
                                  "overlap, and Azure peers only VNets whose address spaces do not (fix the CIDR registry with "
                                  "tools/cidr_allocate.py)")
        peer_names = resource_names(peer.name, naming_seed=DEFAULT_NAMING_SEED)
        sides = ((dep.name, names, vnet_cidr), (peer.name, peer_names, peer_cidr))
        directions = []
        for (source, source_names, source_cidr), (target, target_names, target_cidr) in (sides, sides[::-1]):
            name = PEERING_NAME.format(source=source, target=target)
            if len(name) > PEERING_NAME_MAX:
                _err(dep.name, "peerings", peer_name, f"a peer whose peering name {name!r} fits Azure's {PEERING_NAME_MAX} characters")
            directions.append({"name": name, "deployment": source, "resource_group": source_names["resource_group"],
                               "virtual_network": source_names["virtual_network"], "vnet_cidr": source_cidr,
                               "remote_deployment": target, "remote_resource_group": target_names["resource_group"],
                               "remote_virtual_network": target_names["virtual_network"], "remote_vnet_cidr": target_cidr})
        out.append(dict(PEERING_SETTINGS, peer=peer.name, peer_vnet_cidr=peer_cidr,
                        kind="same region" if peer.region_code == dep.region_code else "cross region",
                        directions=directions))
    return out


def build_plan(name, overrides: dict | None = None, registry: Registry | None = None, registry_path: str | None = None) -> dict:
    """The plan dict of the contract (docs/deployment-model.md), overrides validated and merged."""
    dep = parse_deployment_name(name)
    overrides = {} if overrides is None else overrides
    if not isinstance(overrides, dict):
        raise DeploymentError(f"invalid overrides for {dep.name}: expected a dict with keys {', '.join(OVERRIDE_KEYS)}, "
                              f"got {type(overrides).__name__}")
    unknown = sorted(set(overrides) - set(OVERRIDE_KEYS))
    if unknown:
        raise DeploymentError(f"unknown override key(s) {', '.join(map(repr, unknown))} for {dep.name}: "
                              f"valid keys are {', '.join(OVERRIDE_KEYS)}")
    registry = registry or load_registry(registry_path)
    registered = registry.lookup(dep.name)
    vnet_cidr = registered
    if "vnet_cidr" in overrides:
        vnet_cidr = _check_vnet_cidr(dep.name, overrides["vnet_cidr"], registry, registered)
    seed = _string(dep.name, "naming_seed", overrides.get("naming_seed", DEFAULT_NAMING_SEED))
    names = resource_names(dep.name, naming_seed=seed, suffix=overrides.get("key_vault_suffix"))

    prod = dep.environment == "prod"
    features = {key: prod and key not in FEATURES_OFF_BY_DEFAULT for key in FEATURES}
    if "features" in overrides:
        value = overrides["features"]
        if not isinstance(value, dict) or not all(k in FEATURES and isinstance(v, bool) for k, v in value.items()):
            _err(dep.name, "features", value, "a dict of " + ", ".join(FEATURES) + " to true/false")
        if value.get("api_management") and not prod:
            _err(dep.name, "features.api_management", True, "false: API Management has a subnet only in prod")
        features.update(value)

    tags = {
        "Deployment": dep.name,
        "Environment": dep.environment,
        "Region": dep.region_code,
        "Instance": str(dep.instance) if dep.instance is not None else "none",
        "Application": "ComplianceFlow",
        "ManagedBy": "Ansible",
        "CostCenter": _string(dep.name, "cost_center", overrides.get("cost_center", "Platform")),
        "Owner": _string(dep.name, "owner", overrides.get("owner", "DevOps")),
        "Ephemeral": "false" if prod else "true",
    }
    extra = overrides.get("tags", {})
    if not isinstance(extra, dict):
        _err(dep.name, "tags", extra, "a dict of extra tag names to string values")
    for key, value in extra.items():
        if key in tags:
            _err(dep.name, "tags", key, "extra tags only; set CostCenter/Owner with cost_center/owner, the others are computed")
        # Every deployment has a storage account, whose tag names are the shortest Azure allows.
        _string(dep.name, "tags", key, rf"[^<>%&\\?/]{{1,{STORAGE_ACCOUNT_MAX_TAG_KEY}}}",
                f"tag names of 1-{STORAGE_ACCOUNT_MAX_TAG_KEY} characters without < > % & \\ ? / (a storage account's limit)")
        _string(dep.name, f"tags.{key}", value)
        tags[key] = value
    bad = bad_dns_zone_tag_names(extra)   # every deployment's private DNS zones take its tags
    if bad:
        _err(dep.name, "tags", bad[0], "tag names without spaces, colons, parentheses or a leading digit: the deployment's "
             "private DNS zones drop or refuse them")
    # Every deployment has private DNS zones, which take the deployment's tags; API Management (prod) has its own limit.
    max_tags = min(PRIVATE_DNS_ZONE_MAX_TAGS, API_MANAGEMENT_MAX_TAGS) if features["api_management"] else PRIVATE_DNS_ZONE_MAX_TAGS
    if len(tags) > max_tags:
        _err(dep.name, "tags", f"{len(tags)} tags ({len(tags) - len(extra)} computed, {len(extra)} extra)",
             f"at most {max_tags}: Azure refuses more on the deployment's private DNS zones"
             + (" and on API Management" if features["api_management"] else "")
             + f"; at most {max_tags - (len(tags) - len(extra))} extra tags")

    default_amount = SEED_BUDGETS.get(dep.name, DEFAULT_BUDGETS[dep.environment])
    region = REGIONS[dep.region_code]
    subnets = subnet_plan(vnet_cidr, dep.environment, features)
    if features["bastion"]:
        names["subnets"]["bastion"] = SUBNET_TIERS["bastion"].fixed_name   # Azure imposes the name
    sizing = _check_sizing(dep.name, dep.environment, overrides.get("sizing", {}))
    sizing["postgresql"]["storage_size_gb"] = sizing["postgresql"]["storage_mb"] // 1024   # the unit the module takes
    endpoints = _private_endpoints(dep, names)
    plan = {
        "name": dep.name,
        "scope": dep.scope,
        "region_code": dep.region_code,
        "location": region["location"],
        "location_display": region["display"],
        "environment": dep.environment,
        "instance": dep.instance,
        "vnet_cidr": vnet_cidr,
        "subnets": subnets,
        "subnet_tiers": {key: subnet_settings(key, cidr, names, subnets) for key, cidr in subnets.items()},
        "names": names,
        "private_dns_zones": {key: PRIVATE_DNS_ZONES[key].format(deployment=dep.name) for key in names["private_dns_zone_links"]},
        "private_endpoints": endpoints,
        "tags": tags,
        "budget": _check_budget(dep.name, default_amount, overrides.get("budget", {})),
        "features": features,
        "sizing": sizing,
        "key_vault": {"allowed_subnets": [f"{names['virtual_network']}/{names['subnets'][key]}" for key in subnets
                                          if SUBNET_TIERS[key].key_vault_access]},
        "secrets": dict(SECRETS),
        "resource_providers": list(RESOURCE_PROVIDERS),
        "redis": dict(sizing["redis"], **MANAGED_REDIS),
        "log_analytics": {"sku": "PerGB2018", "retention_in_days": sizing["log_analytics"]["retention_in_days"],
                          "tables": [{"name": t, "total_retention_in_days": AUDIT_RETENTION_DAYS} for t in AUDIT_TABLES]},
        "container_registry": _container_registry(CONTAINER_REGISTRY_SKUS[dep.environment]),
        "application_insights": dict(APPLICATION_INSIGHTS),
        "evidence": _evidence(dep, names, region["location"]),
        "container_apps_environment": _container_apps_environment(names, subnets, prod),
        "identity": _identity(dep, names),
        "event_hubs": _event_hubs(dep, names, next(pe for pe in endpoints if pe["key"] == "event_hubs")),
        "storage": dict(STORAGE_ACCOUNT, sku=sizing["storage"]["sku_name"],
                        blob_service={"delete_retention_days": sizing["storage"]["soft_delete_days"],
                                      "container_delete_retention_days": sizing["storage"]["soft_delete_days"],
                                      "versioning": True},
                        containers=[{"name": AUDIT_CONTAINER, "immutability_period_days": AUDIT_RETENTION_DAYS,
                                     "immutability_locked": sizing["storage"]["lock_audit_container"]}]),
        "ddos_protection": _ddos_protection(names, region["location"]) if features["ddos_protection"] else None,
        "databases": list(DATABASES[dep.scope]),
        "peerings": _peerings(dep, names, vnet_cidr, registry, overrides.get("peerings", [])),
        # What every peering of this deployment's VNet that the collection makes starts with (preflight.yml finds the
        # ones the inventory no longer declares by it).
        "peering_name_prefix": PEERING_NAME.format(source=dep.name, target=""),
        "registry_status": next(r["status"] for r in registry.rows if r["name"] == dep.name),
    }
    if features["api_management"]:
        plan["api_management"] = _api_management(dep.name, names, overrides.get("api_management", {}))
    elif "api_management" in overrides:
        _err(dep.name, "api_management", overrides["api_management"], "no api_management settings: the deployment has no "
             "API Management (features.api_management is false)")
    if features["bastion"]:
        plan["bastion"] = dict(BASTION, name=names["bastion_host"], public_ip_name=names["bastion_public_ip"],
                               subnet=f"{names['virtual_network']}/{names['subnets']['bastion']}", subnet_cidr=subnets["bastion"])
    return plan


def _ddos_protection(names: dict, location: str) -> dict:
    """The region's DDoS protection plan (one per region, shared by the environment's VNets there: _azure/ddos_protection_plan.py)
    and the VNet it protects here."""
    plan = names["ddos_protection_plan"]
    return {"resource_group": names["ddos_resource_group"], "name": plan, "location": location,
            "virtual_network": names["virtual_network"], "monthly_cost_usd": DDOS_MONTHLY_USD,
            "included_public_ips": DDOS_INCLUDED_PUBLIC_IPS, "overage_usd_per_public_ip": DDOS_OVERAGE_USD}


def _private_endpoints(dep, names: dict) -> list:
    """The plan's private endpoints: those whose zone the deployment has (the registry's only in prod). The Event Hubs
    namespace's target is the environment's global deployment's (its names)."""
    owner_names = _global_deployment(dep, names)[1]
    return [{"key": key, "name": names["private_endpoints"][key], "target_type": target_type,
             "target_name": (owner_names if key == "event_hubs" else names)[name_key],
             "target_resource_group": (owner_names if key == "event_hubs" else names)[group_key], "group_id": group_id,
             "subnet": f"{names['virtual_network']}/{names['subnets'][tier]}", "private_dns_zone": PRIVATE_DNS_ZONES[key]}
            for key, target_type, name_key, group_id, tier, group_key in PRIVATE_ENDPOINTS if key in names["private_endpoints"]]


def _container_registry(sku: str) -> dict:
    premium = sku == "Premium"
    return {"sku": sku, "admin_user_enabled": False, "anonymous_pull_enabled": False,
            "public_network_access": "Disabled" if premium else "Enabled", "private_endpoint": premium}


def _global_deployment(dep, names: dict) -> tuple:
    """The environment's global deployment (global-<env>) and its names: the resources every deployment of the
    environment shares (the activity-log setting, the Event Hubs namespace) are made and named there."""
    owner = f"global-{dep.environment}"
    return owner, names if dep.name == owner else resource_names(owner, naming_seed=DEFAULT_NAMING_SEED)


def _container_apps_environment(names: dict, subnets: dict, prod: bool) -> dict:
    """The environment's settings (roles/container_apps_environment)."""
    return {"name": names["container_apps_environment"], "internal": True, "zone_redundant": prod,
            "subnet": f"{names['virtual_network']}/{names['subnets']['container_apps']}",
            "subnet_cidr": subnets["container_apps"],
            "workload_profiles": [dict(p) for p in CONTAINER_APPS_WORKLOAD_PROFILES],
            "logs_destination": "azure-monitor",
            "diagnostic_setting": {"name": names["diagnostic_setting"], "log_analytics_destination_type": "Dedicated",
                                   "logs": [{"category": c} for c in CONTAINER_APPS_LOG_CATEGORIES]}}


def _identity(dep, names: dict) -> dict:
    """The deployment's user-assigned identity and its role assignments, each scope described by type, group and name
    (ids need the subscription, known only at run time). outside_group: the scope is in another deployment's group, so
    teardown removes the assignment before the identity goes (Azure keeps it, orphaned, otherwise)."""
    owner, owner_names = _global_deployment(dep, names)
    assignments = []
    for role, rtype, where, key in IDENTITY_ROLE_ASSIGNMENTS:
        source = names if where == "self" else owner_names
        assignments.append({"role": role, "scope": {"type": rtype, "resource_group": source["resource_group"], "name": source[key],
                                                    "deployment": dep.name if where == "self" else owner},
                            "outside_group": source["resource_group"] != names["resource_group"]})
    return {"name": names["managed_identity"], "principal_type": "ServicePrincipal", "role_assignments": assignments}


def _event_hubs(dep, names: dict, endpoint: dict) -> dict:
    """The environment's global namespace (made by global-<env>), this deployment's consumer group on its hubs (regional
    deployments) and this deployment's private endpoint to it (every deployment of the environment: the plan's private
    endpoint `event_hubs`, shown here as it is)."""
    owner, owner_names = _global_deployment(dep, names)
    sizing = EVENT_HUBS_SIZING[dep.environment]
    here = dep.name == owner
    return dict(EVENT_HUBS_NAMESPACE, managed_by=owner, managed_here=here, namespace=owner_names["event_hubs_namespace"],
                resource_group=owner_names["resource_group"], location=REGIONS[parse_deployment_name(owner).region_code]["location"],
                auto_inflate=sizing["auto_inflate"], maximum_throughput_units=sizing["maximum_throughput_units"],
                event_hubs=[dict(topic, message_retention_in_days=sizing["message_retention_in_days"]) for topic in EVENT_HUBS_TOPICS]
                if here else [],
                # A global deployment publishes and has no consumer group of its own; a regional one reads with its name.
                consumer_group=None if here else dep.name,
                access="private_endpoint",
                private_endpoint=dict({key: endpoint[key] for key in ("name", "group_id", "subnet", "private_dns_zone")},
                                      private_dns_zone_link=names["private_dns_zone_links"]["event_hubs"]))


def _evidence(dep, names: dict, location: str) -> dict:
    """What sends the deployment's audit evidence where (roles/evidence)."""
    owner, owner_names = _global_deployment(dep, names)
    return {
        "diagnostic_settings": [
            {"name": names["diagnostic_setting"], "resource": key, "resource_type": rtype, "resource_name": names[key],
             "logs": [{"category": category}], "log_analytics_destination_type": "Dedicated", "table": table}
            for key, rtype, category, table in EVIDENCE_RESOURCE_LOGS],
        "activity_log": {"name": names["activity_log_diagnostic_setting"], "managed_by": owner, "managed_here": dep.name == owner,
                         # The workspace's group: the audit group (kept by teardown).
                         "workspace_resource_group": owner_names["audit_resource_group"],
                         "workspace_name": owner_names["log_analytics_workspace"],
                         "logs": [{"category": c} for c in ACTIVITY_LOG_CATEGORIES], "table": "AzureActivity"},
        "flow_log": dict(FLOW_LOG, name=names["flow_log"], target=names["virtual_network"], storage_account=names["storage_account"],
                         storage_account_resource_group=names["audit_resource_group"],
                         network_watcher={"resource_group": NETWORK_WATCHER_RESOURCE_GROUP, "name": f"NetworkWatcher_{location}"}),
    }


def plan_summary(plan: dict) -> list:
    """Readable lines of a plan, for playbooks/plan.yml."""
    if not isinstance(plan, dict) or "names" not in plan:
        raise DeploymentError(f"plan_summary expects the dict of complianceflow.infra.deployment, got {type(plan).__name__}")
    n = plan["names"]
    inst = f", instance {plan['instance']}" if plan["instance"] is not None else ""
    lines = [
        f"{plan['name']}: {plan['scope']} {plan['environment']}{inst} in {plan['location_display']} ({plan['location']}), "
        f"registry status {plan.get('registry_status', '?')}",
        f"resource group  {n['resource_group']} (audit evidence: {n['audit_resource_group']}, kept by teardown)",
        f"vnet            {n['virtual_network']}  {plan['vnet_cidr']}",
    ]
    for key, cidr in plan["subnets"].items():
        nsg = n["network_security_groups"].get(key)
        lines.append(f"  subnet {key:<15} {cidr:<15} {n['subnets'][key]}  ({f'nsg {nsg}' if nsg else 'no NSG'})")
    # Only what this deployment makes: the namespace is global-<env>'s, API Management is prod's (their lines below).
    optional = {"event_hubs_namespace": plan.get("event_hubs", {}).get("managed_here", False),
                "api_management": bool(plan.get("api_management"))}
    for key in ("postgresql_server", "redis_cache", "key_vault", "storage_account", "container_registry",
                "log_analytics_workspace", "application_insights", "event_hubs_namespace",
                "container_apps_environment", "managed_identity", "api_management", "budget"):
        if optional.get(key, True):
            lines.append(f"{key:<27} {n[key]}")
    for key, zone in plan["private_dns_zones"].items():
        lines.append(f"private DNS zone {zone} (link {n['private_dns_zone_links'][key]})")
    for pe in plan.get("private_endpoints", []):
        lines.append(f"private endpoint {pe['name']} -> {pe['target_type']}/{pe['target_name']} ({pe['group_id']}) "
                     f"in {pe['subnet']}, zone {pe['private_dns_zone']}")
    lines.append("tags            " + ", ".join(f"{k}={v}" for k, v in plan["tags"].items()))
    b = plan["budget"]
    lines.append(f"budget          {b['amount']} {b['currency']}/month, alerts at " + "/".join(f"{t}%" for t in b["thresholds"])
                 + (", forecast at " + "/".join(f"{t}%" for t in b["forecast_thresholds"]) if b.get("forecast_thresholds") else ""))
    contacts = list(b.get("contact_emails") or []) + [c.rsplit("/", 1)[-1] for c in b.get("contact_groups") or []]
    nobody = "nobody: deploy.yml refuses the deployment (set deployment_overrides.budget.contact_emails)"
    lines.append("budget alerts   to " + (", ".join(contacts) if contacts else nobody))
    ddos = plan.get("ddos_protection")
    if ddos:
        lines.append(f"ddos protection {ddos['name']} in {ddos['resource_group']} (one per region, shared), protects "
                     f"{ddos['virtual_network']}; ~{ddos['monthly_cost_usd']} USD/month for up to {ddos['included_public_ips']} "
                     f"public IPs, +{ddos['overage_usd_per_public_ip']} USD per further IP")
    pg = plan["sizing"]["postgresql"]
    lines.append(f"postgresql      {pg['version']} {pg['sku_name']} ({pg['tier']}), {pg['storage_mb'] // 1024} GiB, "
                 f"backup {pg['backup_retention_days']} d, geo backup {pg['geo_redundant_backup']}, HA {pg['high_availability']}")
    lines.append(f"gdpr            erasure records signed (HMAC-SHA256) with Key Vault secret {plan['secrets']['gdpr_signing_key']}, "
                 "made by playbooks/gdpr_erase.yml on first use")
    mr = plan["redis"]
    lines.append(f"redis           Azure Managed Redis {mr['sku_name']}, high availability {mr['high_availability']}, TLS "
                 f"{mr['minimum_tls_version']}+, public access {mr['public_network_access']}, port {mr['port']}, "
                 f"{mr['clustering_policy']}, access keys {mr['access_keys_authentication']}")
    la = plan["log_analytics"]
    lines.append(f"log analytics   {la['sku']}, {la['retention_in_days']} d; audit tables {', '.join(t['name'] for t in la['tables'])} "
                 f"kept {la['tables'][0]['total_retention_in_days']} d")
    acr = plan.get("container_registry")
    if acr:
        lines.append(f"container reg.  {acr['sku']}, public network access {acr['public_network_access']}, "
                     f"{'private endpoint' if acr['private_endpoint'] else 'no private endpoint (Premium only)'}, "
                     f"admin user {acr['admin_user_enabled']}, anonymous pull {acr['anonymous_pull_enabled']}")
    appi = plan.get("application_insights")
    if appi:
        lines.append(f"app insights    workspace-based in {n['log_analytics_workspace']}, {appi['kind']}, local auth "
                     f"{'off' if appi['disable_local_auth'] else 'on'}, connection string in Key Vault secret "
                     f"{plan['secrets']['application_insights_connection_string']}")
    ev = plan.get("evidence")
    if ev:
        al, fl = ev["activity_log"], ev["flow_log"]
        sources = "; ".join(f"{d['resource_name']} {d['logs'][0]['category']} -> {d['table']}" for d in ev["diagnostic_settings"])
        lines.append(f"evidence        {sources} (setting {ev['diagnostic_settings'][0]['name']}, workspace {n['log_analytics_workspace']})")
        lines.append(f"activity log    {al['name']} -> {al['workspace_name']} (made by {al['managed_by']})")
        lines.append(f"flow log        {fl['name']} in {fl['network_watcher']['resource_group']}/{fl['network_watcher']['name']}: "
                     f"{fl['target']} -> {fl['storage_account']}, JSON v{fl['format_version']}, "
                     f"traffic analytics {'on' if fl['traffic_analytics'] else 'off'}")
    eh = plan.get("event_hubs")
    if eh:
        hubs = ", ".join(f"{h['name']} ({h['partition_count']} partitions, {h['message_retention_in_days']} d)" for h in eh["event_hubs"])
        lines.append(f"event hubs      {eh['namespace']} in {eh['resource_group']} (made by {eh['managed_by']}): {eh['sku']} "
                     f"{eh['capacity']} TU{', auto-inflate to ' + str(eh['maximum_throughput_units']) if eh['auto_inflate'] else ''}, "
                     f"Kafka endpoint, TLS {eh['minimum_tls_version']}+, local (SAS) auth "
                     f"{'off' if eh['disable_local_auth'] else 'on'}, public network access {eh['public_network_access']}"
                     + (f"; hubs {hubs}" if eh["event_hubs"] else ""))
        pe = eh["private_endpoint"]
        lines.append(f"event hubs net  reached through private endpoint {pe['name']} ({pe['group_id']}) in {pe['subnet']}, zone "
                     f"{pe['private_dns_zone']} (link {pe['private_dns_zone_link']}): no VNet peering needed")
        if eh["consumer_group"]:
            lines.append(f"event hubs sub  consumer group {eh['consumer_group']} on every hub of {eh['namespace']} (read from it, "
                         "removed by teardown)")
    st = plan["storage"]
    audit = st["containers"][0]
    lines.append(f"storage         {st['sku']} {st['kind']}, {st['minimum_tls_version']}, public access {st['public_network_access']}, "
                 f"shared key {st['allow_shared_key_access']}, soft delete {st['blob_service']['delete_retention_days']} d; "
                 f"container {audit['name']} immutable {audit['immutability_period_days']} d"
                 f"{' (locked)' if audit['immutability_locked'] else ' (unlocked)'}")
    apim = plan.get("api_management")
    if apim:
        lines.append(f"api management  {apim['name']} {apim['sku_name']} x{apim['sku_capacity']}, VNet {apim['virtual_network_type']} "
                     f"in {apim['subnet']}, TLS 1.0/1.1 and 3DES {'off' if apim['disable_legacy_tls'] else 'on'}, identity "
                     f"{apim['identity']}, publisher {apim['publisher_name']} <{apim['publisher_email']}>")
    bas = plan.get("bastion")
    if bas:
        lines.append(f"bastion         {bas['name']} {bas['sku']} in {bas['subnet']} ({bas['subnet_cidr']}), public IP "
                     f"{bas['public_ip_name']} {bas['public_ip_sku']} {bas['public_ip_allocation']}")
    else:
        lines.append("bastion         off (features.bastion: true adds AzureBastionSubnet 10.x.11.0/26 and the host)")
    cae = plan.get("container_apps_environment")
    if cae:
        lines.append(f"container apps  {cae['name']} workload profiles ({', '.join(p['name'] for p in cae['workload_profiles'])}), "
                     f"{'internal' if cae['internal'] else 'external'} in {cae['subnet']} ({cae['subnet_cidr']}), zone redundant "
                     f"{cae['zone_redundant']}, logs {cae['logs_destination']} -> {n['log_analytics_workspace']} "
                     f"({', '.join(log['category'] for log in cae['diagnostic_setting']['logs'])})")
    ident = plan.get("identity")
    if ident:
        lines.append(f"identity        {ident['name']}: " + "; ".join(
            f"{a['role']} on {a['scope']['type'].split('/')[-1]} {a['scope']['name']}" + (f" ({a['scope']['resource_group']})" if a["outside_group"] else "")
            for a in ident["role_assignments"]))
    for peering in plan.get("peerings", []):
        there, back = peering["directions"]
        lines.append(f"vnet peering    {there['name']} / {back['name']}: {there['virtual_network']} ({there['vnet_cidr']}) <-> "
                     f"{back['virtual_network']} ({back['vnet_cidr']}) in {back['resource_group']}, {peering['kind']}, "
                     f"forwarded traffic {'on' if peering['allow_forwarded_traffic'] else 'off'}, gateway transit "
                     f"{'on' if peering['allow_gateway_transit'] else 'off'}")
    if not plan.get("peerings"):
        lines.append("vnet peering    none (deployment_overrides.peerings lists peer deployments)")
    lines.append("features        " + ", ".join(f"{k}={v}" for k, v in plan["features"].items()))
    lines.append("databases       " + ", ".join(plan["databases"]))
    return lines
