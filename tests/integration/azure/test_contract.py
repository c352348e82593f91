"""One contract, every resource type: real ansible-playbook runs of each Azure module against the emulator.

For each type, in order: a bad value is refused before any request; check mode predicts a create and
writes nothing; the create (diff before is empty); a re-run changes nothing and writes nothing; one
field changed in check mode shows in the diff and writes nothing; the change itself, seen in the
emulator's stored document; state=absent in check mode predicts the delete and writes nothing; state=absent deletes
it; a second absent changes nothing. All steps run in
one ansible-playbook run; the emulator's state is read between them (check_contract).
"""
from __future__ import annotations

import secrets
import uuid
from dataclasses import dataclass, field
from typing import Callable

import pytest
from azure_play import arm_id, task
from emulator import CONTROLLER_ADDRESS

LOCATION = "westeurope"
# Random, so that the check it was never printed cannot pass by chance; its random part has no hex digit, so it never
# shares three letters or digits in a row with the contract's login (ct_<hex>), which Azure refuses (and the module
# before any call): with hex it did about one run in 170.
SERVER_PASSWORD = "Contract-Passw0rd-" + "".join(secrets.SystemRandom().choices("GHJKMNPQRSTUVWXYZ", k=6))
ASSIGNMENT = str(uuid.uuid4())   # the role assignment's name in its contract (given, so the test knows its id)


@dataclass
class Contract:
    module: str
    path: Callable[[str, str], str]          # (group, name) -> provider path under the group ("" for the group)
    create: Callable[[str, str], dict]        # (group, name) -> the module's options
    update: dict | None                       # one field changed (None: nothing can change, see immutable)
    changed: Callable[[dict], object] | None  # stored document -> the changed field's value
    after: object                             # ... and what it must be after the update
    bad: dict                                 # an invalid value ...
    message: str                              # ... and the message that names it
    setup: Callable[[str], list] = lambda rg: []
    absent: Callable[[str, str], dict] = None
    exists: Callable[[dict], bool] = lambda doc: doc is not None
    child: str = ""                           # the changed field lives in this child document (".../tables/X")
    name: Callable[[], str] = field(default=lambda: f"ct-{uuid.uuid4().hex[:8]}")
    immutable: tuple = ()                     # (a changed option, the message refusing it before any write)


def group_tasks(rg):
    return [task("group", "resource_group", name=rg, location=LOCATION)]


def network_tasks(rg):
    subnets = [{"name": "db", "address_prefix": "10.0.2.0/24", "delegations": ["Microsoft.DBforPostgreSQL/flexibleServers"]}]
    return group_tasks(rg) + [
        task("vnet", "virtual_network", resource_group=rg, name="vnet", location=LOCATION, address_prefixes=["10.0.0.0/16"], subnets=subnets),
        task("zone", "private_dns_zone", resource_group=rg, name="contract.private.postgres.database.azure.com",
             virtual_network_links=[{"name": "link", "virtual_network": "vnet"}])]


def vault_tasks(rg):
    """A vault the controller may write into: its address in the firewall, Key Vault Secrets Officer on the vault."""
    vault = dict(task("vault", "key_vault", resource_group=rg, name=f"kv-{rg[-8:]}", location=LOCATION,
                      network_acls={"default_action": "Deny", "ip_rules": ["203.0.113.0/24", CONTROLLER_ADDRESS]}), register="kv")
    return group_tasks(rg) + [vault, task("grant", "role_assignment", scope="{{ kv.key_vault.id }}", role="Key Vault Secrets Officer")]


def bastion_tasks(rg):
    """What a Bastion host needs: an AzureBastionSubnet (/26) in a VNet of its group and a Standard static public IP."""
    return group_tasks(rg) + [
        task("vnet", "virtual_network", resource_group=rg, name="vnet", location=LOCATION, address_prefixes=["10.22.0.0/16"],
             subnets=[{"name": "AzureBastionSubnet", "address_prefix": "10.22.11.0/26"}]),
        task("pip", "public_ip_address", resource_group=rg, name="pip-bastion", location=LOCATION, sku="Standard",
             allocation_method="Static")]


