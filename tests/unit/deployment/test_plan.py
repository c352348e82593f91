"""The plan dict: contract keys, tags, budgets, sizing, databases, and validated overrides."""
from __future__ import annotations

import pytest

from ansible_collections.complianceflow.infra.plugins.module_utils._deployment.cidr import load_registry
from ansible_collections.complianceflow.infra.plugins.module_utils._deployment.plan import build_plan, plan_summary
from ansible_collections.complianceflow.infra.plugins.module_utils._deployment.naming import DeploymentError

REGISTRY = load_registry()
SEED_BUDGETS = {"global-dev": 150, "westeu-dev-1": 200, "global-stg": 300, "westeu-stg-1": 500, "global-prod": 1000,
                "westeu-prod-1": 5000, "westeu-prod-2": 5000, "eastus-prod-1": 5000}
CONTRACT_KEYS = {"name", "scope", "region_code", "location", "location_display", "environment", "instance", "vnet_cidr",
                 "subnets", "names", "private_dns_zones", "tags", "budget", "features", "sizing", "databases"}


@pytest.mark.parametrize("name", REGISTRY.names())
def test_every_registered_deployment_has_a_complete_plan(name):
    plan = build_plan(name, registry=REGISTRY)
    assert CONTRACT_KEYS <= set(plan)
    assert plan["vnet_cidr"] == REGISTRY.lookup(name)
    assert set(plan["subnets"]) == set(plan["names"]["subnets"]) == set(plan["names"]["network_security_groups"])
    assert set(plan["names"]["private_endpoints"]) == set(plan["private_dns_zones"]) == set(plan["names"]["private_dns_zone_links"])
    assert all(isinstance(v, str) for v in plan["tags"].values())
    assert plan["budget"]["thresholds"] == [50, 80, 100]


def test_westeu_prod_1_plan_matches_the_seed():
    plan = build_plan("westeu-prod-1", registry=REGISTRY)
    assert (plan["scope"], plan["region_code"], plan["location"], plan["environment"], plan["instance"]) == \
        ("regional", "westeu", "westeurope", "prod", 1)
    assert plan["subnets"]["database"] == "10.30.2.0/24" and plan["subnets"]["api_management"] == "10.30.5.0/24"
    assert plan["tags"] == {"Deployment": "westeu-prod-1", "Environment": "prod", "Region": "westeu", "Instance": "1",
                            "Application": "ComplianceFlow", "ManagedBy": "Ansible", "CostCenter": "Platform",
                            "Owner": "DevOps", "Ephemeral": "false"}
    assert plan["sizing"] == {
        "postgresql": {"version": "15", "sku_name": "GP_Standard_D4s_v3", "tier": "GeneralPurpose", "storage_mb": 131072, "storage_size_gb": 128,
                       "backup_retention_days": 35, "geo_redundant_backup": True, "high_availability": "ZoneRedundant"},
        "redis": {"sku_name": "Balanced_B5", "high_availability": "Enabled"}, "log_analytics": {"retention_in_days": 90},
        "storage": {"sku_name": "Standard_GRS", "soft_delete_days": 30, "lock_audit_container": False}}
    assert plan["features"] == {"api_management": True, "ddos_protection": True, "backup": True, "bastion": False}
    assert plan["budget"] == {"amount": 5000, "currency": "USD", "thresholds": [50, 80, 100], "forecast_thresholds": [],
                              "contact_emails": [], "contact_groups": []}
    # The Azure resources issue 12 added, as the seed's prod flags ask: private only, redundant, kept 7 years.
    assert (plan["storage"]["sku"], plan["storage"]["public_network_access"], plan["storage"]["allow_shared_key_access"]) == (
        "Standard_GRS", "Disabled", False)
    assert plan["storage"]["containers"] == [{"name": "audit", "immutability_period_days": 2556, "immutability_locked": False}]
    assert (plan["redis"]["sku_name"], plan["redis"]["high_availability"], plan["redis"]["public_network_access"]) == (
        "Balanced_B5", "Enabled", "Disabled")
    assert (plan["container_registry"]["sku"], plan["container_registry"]["public_network_access"]) == ("Premium", "Disabled")
    assert {e["key"] for e in plan["private_endpoints"]} == {"key_vault", "storage_blob", "redis", "container_registry", "event_hubs"}
    assert plan["names"]["audit_resource_group"] == "rg-cf-westeu-prod-1-audit"


