#!/usr/bin/python
# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

# The work runs on the controller in plugins/action/deployment_info.py (it reads the collection's CIDR
# registry file, which AnsiballZ would not ship); this file carries the documentation.

from __future__ import annotations

DOCUMENTATION = r"""
module: deployment_info
short_description: The plan of a ComplianceFlow deployment, with the inventory's overrides merged and validated
version_added: 1.0.0
author: ComplianceFlow Platform Team (@complianceflow)
description:
  - Computes the plan of one deployment offline, without credentials or any cloud call, on the controller.
  - Returns every name, CIDR, subnet, tag, budget, size and database of the deployment, the dict every role of the
    collection reads as C(deployment_plan). It is the same dict as the P(complianceflow.infra.deployment#filter) filter.
  - The VNet CIDR comes from the CIDR registry. An override of C(vnet_cidr) that disagrees with the registry, or overlaps
    another deployment, fails.
  - An invalid deployment name or override fails before anything else, with a message that names the bad value and the
    valid form. The accepted names are C(global-{env}) and C({region}-{env}-{instance}) with env one of C(dev), C(stg),
    C(prod), region one of C(westeu), C(northeu), C(eastus), C(westus), C(uksouth), C(australiaeast) and instance 1..99.
  - See docs/deployment-model.md for the naming rules, the Key Vault compaction and the allocation of CIDRs.
extends_documentation_fragment:
  - complianceflow.infra.attributes
  - complianceflow.infra.attributes.INFO_MODULE
options:
  name:
    description:
      - The deployment name, for example C(westeu-prod-1) or C(global-dev).
      - Defaults to the host's C(inventory_hostname); the inventories of this collection name their one host after
        the deployment.
    type: str
  overrides:
    description:
      - What differs for this deployment from the computed defaults (the seed's tfvars), validated and merged.
      - Defaults to the host variable C(deployment_overrides) when it is defined, else no override.
    type: dict
    suboptions:
      vnet_cidr:
        description: Must equal the registry's CIDR of the deployment (a safety net for copied tfvars); it never changes it.
        type: str
      naming_seed:
        description: Seed of the Key Vault suffix, C(sha256("<naming_seed>:<deployment>")) in base 36, 4 characters.
        type: str
        default: complianceflow
      key_vault_suffix:
        description: Explicit 4-character Key Vault suffix (lowercase letters, digits); wins over O(overrides.naming_seed).
        type: str
      cost_center:
        description: Value of the C(CostCenter) tag.
        type: str
        default: Platform
      owner:
        description: Value of the C(Owner) tag.
        type: str
        default: DevOps
      tags:
        description:
          - Extra tags (string values). The nine computed tags cannot be replaced this way.
          - Names of at most 128 characters (a storage account's limit), and at most 6 extra tags, since every
            deployment's private DNS zones, and API Management where it is deployed, take at most 15 tags.
        type: dict
      budget:
        description: Keys C(amount) (positive number), C(currency) (ISO code), C(thresholds) (ascending percentages).
        type: dict
      features:
        description: Booleans C(api_management) (prod only), C(ddos_protection), C(backup), which default to prod-ness, and
          C(bastion) (Azure Bastion with its C(AzureBastionSubnet) 10.x.11.0/26), false by default in every environment.
        type: dict
      sizing:
        description:
          - C(postgresql) keys version, sku_name, tier, storage_mb, backup_retention_days, geo_redundant_backup,
            high_availability; C(redis) keys sku_name (an Azure Managed Redis SKU such as V(Balanced_B5)),
            high_availability (V(Enabled) or V(Disabled)); C(log_analytics) key retention_in_days (30-730);
            C(storage) keys sku_name (a Standard_* redundancy), soft_delete_days (1-365), lock_audit_container (prod only).
            Deep-merged over the environment's profile.
        type: dict
      peerings:
        description:
          - Deployments (of the same environment) whose VNet this deployment's VNet is peered with, e.g. V([westeu-prod-2]).
            An unknown peer, the deployment itself or an overlapping CIDR fails the plan.
        type: list
        elements: str
      api_management:
        description:
          - Keys C(sku_name) (V(Developer) or V(Premium), the tiers that can be injected in a VNet), C(sku_capacity)
            (1-12), C(publisher_email), C(publisher_name). Only where C(features.api_management) is on (prod).
        type: dict
  registry:
    description: Path of another CIDR registry file. Default the collection's C(data/cidr-registry.yml).
    type: path
notes:
  - Runs on the controller only (action plugin); the connection of the host is never used.
seealso:
  - plugin: complianceflow.infra.deployment
    plugin_type: filter
  - plugin: complianceflow.infra.resource_names
    plugin_type: filter
"""

