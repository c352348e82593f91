#!/usr/bin/python
# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: managed_redis
short_description: Manage an Azure Managed Redis cache (Microsoft.Cache/redisEnterprise) and its database
version_added: 1.1.0
description:
  - Creates or updates an Azure Managed Redis cluster (C(Microsoft.Cache/redisEnterprise), api-version 2025-07-01) and
    its one database, C(default).
  - Azure Managed Redis replaces Azure Cache for Redis, whose Basic, Standard and Premium tiers retire on 2028-09-30.
    Microsoft's migration guide maps Premium P1 to V(Balanced_B5) and Basic C0 to V(Balanced_B0) without high
    availability.
  - An existing cluster is changed with a PATCH of the options that differ (Azure's PUT would recreate it). Only the
    options given are compared.
  - A new cluster gets TLS 1.2 and no public network access unless told otherwise; a new database gets the documented
    defaults (client protocol V(Encrypted), V(OSSCluster), V(VolatileLRU)), port V(10000) and access keys disabled, so
    clients authenticate with Microsoft Entra ID and there is no key to store.
  - Creating a cluster takes about 15 minutes on Azure. With O(wait=false) the cluster's create is started and the task
    returns with RV(operation); the database is created by the next run of the task once the cluster is there (after
    M(complianceflow.infra.operation_wait)).
options:
  resource_group:
    description: Resource group of the cache.
    type: str
    required: true
  name:
    description: Cache name (1-60 letters, digits and hyphens; no hyphen at either end, none doubled). Globally unique, as
      its host name is C(<name>.<region>.redis.azure.net).
    type: str
    required: true
  location:
    description: Azure location. Required to create the cache; a cache cannot move.
    type: str
  sku_name:
    description:
      - Performance tier and memory size, for example V(Balanced_B0) (0.5 GB), V(Balanced_B1), V(Balanced_B5) (6 GB).
        Required to create the cache.
      - Azure Managed Redis SKUs only (Balanced, MemoryOptimized, ComputeOptimized, FlashOptimized); the Enterprise and
        EnterpriseFlash tiers of Azure Cache for Redis Enterprise are not offered (they retire on 2027-03-31).
    type: str
  high_availability:
    description: V(Enabled) (the default on Azure) replicates the data and is zone redundant where the region has zones;
      V(Disabled) halves the cost, has no SLA and can lose data during maintenance (dev/test).
    type: str
    choices: [Enabled, Disabled]
  minimum_tls_version:
    description: Oldest TLS version clients may use. A new cache gets V(1.2) (TLS 1.0 and 1.1 cannot be used).
    type: str
    choices: ["1.2"]
  public_network_access:
    description: Whether the cache answers on its public endpoint. A new cache gets V(Disabled) (reach it through a private
      endpoint, group C(redisEnterprise)).
    type: str
    choices: [Enabled, Disabled]
  client_protocol:
    description: The database's protocol. A new database gets V(Encrypted) (TLS); a cache takes one mode at a time.
    type: str
    choices: [Encrypted, Plaintext]
  port:
    description: The database's TCP port, set when the database is created (a new one gets V(10000)); it cannot change.
    type: int
  clustering_policy:
    description: The database's clustering policy; a new database gets V(OSSCluster). Only V(NoCluster) can be changed later.
    type: str
    choices: [EnterpriseCluster, OSSCluster, NoCluster]
  eviction_policy:
    description: What Redis evicts when memory is full; a new database gets V(VolatileLRU).
    type: str
    choices: [AllKeysLFU, AllKeysLRU, AllKeysRandom, VolatileLRU, VolatileLFU, VolatileTTL, VolatileRandom, NoEviction]
  access_keys_authentication:
    description: Whether clients may use the database's access keys. A new database gets V(Disabled) (Microsoft Entra ID only).
    type: str
    choices: [Disabled, Enabled]
  state:
    description: V(present) creates or updates; V(absent) deletes the cache with its database.
extends_documentation_fragment:
  - complianceflow.infra.attributes
  - complianceflow.infra.azure
  - complianceflow.infra.azure.TAGS
  - complianceflow.infra.azure.RESOURCE
  - complianceflow.infra.azure.WAIT
attributes:
  diff_mode:
    details: Shows before and after of the cluster and database options given (all of them when the cache is created).
author:
  - ComplianceFlow Platform Team (@complianceflow)
"""

EXAMPLES = r"""
- name: Azure Managed Redis of westeu-prod-1 (Premium P1 maps to Balanced_B5), reachable only through its private endpoint
  complianceflow.infra.managed_redis:
    resource_group: rg-cf-westeu-prod-1
    name: redis-cf-westeu-prod-1
    location: westeurope
    sku_name: Balanced_B5
    high_availability: Enabled
    minimum_tls_version: "1.2"
    public_network_access: Disabled
    client_protocol: Encrypted
    access_keys_authentication: Disabled
    tags: {Deployment: westeu-prod-1}

- name: Start the create of a dev cache (no high availability) and go on
  complianceflow.infra.managed_redis:
    resource_group: rg-cf-westeu-dev-1
    name: redis-cf-westeu-dev-1
    location: westeurope
    sku_name: Balanced_B0
    high_availability: Disabled
    wait: false
  register: redis_started

- name: Wait for it later
  complianceflow.infra.operation_wait:
    operations: ["{{ redis_started }}"]
"""

RETURN = r"""
managed_redis:
  description: The cache after the task (predicted in check mode); only its C(id) after V(absent) deleted it.
  returned: always
  type: dict
  contains:
    id:
      description: Resource id (what the private endpoint connects to, group C(redisEnterprise)).
      type: str
    name:
      description: Name.
      type: str
    location:
      description: Azure location.
      type: str
    sku_name:
      description: SKU.
      type: str
    high_availability:
      description: V(Enabled) or V(Disabled).
      type: str
    minimum_tls_version:
      description: Oldest TLS version accepted.
      type: str
    public_network_access:
      description: V(Enabled) or V(Disabled).
      type: str
    host_name:
      description: Host name clients connect to (C(<name>.<region>.redis.azure.net)).
      type: str
    redis_version:
      description: Redis version.
      type: str
    tags:
      description: Tags.
      type: dict
    provisioning_state:
      description: Azure provisioning state.
      type: str
    resource_state:
      description: Azure resource state (V(Running) when ready).
      type: str
database:
  description: The cache's database C(default) (predicted in check mode); empty when it does not exist yet or after V(absent).
  returned: always
  type: dict
  sample: {name: default, client_protocol: Encrypted, port: 10000, clustering_policy: OSSCluster,
           eviction_policy: VolatileLRU, access_keys_authentication: Disabled, provisioning_state: Succeeded}
operation:
  description:
    - With O(wait=false), the long-running create or update of the cluster that was started, to pass to
      M(complianceflow.infra.operation_wait). It holds ARM's polling URLs and the resource id, never a secret.
  returned: when O(wait=false) and Azure runs the write as a long-running operation
  type: dict
"""

from ansible_collections.complianceflow.infra.plugins.module_utils._azure.managed_redis import CHOICES, ManagedRedis
from ansible_collections.complianceflow.infra.plugins.module_utils._azure.module import STATE_SPEC, TAGS_SPEC, WAIT_SPEC, AzureModule
from ansible_collections.complianceflow.infra.plugins.module_utils._azure.runner import run


def main():
    module = AzureModule(
        argument_spec=dict(
            resource_group={"type": "str", "required": True},
            name={"type": "str", "required": True},
            location={"type": "str"},
            sku_name={"type": "str"},
            port={"type": "int"},
            **{key: {"type": "str", "choices": list(values)} for key, values in CHOICES.items()},
            **STATE_SPEC,
            **TAGS_SPEC,
            **WAIT_SPEC,
        ),
    )
    run(ManagedRedis(module))


if __name__ == "__main__":
    main()