def test_global_and_dev_plans():
    glob = build_plan("global-dev", registry=REGISTRY)
    assert glob["scope"] == "global" and glob["instance"] is None and glob["location"] == "westeurope"
    assert glob["databases"] == ["tenant_registry", "master_data", "global_config"]
    assert glob["tags"]["Ephemeral"] == "true" and glob["tags"]["Instance"] == "none"
    dev = build_plan("westeu-dev-1", registry=REGISTRY)
    assert len(dev["databases"]) == 8 and "declaration_service" in dev["databases"]
    assert "api_management" not in dev["subnets"] and dev["features"]["api_management"] is False
    assert dev["sizing"]["postgresql"]["tier"] == "Burstable" and dev["sizing"]["postgresql"]["high_availability"] == "Disabled"


@pytest.mark.parametrize("name", REGISTRY.names())
def test_budgets_from_the_seed_table_or_the_environment_default(name):
    plan = build_plan(name, registry=REGISTRY)
    expected = SEED_BUDGETS.get(name, {"dev": 200, "stg": 500, "prod": 5000}[plan["environment"]])
    assert plan["budget"]["amount"] == expected


def test_overrides_merge():
    plan = build_plan("westeu-prod-1", {"cost_center": "Production", "owner": "Platform Team", "key_vault_suffix": "ab12",
                                        "vnet_cidr": "10.30.0.0/16", "tags": {"Customer": "acme"},
                                        "budget": {"amount": 6000}, "sizing": {"redis": {"sku_name": "Balanced_B10"}},
                                        "features": {"ddos_protection": False}}, registry=REGISTRY)
    assert plan["names"]["key_vault"] == "kv-cf-westeu-prod-1-ab12"
    assert plan["tags"]["CostCenter"] == "Production" and plan["tags"]["Owner"] == "Platform Team"
    assert plan["tags"]["Customer"] == "acme"
    assert plan["budget"]["amount"] == 6000 and plan["budget"]["thresholds"] == [50, 80, 100]
    assert plan["sizing"]["redis"] == {"sku_name": "Balanced_B10", "high_availability": "Enabled"}
    assert plan["redis"]["sku_name"] == "Balanced_B10"
    assert plan["features"] == {"api_management": True, "ddos_protection": False, "backup": True, "bastion": False}


@pytest.mark.parametrize("name, overrides, message", [
    ("westeu-dev-1", {"vnet_cidr": "10.30.0.0/16"}, r"vnet_cidr='10.30.0.0/16'.*overlaps westeu-prod-1 \(10.30.0.0/16\).*10.10.0.0/16"),
    ("westeu-dev-1", {"vnet_cidr": "10.12.0.0/16"}, r"registry gives 10.10.0.0/16"),
    ("westeu-dev-1", {"vnet_cidr": "10.10.0.1/16"}, r"host bits.*did you mean '10.10.0.0/16'"),
    ("westeu-dev-1", {"vnetcidr": "10.10.0.0/16"}, r"unknown override key\(s\) 'vnetcidr'.*valid keys are vnet_cidr"),
    ("westeu-dev-1", {"features": {"api_management": True}}, r"features.api_management.*only in prod"),
    ("westeu-dev-1", {"sizing": {"postgresql": {"tier": "Platinum"}}}, r"sizing.postgresql.tier='Platinum'.*one of Burstable"),
    ("westeu-dev-1", {"sizing": {"postgresql": {"high_availability": "ZoneRedundant"}}}, r"Disabled for the Burstable tier"),
    ("westeu-dev-1", {"sizing": {"redis": {"sku_name": "Premium"}}}, r"sizing.redis.sku_name='Premium'.*one of Balanced_B0"),
    ("westeu-dev-1", {"sizing": {"redis": {"capacity": 1}}}, r"sizing.redis.*'capacity'.*one of the keys sku_name, high_availability"),
    ("westeu-dev-1", {"budget": {"amount": -5}}, r"budget.amount=-5.*positive number"),
    ("westeu-dev-1", {"budget": {"thresholds": [80, 50]}}, r"ascending"),
    ("westeu-dev-1", {"tags": {"ManagedBy": "Terraform"}}, r"extra tags only"),
    ("westeu-dev-1", {"tags": {"k" * 129: "v"}}, r"tag names of 1-128 characters.*a storage account's limit"),
    ("westeu-dev-1", {"tags": {"Cost Center": "x"}}, r"tags='Cost Center'.*without spaces, colons.*private DNS zones"),
    ("global-dev", {"tags": {"ms:usage": "x"}}, r"tags='ms:usage'.*without spaces, colons"),
    ("westeu-dev-1", {"key_vault_suffix": "AB12"}, r"key_vault_suffix 'AB12'"),
    ("westeu-dev-1", ["vnet_cidr"], r"expected a dict"),
    ("westeu-prod-3", {}, r"'westeu-prod-3' has no CIDR in the registry.*cidr_allocate.py westeu-prod-3"),
])
def test_bad_overrides_fail_naming_value_and_valid_form(name, overrides, message):
    with pytest.raises(DeploymentError, match=message):
        build_plan(name, overrides, registry=REGISTRY)