EXAMPLES = r"""
- name: Plan of the deployment this host stands for (inventory overrides merged)
  complianceflow.infra.deployment_info:
  register: deployment

- name: Hand the plan to the roles
  ansible.builtin.set_fact:
    deployment_plan: "{{ deployment.plan }}"

- name: Plan of a named deployment with explicit overrides
  complianceflow.infra.deployment_info:
    name: westeu-prod-1
    overrides:
      cost_center: Production
      owner: Platform Team
  register: prod1
"""

RETURN = r"""
plan:
  description: The plan of the deployment.
  returned: success
  type: dict
  contains:
    name:
      description: "The deployment name."
      type: str
      returned: always
      sample: westeu-prod-1
    scope:
      description: "C(global) or C(regional)."
      type: str
      returned: always
      sample: regional
    region_code:
      description: "Region code of the seed (C(westeu) for global-*)."
      type: str
      returned: always
      sample: westeu
    location:
      description: "Azure location name."
      type: str
      returned: always
      sample: westeurope
    location_display:
      description: "Azure location display name."
      type: str
      returned: always
      sample: West Europe
    environment:
      description: "C(dev), C(stg) or C(prod)."
      type: str
      returned: always
      sample: prod
    instance:
      description: "1..99; null for global-*."
      type: int
      returned: always
      sample: 1
    vnet_cidr:
      description: "The deployment's /16 from the CIDR registry."
      type: str
      returned: always
      sample: 10.30.0.0/16
    registry_status:
      description: "Status of the registry row (C(Active (MVP)), C(Active), C(Reserved))."
      type: str
      returned: always
    subnets:
      description: Subnet key to /24. Keys container_apps (.1), database (.2), redis (.3), storage (.4), api_management
        (.5, prod only), management (.10).
      type: dict
      returned: always
      sample: {container_apps: 10.30.1.0/24, database: 10.30.2.0/24, redis: 10.30.3.0/24, storage: 10.30.4.0/24,
               api_management: 10.30.5.0/24, management: 10.30.10.0/24}
    subnet_tiers:
      description:
        - Every fact of each subnet tier of RV(plan.subnets) (same keys), from the one tier table of the deployment model.
        - C(cidr); C(key_vault_access) (whether its workloads reach the Key Vault); C(subnet), the entry the
          M(complianceflow.infra.virtual_network) module takes in O(complianceflow.infra.virtual_network#module:subnets)
          (name, address_prefix, network_security_group, delegations, service_endpoints and, for Redis and storage,
          private_endpoint_network_policies); C(network_security_group), the C(name) and C(rules) the
          M(complianceflow.infra.network_security_group) module takes (the tier's inbound rules, then deny-all-inbound).
      type: dict
      returned: always
    key_vault:
      description: C(allowed_subnets), the C(<vnet>/<subnet>) of the tiers whose workloads read the Key Vault.
      type: dict
      returned: always
      sample: {allowed_subnets: [vnet-cf-westeu-dev-1/snet-cf-westeu-dev-1-apps, vnet-cf-westeu-dev-1/snet-cf-westeu-dev-1-mgmt]}
    resource_providers:
      description: Resource provider namespaces the deployment writes into (role C(resource_group) registers them first).
      type: list
      elements: str
      returned: always
    secrets:
      description: Names of the Key Vault secrets the deployment keeps (C(postgresql_admin_password), C(postgresql_app_password),
        C(application_insights_connection_string)).
      type: dict
      returned: always
    redis:
      description:
        - The Azure Managed Redis of the deployment as M(complianceflow.infra.managed_redis) takes it; the size from
          C(sizing.redis) (C(sku_name), C(high_availability)) and the fixed settings C(minimum_tls_version) 1.2,
          C(public_network_access) Disabled, and the default database's C(client_protocol) Encrypted, C(port) 10000,
          C(clustering_policy) OSSCluster, C(eviction_policy) VolatileLRU, C(access_keys_authentication) Disabled.
      type: dict
      returned: always
      sample: {sku_name: Balanced_B5, high_availability: Enabled, minimum_tls_version: "1.2", public_network_access: Disabled,
               client_protocol: Encrypted, port: 10000, clustering_policy: OSSCluster, eviction_policy: VolatileLRU,
               access_keys_authentication: Disabled}
    api_management:
      description:
        - Only where C(features.api_management) is on (prod), the API Management as
          M(complianceflow.infra.api_management) takes it; C(name), C(sku_name) (Premium) and C(sku_capacity) (1),
          C(virtual_network_type) Internal in C(subnet) (the API Management subnet, C(<vnet>/<subnet>)),
          C(disable_legacy_tls) true, C(identity) SystemAssigned, C(publisher_email) and C(publisher_name)
          (C(deployment_overrides.api_management) overrides the tier, units and publisher).
      type: dict
      returned: when features.api_management
    log_analytics:
      description:
        - The Log Analytics workspace's C(sku), C(retention_in_days) (per environment) and C(tables), the audit tables
          with C(total_retention_in_days) 2556 (7 years), as M(complianceflow.infra.log_analytics_workspace) takes them.
      type: dict
      returned: always
    container_registry:
      description:
        - The Container Registry's C(sku) (Basic in dev, Standard in stg, Premium in prod), C(admin_user_enabled) and
          C(anonymous_pull_enabled) (false), C(public_network_access) (V(Disabled) only on Premium) and
          C(private_endpoint) (true on Premium, the only tier with private endpoints), as
          M(complianceflow.infra.container_registry) takes them.
      type: dict
      returned: always
    application_insights:
      description:
        - The workspace-based Application Insights component's C(kind), C(application_type), C(disable_local_auth) (true)
          and C(ingestion_mode) (V(LogAnalytics)), as M(complianceflow.infra.application_insights) takes them.
      type: dict
      returned: always
    evidence:
      description:
        - What sends the audit evidence where (role C(evidence)). C(diagnostic_settings), a list of C(name), C(resource)
          (the key in RV(plan.names)), C(resource_type), C(resource_name), C(logs), C(log_analytics_destination_type)
          (C(Dedicated)) and C(table) (Key Vault C(AuditEvent) into C(AZKVAuditLogs), PostgreSQL C(PostgreSQLLogs) into
          C(PGSQLServerLogs)).
        - C(activity_log), the subscription's setting C(name) (one per environment), C(managed_by) (C(global-<env>)),
          C(managed_here), C(workspace_resource_group), C(workspace_name), C(logs), C(table) (C(AzureActivity)).
        - C(flow_log), the VNet flow log C(name), C(target) (the VNet's name), C(storage_account) and
          C(storage_account_resource_group) (the audit group), C(format_version) (2),
          C(retention_days), C(traffic_analytics) (false), C(traffic_analytics_interval), C(network_watcher) (the default
          C(resource_group) and C(name) in the region).
      type: dict
      returned: always
    container_apps_environment:
      description:
        - The Container Apps environment as role C(container_apps_environment) takes it, C(name), C(internal) (true),
          C(zone_redundant) (prod), C(subnet) (C(<vnet>/<subnet>) of the C(container_apps) tier) and C(subnet_cidr),
          C(workload_profiles) (the C(Consumption) profile), C(logs_destination) (C(azure-monitor)) and
          C(diagnostic_setting) (C(name), C(log_analytics_destination_type), C(logs), the categories sent to the workspace).
      type: dict
      returned: always
    identity:
      description:
        - The apps' user-assigned managed identity C(name), C(principal_type) (C(ServicePrincipal)) and
          C(role_assignments), each a C(role) and a C(scope) (C(type), C(resource_group), C(name), C(deployment)) with
          C(outside_group) (the scope is the global deployment's, so teardown removes it first); AcrPull on the registry,
          Key Vault Secrets User on the vault, Azure Event Hubs Data Sender and Data Receiver on C(global-<env>)'s namespace.
      type: dict
      returned: always
    event_hubs:
      description:
        - The environment's Event Hubs (role C(event_hubs)). C(namespace) and C(resource_group) of C(global-<env>)'s
          namespace (C(managed_by)), C(managed_here) (true only there), C(location), C(sku) (V(Standard)), C(capacity),
          C(auto_inflate) and C(maximum_throughput_units) (prod, 4), C(minimum_tls_version) (1.2), C(disable_local_auth)
          (true), C(public_network_access) (V(Disabled)), as M(complianceflow.infra.event_hubs_namespace) takes them.
        - C(event_hubs), the seed's hubs with C(name), C(partition_count) and C(message_retention_in_days) (global
          deployments only; empty elsewhere); C(consumer_group), the deployment's own name for a regional deployment
          (null for a global one).
        - C(access) (V(private_endpoint)) and C(private_endpoint) (C(name), C(group_id) V(namespace), C(subnet) (the
          C(.4) subnet), C(private_dns_zone) C(privatelink.servicebus.windows.net), C(private_dns_zone_link)).
      type: dict
      returned: always
    storage:
      description:
        - The storage account's settings as M(complianceflow.infra.storage_account) takes them (C(sku), C(kind),
          C(minimum_tls_version), C(allow_blob_public_access), C(allow_shared_key_access), C(public_network_access),
          C(https_only), C(blob_service), C(containers)); Standard_GRS in prod and Standard_LRS otherwise, TLS 1.2, no
          public or shared-key access, soft delete and versioning, and the C(audit) container with a time-based
          immutability policy of 2556 days, locked only when C(sizing.storage.lock_audit_container) asks (prod only).
      type: dict
      returned: always
    names:
      description:
        - Resource names, valid under Azure's rules. Strings C(resource_group), C(audit_resource_group), C(virtual_network), C(postgresql_server),
          C(redis_cache), C(key_vault), C(storage_account), C(container_registry), C(log_analytics_workspace),
          C(application_insights), C(event_hubs_namespace), C(container_apps_environment), C(api_management), C(budget),
          C(diagnostic_setting), C(activity_log_diagnostic_setting), C(flow_log).
        - Dicts C(subnets) and C(network_security_groups) (same keys as RV(plan.subnets)), C(private_endpoints) and
          C(private_dns_zone_links) (same keys as RV(plan.private_dns_zones)).
      type: dict
      returned: always
      sample: {resource_group: rg-cf-westeu-prod-1, key_vault: kv-cf-westeu-prod-1-io7q, storage_account: stcfwesteuprod1}
    private_dns_zones:
      description:
        - Private link key (postgresql, redis, storage_blob, key_vault, event_hubs, and container_registry in prod) to its
          private DNS zone name.
        - The PostgreSQL zone is the deployment's own (C(<deployment>.private.postgres.database.azure.com)); the others
          are the C(privatelink.*) zones the deployment's private endpoints need (RV(plan.private_endpoints)).
      type: dict
      returned: always
      sample: {postgresql: westeu-dev-1.private.postgres.database.azure.com, key_vault: privatelink.vaultcore.azure.net}
    private_endpoints:
      description:
        - One private endpoint per PaaS target, as M(complianceflow.infra.private_endpoint) takes them; C(key) (the key of
          RV(plan.private_dns_zones)), C(name), C(target_type), C(target_name), C(target_resource_group), C(group_id), C(subnet)
          (C(<vnet>/<subnet>)), C(private_dns_zone).
        - Key Vault (C(vault)), blob storage (C(blob)), the environment's Event Hubs namespace (C(namespace), in the global
          deployment's group) and, in prod, the container registry (C(registry)) in the storage subnet; Azure Managed
          Redis (C(redisEnterprise)) in the Redis subnet.
      type: list
      elements: dict
      returned: always
      sample: [{key: key_vault, name: pe-cf-westeu-dev-1-kv, target_type: Microsoft.KeyVault/vaults, target_name: kv-cf-westeu-dev-1-5n8o,
                group_id: vault, subnet: vnet-cf-westeu-dev-1/snet-cf-westeu-dev-1-st, private_dns_zone: privatelink.vaultcore.azure.net}]
    tags:
      description: Deployment, Environment, Region, Instance (C(none) for global-*), Application, ManagedBy (Ansible),
        CostCenter, Owner, Ephemeral (C("true") for dev and stg); all values are strings.
      type: dict
      returned: always
    budget:
      description: Monthly C(amount), C(currency) and alert C(thresholds) in percent.
      type: dict
      returned: always
      sample: {amount: 5000, currency: USD, thresholds: [50, 80, 100]}
    features:
      description: Booleans api_management, ddos_protection, backup (true in prod) and bastion (false unless overridden).
      type: dict
      returned: always
    bastion:
      description: Azure Bastion (C(name), C(sku) Basic, C(public_ip_name), C(public_ip_sku) Standard,
        C(public_ip_allocation) Static, C(subnet) C(<vnet>/AzureBastionSubnet), C(subnet_cidr) 10.x.11.0/26).
      type: dict
      returned: when features.bastion is true
    sizing:
      description: C(postgresql) (version, sku_name, tier, storage_mb, storage_size_gb, backup_retention_days,
        geo_redundant_backup, high_availability), C(redis) (sku_name, high_availability), C(log_analytics)
        (retention_in_days) and C(storage) (sku_name, soft_delete_days, lock_audit_container).
      type: dict
      returned: always
    peerings:
      description:
        - One entry per peer of O(overrides.peerings) - C(peer), C(peer_vnet_cidr), C(kind) (same region or cross region),
          C(allow_virtual_network_access), C(allow_forwarded_traffic), C(allow_gateway_transit), C(use_remote_gateways) and
          C(directions), both directions of the peering, each with C(name) (C(peer-<from>-to-<to>)), C(deployment),
          C(resource_group), C(virtual_network), C(vnet_cidr), C(remote_deployment), C(remote_resource_group),
          C(remote_virtual_network), C(remote_vnet_cidr).
      type: list
      elements: dict
      returned: always
    peering_name_prefix:
      description: What the name of every peering of this deployment's VNet that the collection makes starts with.
      type: str
      returned: always
      sample: peer-westeu-prod-1-to-
    databases:
      description: Databases of the deployment's tier.
      type: list
      elements: str
      returned: always
      sample: [user_service, form_service, rule_service, declaration_service, review_service, case_service,
               notification_service, analytics_service]
summary:
  description: The plan as readable lines (what playbooks/plan.yml prints).
  returned: success
  type: list
  elements: str
"""