def group_id(rg):
    return f"/subscriptions/{EMULATOR_SUBSCRIPTION[0]}/resourceGroups/{rg}"


def workspace_id(rg, n):
    return f"{group_id(rg)}/providers/Microsoft.OperationalInsights/workspaces/log-{rg[6:]}"


def vault_uri(rg):
    return f"https://kv-{rg[-8:]}.vault.localhost:{EMULATOR_PORT[0]}/"


def endpoint_tasks(rg):
    """What a private endpoint needs: a subnet, a target (a vault) and its privatelink zone."""
    return group_tasks(rg) + [
        task("vnet", "virtual_network", resource_group=rg, name="vnet", location=LOCATION, address_prefixes=["10.21.0.0/16"],
             subnets=[{"name": "pe", "address_prefix": "10.21.4.0/24"}]),
        task("vault", "key_vault", resource_group=rg, name=f"kv-{rg[-8:]}", location=LOCATION),
        task("zone", "private_dns_zone", resource_group=rg, name="privatelink.vaultcore.azure.net")]


def vault_id(rg):
    return f"{group_id(rg)}/providers/Microsoft.KeyVault/vaults/kv-{rg[-8:]}"


EMULATOR_PORT = [None]
EMULATOR_SUBSCRIPTION = [None]

CONTRACTS = {
    "budget": Contract(
        "budget", lambda rg, n: f"Microsoft.Consumption/budgets/budget-{n}",
        lambda rg, n: {"resource_group": rg, "name": f"budget-{n}", "amount": 200, "thresholds": [50, 80, 100],
                       "contact_emails": ["platform-team@complianceflow.example"]},
        {"amount": 300}, lambda d: d["properties"]["amount"], 300,
        {"resource_group": "rg-x", "name": "budget-x", "amount": 200, "contact_emails": ["platform-team"]},
        "'platform-team' is not an e-mail address", setup=group_tasks),
    "ddos_protection_plan": Contract(
        "ddos_protection_plan", lambda rg, n: f"Microsoft.Network/ddosProtectionPlans/ddos-{n}",
        lambda rg, n: {"resource_group": rg, "name": f"ddos-{n}", "location": LOCATION, "tags": {"a": "1"}},
        {"tags": {"a": "2"}}, lambda d: d["tags"], {"a": "2"},
        {"resource_group": "rg-x", "name": "-ddos"}, "'-ddos' is not a valid name", setup=group_tasks),
    "resource_group": Contract(
        "resource_group", lambda rg, n: "", lambda rg, n: {"name": rg, "location": LOCATION, "tags": {"a": "1"}},
        {"tags": {"a": "2"}}, lambda d: d["tags"], {"a": "2"},
        {"name": "rg-bad.", "location": LOCATION}, "'rg-bad.' is not a valid name",
        absent=lambda rg, n: {"name": rg}),
    "network_security_group": Contract(
        "network_security_group", lambda rg, n: f"Microsoft.Network/networkSecurityGroups/{n}",
        lambda rg, n: {"resource_group": rg, "name": n, "location": LOCATION,
                       "rules": [{"name": "allow-pg", "priority": 100, "protocol": "Tcp", "destination_port_ranges": ["5432"]}]},
        {"rules": [{"name": "allow-pg", "priority": 100, "protocol": "Tcp", "destination_port_ranges": ["6432"]}]},
        lambda d: [r["properties"].get("destinationPortRange") for r in d["properties"]["securityRules"]], ["6432"],
        {"resource_group": "rg-x", "name": "nsg", "rules": [{"name": "r", "priority": 99}]}, "must be an integer from 100 to 4096",
        setup=group_tasks),
    "virtual_network": Contract(
        "virtual_network", lambda rg, n: f"Microsoft.Network/virtualNetworks/{n}",
        lambda rg, n: {"resource_group": rg, "name": n, "location": LOCATION, "address_prefixes": ["10.20.0.0/16"],
                       "subnets": [{"name": "apps", "address_prefix": "10.20.1.0/24"}]},
        {"subnets": [{"name": "apps", "address_prefix": "10.20.1.0/24", "service_endpoints": ["Microsoft.KeyVault"]}]},
        lambda d: [e["service"] for e in d["properties"]["subnets"][0]["properties"]["serviceEndpoints"]], ["Microsoft.KeyVault"],
        {"resource_group": "rg-x", "name": "vn", "address_prefixes": ["10.20.0.1/16"]}, "has host bits set; the network is 10.20.0.0/16",
        setup=group_tasks),
    "private_dns_zone": Contract(
        "private_dns_zone", lambda rg, n: f"Microsoft.Network/privateDnsZones/{n}.example.internal",
        lambda rg, n: {"resource_group": rg, "name": f"{n}.example.internal", "tags": {"a": "1"}},
        {"tags": {"a": "2"}}, lambda d: d["tags"], {"a": "2"},
        {"resource_group": "rg-x", "name": "localhost"}, "'localhost' is not a DNS zone name",
        setup=group_tasks),
    "key_vault": Contract(
        "key_vault", lambda rg, n: f"Microsoft.KeyVault/vaults/kv-{n}",
        lambda rg, n: {"resource_group": rg, "name": f"kv-{n}", "location": LOCATION,
                       "network_acls": {"default_action": "Deny", "ip_rules": ["203.0.113.0/24"]}},
        {"public_network_access": "Disabled"}, lambda d: d["properties"]["publicNetworkAccess"], "Disabled",
        {"resource_group": "rg-x", "name": "kv--double"}, "'kv--double' is not a valid Key Vault name",
        setup=group_tasks, absent=lambda rg, n: {"resource_group": rg, "name": f"kv-{n}", "location": LOCATION, "purge": True}),
    "postgresql_flexible_server": Contract(
        "postgresql_flexible_server", lambda rg, n: f"Microsoft.DBforPostgreSQL/flexibleServers/psql-{n}",
        lambda rg, n: {"resource_group": rg, "name": f"psql-{n}", "location": LOCATION, "version": "15",
                       "sku_name": "Standard_B1ms", "delegated_subnet_id": "vnet/db",
                       "private_dns_zone_id": "contract.private.postgres.database.azure.com",
                       "administrator_login": f"ct_{n.replace('-', '_')}", "administrator_login_password": SERVER_PASSWORD},
        {"backup_retention_days": 14}, lambda d: d["properties"]["backup"]["backupRetentionDays"], 14,
        {"resource_group": "rg-x", "name": "psql-x", "storage_size_gb": 33}, "storage_size_gb: 33 is not an Azure size",
        setup=network_tasks),
    "log_analytics_workspace": Contract(
        "log_analytics_workspace", lambda rg, n: f"Microsoft.OperationalInsights/workspaces/log-{n}",
        lambda rg, n: {"resource_group": rg, "name": f"log-{n}", "location": LOCATION, "retention_in_days": 30,
                       "tables": [{"name": "AzureActivity", "total_retention_in_days": 2556}]},
        {"tables": [{"name": "AzureActivity", "total_retention_in_days": 2191}]},
        lambda d: d["properties"]["totalRetentionInDays"], 2191,
        {"resource_group": "rg-x", "name": "log-x", "tables": [{"name": "AzureActivity", "total_retention_in_days": 2557}]},
        "2557 is not a total retention Azure accepts", setup=group_tasks, child="/tables/AzureActivity"),
    "container_registry": Contract(
        "container_registry", lambda rg, n: f"Microsoft.ContainerRegistry/registries/{n}",
        lambda rg, n: {"resource_group": rg, "name": n, "location": LOCATION, "sku": "Basic", "admin_user_enabled": False,
                       "anonymous_pull_enabled": False},
        {"sku": "Premium", "public_network_access": "Disabled"}, lambda d: (d["sku"]["name"], d["properties"]["publicNetworkAccess"]),
        ("Premium", "Disabled"),
        {"resource_group": "rg-x", "name": "acrx1", "sku": "Standard", "public_network_access": "Disabled"},
        "Disabled needs sku Premium, not Standard", setup=group_tasks, name=lambda: f"acrct{uuid.uuid4().hex[:10]}"),
    "application_insights": Contract(
        "application_insights", lambda rg, n: f"Microsoft.Insights/components/appi-{n}",
        lambda rg, n: {"resource_group": rg, "name": f"appi-{n}", "location": LOCATION, "workspace_resource_id": "log-ct",
                       "kind": "web", "disable_local_auth": True, "ingestion_mode": "LogAnalytics"},
        {"disable_local_auth": False}, lambda d: d["properties"]["DisableLocalAuth"], False,
        {"resource_group": "rg-x", "name": "appi-x.", "workspace_resource_id": "log-x"}, "'appi-x.' is not a valid Application Insights name",
        setup=lambda rg: group_tasks(rg) + [task("ws", "log_analytics_workspace", resource_group=rg, name="log-ct", location=LOCATION)]),
    "managed_redis": Contract(
        "managed_redis", lambda rg, n: f"Microsoft.Cache/redisEnterprise/redis-{n}",
        lambda rg, n: {"resource_group": rg, "name": f"redis-{n}", "location": LOCATION, "sku_name": "Balanced_B0",
                       "high_availability": "Disabled", "eviction_policy": "VolatileLRU"},
        {"eviction_policy": "NoEviction"}, lambda d: d["properties"]["evictionPolicy"], "NoEviction",
        {"resource_group": "rg-x", "name": "redis--x", "sku_name": "Balanced_B0"},
        "'redis--x' is not a valid Azure Managed Redis name", setup=group_tasks, child="/databases/default"),
    "api_management": Contract(
        "api_management", lambda rg, n: f"Microsoft.ApiManagement/service/apim-{n}",
        lambda rg, n: {"resource_group": rg, "name": f"apim-{n}", "location": LOCATION, "sku_name": "Developer", "sku_capacity": 1,
                       "publisher_email": "api@example.org", "publisher_name": "CF", "virtual_network_type": "Internal",
                       "subnet": "vnet/apim", "disable_legacy_tls": True, "identity": "SystemAssigned"},
        {"publisher_name": "CF Platform"}, lambda d: d["properties"]["publisherName"], "CF Platform",
        {"resource_group": "rg-x", "name": "1apim"}, "'1apim' is not a valid API Management service name",
        setup=lambda rg: group_tasks(rg) + [
            task("nsg", "network_security_group", resource_group=rg, name="nsg-apim", location=LOCATION),
            task("vnet", "virtual_network", resource_group=rg, name="vnet", location=LOCATION, address_prefixes=["10.25.0.0/16"],
                 subnets=[{"name": "apim", "address_prefix": "10.25.5.0/24", "network_security_group": "nsg-apim"}])]),
    "diagnostic_setting": Contract(
        "diagnostic_setting",
        lambda rg, n: f"Microsoft.OperationalInsights/workspaces/log-{rg[6:]}/providers/Microsoft.Insights/diagnosticSettings/diag-{n}",
        lambda rg, n: {"scope": workspace_id(rg, n), "name": f"diag-{n}", "workspace_id": workspace_id(rg, n),
                       "log_analytics_destination_type": "Dedicated", "logs": [{"category": "Audit"}]},
        {"log_analytics_destination_type": "AzureDiagnostics"}, lambda d: d["properties"].get("logAnalyticsDestinationType"), None,
        {"scope": "/subscriptions/x/resourceGroups/rg-x", "name": "diag-x", "workspace_id": "w"}, "is a resource group",
        setup=lambda rg: group_tasks(rg) + [task("workspace", "log_analytics_workspace", resource_group=rg, name=f"log-{rg[6:]}",
                                                 location=LOCATION)],   # its own audit logs: the workspace is scope and destination
        absent=lambda rg, n: {"scope": workspace_id(rg, n), "name": f"diag-{n}"}),
    "storage_account": Contract(
        "storage_account", lambda rg, n: f"Microsoft.Storage/storageAccounts/{n}",
        lambda rg, n: {"resource_group": rg, "name": n, "location": LOCATION, "sku": "Standard_LRS", "kind": "StorageV2",
                       "minimum_tls_version": "TLS1_2", "allow_blob_public_access": False, "allow_shared_key_access": False,
                       "public_network_access": "Disabled", "https_only": True,
                       "blob_service": {"delete_retention_days": 7, "container_delete_retention_days": 7, "versioning": True},
                       "containers": [{"name": "audit", "immutability_period_days": 2556, "immutability_locked": False}]},
        {"containers": [{"name": "audit", "immutability_period_days": 2191}]},
        lambda d: d["properties"]["immutabilityPeriodSinceCreationInDays"], 2191,
        {"resource_group": "rg-x", "name": "St-X", "sku": "Standard_LRS"},
        "'St-X' is not a valid storage account name", setup=group_tasks,
        child="/blobServices/default/containers/audit/immutabilityPolicies/default", name=lambda: f"ct{uuid.uuid4().hex[:10]}"),
    "role_assignment": Contract(
        "role_assignment", lambda rg, n: f"Microsoft.Authorization/roleAssignments/{ASSIGNMENT}",
        lambda rg, n: {"scope": group_id(rg), "role": "Key Vault Secrets User", "name": ASSIGNMENT},
        None, None, None,
        {"scope": "/subscriptions/x/resourceGroups/rg-x", "role": "Key Vault Secrets Writer"},
        "'Key Vault Secrets Writer' is neither a built-in role", setup=group_tasks,
        immutable=({"role": "Key Vault Reader"}, "never changes a role assignment's principal, role or scope"),
        absent=lambda rg, n: {"scope": group_id(rg), "role": "Key Vault Secrets User", "name": ASSIGNMENT}),
    "key_vault_secret": Contract(
        "key_vault_secret", lambda rg, n: f"Microsoft.KeyVault/vaults/kv-{rg[-8:]}",
        lambda rg, n: {"vault_uri": vault_uri(rg), "name": n, "generate": True, "tags": {"a": "1"}},
        {"tags": {"a": "2"}}, lambda d: d["_secrets"][next(iter(d["_secrets"]))][-1]["tags"], {"a": "2"},
        {"vault_uri": "http://kv.example/", "name": "s"}, "'http://kv.example/' is not a vault URI",
        setup=vault_tasks, absent=lambda rg, n: {"vault_uri": vault_uri(rg), "name": n},
        exists=lambda doc: bool(doc and doc.get("_secrets"))),
    "key_vault_key": Contract(
        "key_vault_key", lambda rg, n: f"Microsoft.KeyVault/vaults/kv-{rg[-8:]}",
        lambda rg, n: {"vault_uri": vault_uri(rg), "name": n, "key_size": 3072, "tags": {"a": "1"}},
        {"enabled": False}, lambda d: d["_keys"][next(iter(d["_keys"]))][-1]["enabled"], False,
        {"vault_uri": "https://kv.example/", "name": "k", "key_size": 1024}, "key_size: 1024 is not supported",
        setup=lambda rg: vault_tasks(rg) + [task("grant keys", "role_assignment", scope="{{ kv.key_vault.id }}",
                                                 role="Key Vault Crypto Officer")],
        absent=lambda rg, n: {"vault_uri": vault_uri(rg), "name": n}, exists=lambda doc: bool(doc and doc.get("_keys"))),
    "private_endpoint": Contract(
        "private_endpoint", lambda rg, n: f"Microsoft.Network/privateEndpoints/pe-{n}",
        lambda rg, n: {"resource_group": rg, "name": f"pe-{n}", "location": LOCATION, "subnet": "vnet/pe", "target": vault_id(rg),
                       "group_id": "vault", "private_dns_zones": ["privatelink.vaultcore.azure.net"], "tags": {"a": "1"}},
        {"tags": {"a": "2"}}, lambda d: d["tags"], {"a": "2"},
        {"resource_group": "rg-x", "name": "pe-x", "target": "/subscriptions/x/resourceGroups/rg-x/providers/Microsoft.KeyVault/vaults/kv-x",
         "group_id": "blob"}, "'blob' is not a group id of Microsoft.KeyVault/vaults; valid: vault", setup=endpoint_tasks),
    "public_ip_address": Contract(
        "public_ip_address", lambda rg, n: f"Microsoft.Network/publicIPAddresses/{n}",
        lambda rg, n: {"resource_group": rg, "name": n, "location": LOCATION, "sku": "Standard", "allocation_method": "Static",
                       "idle_timeout_in_minutes": 4},
        {"idle_timeout_in_minutes": 10}, lambda d: d["properties"]["idleTimeoutInMinutes"], 10,
        {"resource_group": "rg-x", "name": "pip-x", "allocation_method": "Dynamic"}, "a Standard public IP is always Static",
        setup=group_tasks),
    "bastion_host": Contract(
        "bastion_host", lambda rg, n: f"Microsoft.Network/bastionHosts/{n}",
        lambda rg, n: {"resource_group": rg, "name": n, "location": LOCATION, "sku": "Basic", "subnet": "vnet/AzureBastionSubnet",
                       "public_ip_address": "pip-bastion"},
        {"sku": "Standard"}, lambda d: d["sku"]["name"], "Standard",
        {"resource_group": "rg-x", "name": "bas-x", "subnet": "vnet/snet-mgmt", "public_ip_address": "pip-x"},
        "Azure Bastion needs the subnet named exactly AzureBastionSubnet", setup=bastion_tasks),
    "container_apps_environment": Contract(
        "container_apps_environment", lambda rg, n: f"Microsoft.App/managedEnvironments/cae-{n}",
        lambda rg, n: {"resource_group": rg, "name": f"cae-{n}", "location": LOCATION, "infrastructure_subnet": "vnet/apps",
                       "internal": True, "zone_redundant": False, "logs_destination": "azure-monitor",
                       "workload_profiles": [{"name": "Consumption", "workload_profile_type": "Consumption"}], "tags": {"a": "1"}},
        {"workload_profiles": [{"name": "Consumption", "workload_profile_type": "Consumption"},
                               {"name": "d4", "workload_profile_type": "D4", "minimum_count": 1, "maximum_count": 2}]},
        lambda d: [p["name"] for p in d["properties"]["workloadProfiles"]], ["Consumption", "d4"],
        {"resource_group": "rg-x", "name": "cae--x"}, "'cae--x' is not a valid Container Apps environment name",
        setup=lambda rg: group_tasks(rg) + [task(
            "vnet", "virtual_network", resource_group=rg, name="vnet", location=LOCATION, address_prefixes=["10.22.0.0/16"],
            subnets=[{"name": "apps", "address_prefix": "10.22.1.0/24", "delegations": ["Microsoft.App/environments"]}])]),
    "managed_identity": Contract(
        "managed_identity", lambda rg, n: f"Microsoft.ManagedIdentity/userAssignedIdentities/id-{n}",
        lambda rg, n: {"resource_group": rg, "name": f"id-{n}", "location": LOCATION, "tags": {"a": "1"}},
        {"tags": {"a": "2"}}, lambda d: d["tags"], {"a": "2"},
        {"resource_group": "rg-x", "name": "x"}, "'x' is not a valid managed identity name", setup=group_tasks),
    "event_hubs_namespace": Contract(
        "event_hubs_namespace", lambda rg, n: f"Microsoft.EventHub/namespaces/evhns-{n}",
        lambda rg, n: {"resource_group": rg, "name": f"evhns-{n}", "location": LOCATION, "sku": "Standard", "disable_local_auth": True,
                       "event_hubs": [{"name": "tenant-events", "partition_count": 4, "message_retention_in_days": 1}]},
        {"event_hubs": [{"name": "tenant-events", "partition_count": 4, "message_retention_in_days": 7}]},
        lambda d: d["properties"]["messageRetentionInDays"], 7,
        {"resource_group": "rg-x", "name": "evhns-x"}, "'evhns-x' is not a valid Event Hubs namespace name",
        setup=group_tasks, child="/eventhubs/tenant-events"),
    "event_hubs_consumer_group": Contract(
        "event_hubs_consumer_group",
        lambda rg, n: f"Microsoft.EventHub/namespaces/evhns-{rg[6:]}/eventhubs/tenant-events/consumergroups/{n}",
        lambda rg, n: {"resource_group": rg, "namespace": f"evhns-{rg[6:]}", "name": n, "user_metadata": "westeu-dev-1"},
        {"user_metadata": "westeu-dev-2"}, lambda d: d["properties"].get("userMetadata"), "westeu-dev-2",
        {"resource_group": "rg-x", "namespace": "evhns-ct-x", "name": "-bad"}, "'-bad' is not a valid name",
        setup=lambda rg: group_tasks(rg) + [task("namespace", "event_hubs_namespace", resource_group=rg, name=f"evhns-{rg[6:]}",
                                                 location=LOCATION, event_hubs=[{"name": "tenant-events", "partition_count": 4}])],
        absent=lambda rg, n: {"resource_group": rg, "namespace": f"evhns-{rg[6:]}", "name": n}),
    "virtual_network_peering": Contract(
        "virtual_network_peering", lambda rg, n: "Microsoft.Network/virtualNetworks/vnet-a",
        lambda rg, n: {"resource_group": rg, "virtual_network": "vnet-a", "name": n, "remote_virtual_network": "vnet-b",
                       "allow_forwarded_traffic": False},
        {"allow_forwarded_traffic": True},
        lambda d: next(p["properties"]["allowForwardedTraffic"] for p in d["properties"]["virtualNetworkPeerings"]), True,
        {"resource_group": "rg-x", "virtual_network": "vnet-a", "name": "-peer", "remote_virtual_network": "vnet-b"},
        "'-peer' is not a valid name",
        setup=lambda rg: group_tasks(rg) + [
            task(f"vnet {v}", "virtual_network", resource_group=rg, name=f"vnet-{v}", location=LOCATION, address_prefixes=[cidr])
            for v, cidr in (("a", "10.40.0.0/16"), ("b", "10.41.0.0/16"))],
        absent=lambda rg, n: {"resource_group": rg, "virtual_network": "vnet-a", "name": n},
        exists=lambda d: bool(d and d["properties"].get("virtualNetworkPeerings"))),
}