def test_summary_shows_names_cidrs_and_budget():
    text = "\n".join(plan_summary(build_plan("westeu-prod-1", registry=REGISTRY)))
    for expected in ("rg-cf-westeu-prod-1", "10.30.0.0/16", "10.30.2.0/24", "snet-cf-westeu-prod-1-db", "stcfwesteuprod1",
                     "5000 USD/month", "ManagedBy=Ansible", "user_service"):
        assert expected in text


def test_subnet_tiers_carry_every_tier_fact_the_roles_need():
    plan = build_plan("westeu-prod-1", registry=REGISTRY)
    tiers = plan["subnet_tiers"]
    assert list(tiers) == list(plan["subnets"]) and "api_management" in tiers
    db = tiers["database"]
    assert db["cidr"] == "10.30.2.0/24" and db["key_vault_access"] is False
    assert db["subnet"] == {"name": "snet-cf-westeu-prod-1-db", "address_prefix": "10.30.2.0/24",
                            "network_security_group": "nsg-cf-westeu-prod-1-db",
                            "delegations": ["Microsoft.DBforPostgreSQL/flexibleServers"], "service_endpoints": []}
    rules = db["network_security_group"]["rules"]
    assert db["network_security_group"]["name"] == "nsg-cf-westeu-prod-1-db"
    assert [(r["name"], r["source_address_prefixes"], r.get("destination_port_ranges")) for r in rules[:-1]] == [
        ("allow-postgresql-from-apps", ["10.30.1.0/24"], ["5432"]),
        ("allow-postgresql-from-management", ["10.30.10.0/24"], ["5432"]),
        ("allow-postgresql-intra-subnet", ["10.30.2.0/24"], ["5432"])]
    assert all(r["destination_address_prefixes"] == ["10.30.2.0/24"] for r in rules[:-1])
    for tier in tiers.values():
        assert tier["network_security_group"]["rules"][-1] == {"name": "deny-all-inbound", "priority": 4096, "access": "Deny", "protocol": "*"}
        assert tier["subnet"]["service_endpoints"] == (["Microsoft.KeyVault"] if tier["key_vault_access"] else [])
    assert tiers["redis"]["subnet"]["private_endpoint_network_policies"] == "Enabled"
    assert sorted(plan["key_vault"]["allowed_subnets"]) == [
        "vnet-cf-westeu-prod-1/snet-cf-westeu-prod-1-apim", "vnet-cf-westeu-prod-1/snet-cf-westeu-prod-1-apps",
        "vnet-cf-westeu-prod-1/snet-cf-westeu-prod-1-mgmt"]
    assert plan["secrets"]["postgresql_admin_password"] == "postgresql-admin-password"
    assert plan["sizing"]["postgresql"]["storage_size_gb"] == 128


def test_dev_has_no_api_management_tier_and_the_vault_allows_apps_and_management():
    plan = build_plan("westeu-dev-1", registry=REGISTRY)
    assert "api_management" not in plan["subnet_tiers"] and "api_management" not in plan["names"]["subnets"]
    assert sorted(plan["key_vault"]["allowed_subnets"]) == ["vnet-cf-westeu-dev-1/snet-cf-westeu-dev-1-apps",
                                                            "vnet-cf-westeu-dev-1/snet-cf-westeu-dev-1-mgmt"]


def test_the_audit_tables_are_kept_seven_years():
    plan = build_plan("westeu-dev-1", registry=REGISTRY)
    assert plan["log_analytics"]["retention_in_days"] == 30
    assert {t["name"]: t["total_retention_in_days"] for t in plan["log_analytics"]["tables"]} == {
        "AzureActivity": 2556, "AZKVAuditLogs": 2556, "PGSQLServerLogs": 2556, "AzureDiagnostics": 2556}
    assert build_plan("westeu-prod-1", registry=REGISTRY)["log_analytics"]["retention_in_days"] == 90


def test_private_endpoints_and_their_zones_per_environment():
    """Each PaaS target gets one endpoint in the seed's subnet, with the zone its group id needs; the registry's only in
    prod (Premium), and no zone is listed that no endpoint uses (the network role links every listed zone)."""
    dev, prod = build_plan("westeu-dev-1", registry=REGISTRY), build_plan("westeu-prod-1", registry=REGISTRY)
    endpoints = {pe["key"]: pe for pe in prod["private_endpoints"]}
    assert {k: (pe["group_id"], pe["private_dns_zone"], pe["subnet"].split("/")[1]) for k, pe in endpoints.items()} == {
        "key_vault": ("vault", "privatelink.vaultcore.azure.net", "snet-cf-westeu-prod-1-st"),
        "storage_blob": ("blob", "privatelink.blob.core.windows.net", "snet-cf-westeu-prod-1-st"),
        "redis": ("redisEnterprise", "privatelink.redis.azure.net", "snet-cf-westeu-prod-1-redis"),
        "container_registry": ("registry", "privatelink.azurecr.io", "snet-cf-westeu-prod-1-st"),
        "event_hubs": ("namespace", "privatelink.servicebus.windows.net", "snet-cf-westeu-prod-1-st")}
    assert endpoints["redis"]["target_type"] == "Microsoft.Cache/redisEnterprise"
    assert endpoints["storage_blob"]["target_resource_group"] == prod["names"]["audit_resource_group"]   # the account's group
    assert endpoints["key_vault"]["target_resource_group"] == prod["names"]["resource_group"]
    assert endpoints["container_registry"]["target_name"] == prod["names"]["container_registry"]
    assert [pe["key"] for pe in dev["private_endpoints"]] == ["key_vault", "storage_blob", "redis", "event_hubs"]
    for plan in (dev, prod):
        assert set(plan["private_dns_zones"]) == {"postgresql"} | {pe["key"] for pe in plan["private_endpoints"]}
        assert all(plan["private_dns_zones"][pe["key"]] == pe["private_dns_zone"] for pe in plan["private_endpoints"])
        assert "privatelink.redis.cache.windows.net" not in plan["private_dns_zones"].values()
        # The registry's endpoint exactly where the plan's registry is private (Premium).
        assert ("container_registry" in plan["private_dns_zones"]) == plan["container_registry"]["private_endpoint"]


def test_container_registry_is_private_premium_in_prod_and_a_cheaper_public_tier_elsewhere():
    tiers = {name: build_plan(name, registry=REGISTRY)["container_registry"] for name in ("westeu-dev-1", "westeu-prod-1")}
    assert tiers["westeu-prod-1"] == {"sku": "Premium", "admin_user_enabled": False, "anonymous_pull_enabled": False,
                                      "public_network_access": "Disabled", "private_endpoint": True}
    assert tiers["westeu-dev-1"] == {"sku": "Basic", "admin_user_enabled": False, "anonymous_pull_enabled": False,
                                     "public_network_access": "Enabled", "private_endpoint": False}