def is_write(entry: dict) -> bool:
    """A request of the emulator's log that changes something (token requests and the admin API do not)."""
    return (entry["method"] in ("PUT", "PATCH", "DELETE", "POST") and "/_emulator/" not in entry["path"]
            and "token" not in entry["path"])


def writes(emu, since):
    return [r for r in emu.requests(since=since) if is_write(r)]


# The data tier's kinds (slow: a vault's firewall and role, a server's network) run from test_contract_data_tier.py, so that
# pytest's two workers (--dist loadfile) can share the contracts.
DATA_TIER = ("key_vault", "key_vault_secret", "postgresql_flexible_server")


@pytest.mark.parametrize("kind", [k for k in CONTRACTS if k not in DATA_TIER])
def test_resource_contract(ansible, emu, kind):
    check_contract(ansible, emu, kind)


def check_contract(ansible, emu, kind):
    """The whole contract of one type in ONE ansible-playbook run (each run costs seconds of process start).

    Between the steps, a task reads the emulator's state over its admin API (not through the module under test);
    that read is also a line of the emulator's request log, so the log splits into what each step sent.
    """
    c = CONTRACTS[kind]
    EMULATOR_PORT[0] = emu.url.rsplit(":", 1)[-1]
    EMULATOR_SUBSCRIPTION[0] = emu.subscription_id
    rg, name = f"rg-ct-{uuid.uuid4().hex[:8]}", c.name()
    stored_id = arm_id(emu, rg, c.path(rg, name)) if c.path(rg, name) else arm_id(emu, rg)
    args = c.create(rg, name)
    gone = dict((c.absent or (lambda g, n: {k: args[k] for k in ("resource_group", "name")}))(rg, name), state="absent")
    updated = dict(args, **(c.update or c.immutable[0]))

    steps = [("bad", c.bad, {"ignore_errors": True}), ("check create", args, {"check_mode": True, "diff": True}),
             ("create", args, {"diff": True}), ("re-run", args, {})]
    if c.update is None:   # nothing of it can change in Azure: a changed option is refused, nothing is written
        steps.append(("refused change", updated, {"ignore_errors": True}))
    else:
        steps += [("check change", updated, {"check_mode": True, "diff": True}), ("change", updated, {})]
    steps += [("check absent", gone, {"check_mode": True, "diff": True}), ("absent", gone, {}), ("absent again", gone, {})]
    # A lookup runs in the controller's process: cheaper than a module task (a process and its imports each).
    read_state = {"ansible.builtin.set_fact": {"contract_state": (
        f"{{{{ lookup('ansible.builtin.url', '{emu.url}/_emulator/state', ca_path='{emu.ca}', use_proxy=false, "
        "split_lines=false) | from_json }}")}}
    tasks = [dict(task(title, c.module, **step_args), **keywords) for title, step_args, keywords in steps]
    tasks = [t for step_task in tasks for t in (step_task, dict(read_state, name=f"state after {step_task['name']}"))]
    first_mark = dict(read_state, name="state before")
    cleanup = task("cleanup", "resource_group", name=rg, state="absent")
    mark = emu.request_count()
    run = ansible.play([{"block": c.setup(rg) + [first_mark] + tasks, "always": [cleanup]}])
    output = run.stdout + run.stderr
    assert SERVER_PASSWORD not in output, "the server password was printed"

    # The request log between two state reads: what each step sent.
    log = emu.requests(since=mark)
    cuts = [i for i, r in enumerate(log) if r["method"] == "GET" and r["path"] == "/_emulator/state"]
    sent = {step[0]: log[a + 1:b] for step, a, b in zip(steps, cuts, cuts[1:])}
    wrote = {title: [r for r in entries if is_write(r)] for title, entries in sent.items()}

    def outcome(title):
        """The step's result and the emulator's state after it."""
        assert title in sent, f"the play stopped before step {title!r}:\n{run.stdout[-4000:]}\n{run.stderr[-2000:]}"
        return run.result(title), run.result(f"state after {title}")["ansible_facts"]["contract_state"]["resources"]

    result, state = outcome("bad")
    assert result.get("failed") and c.message in result["msg"], result
    assert sent["bad"] == [], "a bad value reached the emulator"

    result, state = outcome("check create")
    assert result["changed"] is True and not result.get("failed"), result
    assert not wrote["check create"] and not c.exists(state.get(stored_id.lower())), "check mode wrote"

    result, state = outcome("create")
    assert result["changed"] is True and not any(result["diff"]["before"].values()), result   # PostgreSQL: {"server": {}}
    assert c.exists(state.get(stored_id.lower()))

    result, state = outcome("re-run")
    assert result["changed"] is False and not wrote["re-run"], ("a re-run wrote", wrote["re-run"])

    if c.update is None:
        result, state = outcome("refused change")
        assert result.get("failed") and c.immutable[1] in result["msg"], result
        assert not wrote["refused change"], "a refused change wrote"
    else:
        result, state = outcome("check change")
        assert result["changed"] is True and result["diff"]["before"] != result["diff"]["after"], result
        assert not wrote["check change"] and c.changed(state.get((stored_id + c.child).lower())) != c.after
        result, state = outcome("change")
        assert result["changed"] is True, result
        assert c.changed(state.get((stored_id + c.child).lower())) == c.after

    result, state = outcome("check absent")
    assert result["changed"] is True and not result.get("failed"), result
    assert not wrote["check absent"] and c.exists(state.get(stored_id.lower())), "check mode deleted"
    result, state = outcome("absent")
    assert result["changed"] is True and not c.exists(state.get(stored_id.lower())), result
    result, state = outcome("absent again")
    assert result["changed"] is False and not wrote["absent again"], result
    assert run.rc == 0, run.stdout[-3000:]