def test_application_insights_is_workspace_based_and_its_connection_string_has_a_vault_secret():
    plan = build_plan("westeu-dev-1", registry=REGISTRY)
    assert plan["application_insights"] == {"kind": "web", "application_type": "web", "disable_local_auth": True,
                                            "ingestion_mode": "LogAnalytics"}
    assert plan["secrets"]["application_insights_connection_string"] == "application-insights-connection-string"
    assert {"Microsoft.ContainerRegistry", "Microsoft.Insights"} <= set(plan["resource_providers"])
    summary = "\n".join(plan_summary(plan))
    assert "container reg.  Basic, public network access Enabled" in summary
    assert "app insights    workspace-based in log-cf-westeu-dev-1" in summary


@pytest.mark.parametrize("name, sku, ha", [("westeu-dev-1", "Balanced_B0", "Disabled"), ("westeu-stg-1", "Balanced_B1", "Enabled"),
                                           ("westeu-prod-1", "Balanced_B5", "Enabled")])
def test_redis_is_azure_managed_redis_sized_as_microsofts_migration_guide_maps_the_seed(name, sku, ha):
    """Seed: Basic C0 / Standard C1 / Premium P1 (Azure Cache for Redis, retiring 2028-09-30) -> B0 without HA / B1 / B5."""
    plan = build_plan(name, registry=REGISTRY)
    assert plan["redis"] == {"sku_name": sku, "high_availability": ha, "minimum_tls_version": "1.2",
                             "public_network_access": "Disabled", "client_protocol": "Encrypted", "port": 10000,
                             "clustering_policy": "OSSCluster", "eviction_policy": "VolatileLRU",
                             "access_keys_authentication": "Disabled"}
    assert "Microsoft.Cache" in plan["resource_providers"] and plan["private_dns_zones"]["redis"] == "privatelink.redis.azure.net"
    assert any(line.startswith(f"redis           Azure Managed Redis {sku}, high availability {ha}") for line in plan_summary(plan))
    # Azure Managed Redis listens on 10000 (TLS), not Azure Cache for Redis's 6380.
    rules = plan["subnet_tiers"]["redis"]["network_security_group"]["rules"]
    assert {port for r in rules if r["name"].startswith("allow-redis") for port in r["destination_port_ranges"]} == {"10000"}


def test_evidence_sources_of_a_deployment():
    plan = build_plan("westeu-dev-1", registry=REGISTRY)
    ev = plan["evidence"]
    assert [(d["resource_name"], d["logs"], d["log_analytics_destination_type"], d["table"]) for d in ev["diagnostic_settings"]] == [
        (plan["names"]["key_vault"], [{"category": "AuditEvent"}], "Dedicated", "AZKVAuditLogs"),
        ("psql-cf-westeu-dev-1", [{"category": "PostgreSQLLogs"}], "Dedicated", "PGSQLServerLogs")]
    tables = {t["name"] for t in plan["log_analytics"]["tables"]}
    assert {d["table"] for d in ev["diagnostic_settings"]} | {ev["activity_log"]["table"]} <= tables   # all kept 2556 days
    # One activity-log setting per environment (Azure allows 5 per subscription), made by global-<env> into its workspace.
    assert ev["activity_log"]["name"] == "diag-cf-activity-dev" and not ev["activity_log"]["managed_here"]
    assert (ev["activity_log"]["workspace_resource_group"], ev["activity_log"]["workspace_name"]) == ("rg-cf-global-dev-audit", "log-cf-global-dev")
    assert build_plan("global-dev", registry=REGISTRY)["evidence"]["activity_log"]["managed_here"]
    names = {build_plan(n, registry=REGISTRY)["evidence"]["activity_log"]["name"] for n in ("global-prod", "westeu-prod-1", "eastus-prod-1")}
    assert names == {"diag-cf-activity-prod"}
    fl = ev["flow_log"]
    assert (fl["name"], fl["target"], fl["storage_account"], fl["network_watcher"]) == (
        "fl-cf-westeu-dev-1", "vnet-cf-westeu-dev-1", "stcfwesteudev1", {"resource_group": "NetworkWatcherRG", "name": "NetworkWatcher_westeurope"})
    assert (fl["format_version"], fl["traffic_analytics"]) == (2, False)
    assert "Microsoft.Insights" in plan["resource_providers"]


def test_the_storage_account_follows_the_seed_and_locks_the_audit_container_only_in_prod_when_asked():
    dev, prod = build_plan("westeu-dev-1", registry=REGISTRY), build_plan("westeu-prod-1", registry=REGISTRY)
    assert (dev["storage"]["sku"], prod["storage"]["sku"]) == ("Standard_LRS", "Standard_GRS")
    for plan in (dev, prod):
        st = plan["storage"]
        assert (st["kind"], st["minimum_tls_version"], st["public_network_access"]) == ("StorageV2", "TLS1_2", "Disabled")
        assert st["allow_blob_public_access"] is False and st["allow_shared_key_access"] is False and st["https_only"] is True
        assert st["blob_service"]["versioning"] is True and st["blob_service"]["delete_retention_days"] > 0
        assert st["containers"] == [{"name": "audit", "immutability_period_days": 2556, "immutability_locked": False}]
    locked = build_plan("westeu-prod-1", {"sizing": {"storage": {"lock_audit_container": True}}}, registry=REGISTRY)
    assert locked["storage"]["containers"][0]["immutability_locked"] is True
    assert build_plan("westeu-dev-1", {"sizing": {"storage": {"sku_name": "Standard_ZRS"}}}, registry=REGISTRY)["storage"]["sku"] == "Standard_ZRS"
    assert any(line.startswith("storage         Standard_GRS StorageV2") for line in plan_summary(prod))
    with pytest.raises(DeploymentError, match="locked only in prod"):
        build_plan("westeu-dev-1", {"sizing": {"storage": {"lock_audit_container": True}}}, registry=REGISTRY)
    with pytest.raises(DeploymentError, match="one of Standard_LRS"):
        build_plan("westeu-dev-1", {"sizing": {"storage": {"sku_name": "Premium_LRS"}}}, registry=REGISTRY)


AG = "/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/rg-ops/providers/microsoft.insights/actionGroups/ag-1"


def test_budget_contacts_come_from_the_inventory_and_are_checked():
    plan = build_plan("westeu-prod-1", {"budget": {"contact_emails": ["platform-team@complianceflow.example"],
                                                   "contact_groups": [AG], "forecast_thresholds": [100]}}, registry=REGISTRY)
    assert plan["budget"]["contact_emails"] == ["platform-team@complianceflow.example"] and plan["budget"]["contact_groups"] == [AG]
    lines = "\n".join(plan_summary(plan))
    assert "alerts at 50%/80%/100%, forecast at 100%" in lines and "to platform-team@complianceflow.example, ag-1" in lines
    assert "deploy.yml refuses the deployment" in "\n".join(plan_summary(build_plan("westeu-dev-1", registry=REGISTRY)))
    for budget, message in (({"contact_emails": ["platform-team"]}, "budget.contact_emails='platform-team'"),
                            ({"contact_groups": ["/subscriptions/x/resourceGroups/y"]}, "action group ids"),
                            ({"forecast_thresholds": [90, 100, 110]}, "at most 5 thresholds")):
        with pytest.raises(DeploymentError, match=message):
            build_plan("westeu-dev-1", {"budget": budget}, registry=REGISTRY)


def test_ddos_protection_is_one_shared_plan_per_region_in_prod_only():
    prod1, prod2, dev = (build_plan(n, registry=REGISTRY) for n in ("westeu-prod-1", "westeu-prod-2", "westeu-dev-1"))
    assert prod1["ddos_protection"] == {
        "resource_group": "rg-cf-prod-westeu-ddos", "name": "ddos-cf-prod-westeu", "location": "westeurope",
        "virtual_network": "vnet-cf-westeu-prod-1", "monthly_cost_usd": 2944, "included_public_ips": 100,
        "overage_usd_per_public_ip": 30}
    assert prod2["ddos_protection"]["name"] == prod1["ddos_protection"]["name"]   # the region's one plan, shared
    assert build_plan("eastus-prod-1", registry=REGISTRY)["ddos_protection"]["name"] == "ddos-cf-prod-eastus"
    assert dev["ddos_protection"] is None and "ddos protection" not in "\n".join(plan_summary(dev))
    assert "ddos protection ddos-cf-prod-westeu in rg-cf-prod-westeu-ddos" in "\n".join(plan_summary(prod1))
