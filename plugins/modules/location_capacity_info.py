#!/usr/bin/python
# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: location_capacity_info
short_description: Check that an Azure location offers a deployment's PostgreSQL size and has quota left for it
version_added: 1.1.0
description:
  - Reads, for one location of the subscription, what a deployment would need before it creates anything; writes nothing.
  - With O(postgresql), whether Azure Database for PostgreSQL flexible server offers the size, tier, version,
    high availability mode and geo-redundant backup there for this subscription (the location's capabilities), and
    whether the subscription's vCore quota for flexible servers there (the regional C(cores) row and the size's family
    row) has room for O(postgresql.servers) more servers of that size.
  - With O(network), whether the subscription's network usages there (C(VirtualNetworks), C(NetworkSecurityGroups))
    have room for the virtual networks and network security groups the deployment creates.
  - Every shortfall is one line of RV(problems), with what to do; nothing fails the task but an Azure error.
  - Which quota family row a size counts against is inferred from its name (C(Standard_D4s_v3) counts against
    C(standardDSv3Family)); when Azure lists no such row, only the regional total is checked (RV(notes) says so).
    Only the primary server's vCores are counted; whether a high-availability standby counts as well is not known here.
options:
  location:
    description: Azure location, for example V(westeurope).
    type: str
    required: true
  postgresql:
    description: The flexible server the deployment creates there.
    type: dict
    suboptions:
      sku_name:
        description: Size, in Azure's form (V(Standard_D4s_v3)) or Terraform's (V(GP_Standard_D4s_v3)).
        type: str
        required: true
      tier:
        description: V(Burstable), V(GeneralPurpose) or V(MemoryOptimized); omitted, the size's.
        type: str
      version:
        description: Major PostgreSQL version, for example V(15).
        type: str
      high_availability:
        description: High availability mode.
        type: str
        choices: [Disabled, SameZone, ZoneRedundant]
        default: Disabled
      geo_redundant_backup:
        description: Whether geo-redundant backup is wanted.
        type: bool
        default: false
      servers:
        description: How many such servers are still to be created (their vCores must fit the quota); V(0) checks the offer only.
        type: int
        default: 1
  network:
    description: What the deployment still creates of the network there.
    type: dict
    suboptions:
      virtual_networks:
        description: Virtual networks to create.
        type: int
        default: 0
      network_security_groups:
        description: Network security groups to create.
        type: int
        default: 0
extends_documentation_fragment:
  - complianceflow.infra.attributes
  - complianceflow.infra.attributes.INFO_MODULE
  - complianceflow.infra.azure
seealso:
  - name: Resolve capacity errors for Azure Database for PostgreSQL
    description: Quota increase and restricted regions.
    link: https://learn.microsoft.com/azure/postgresql/flexible-server/how-to-resolve-capacity-errors
author:
  - ComplianceFlow Platform Team (@complianceflow)
"""

EXAMPLES = r"""
- name: Can westeurope take the prod sizing?
  complianceflow.infra.location_capacity_info:
    location: westeurope
    postgresql:
      sku_name: GP_Standard_D4s_v3
      version: "15"
      high_availability: ZoneRedundant
      geo_redundant_backup: true
    network:
      virtual_networks: 1
      network_security_groups: 6
  register: capacity

- name: Stop when it cannot
  ansible.builtin.fail:
    msg: "{{ capacity.problems | join('; ') }}"
  when: capacity.problems | length > 0
"""

RETURN = r"""
exists:
  description: Whether Azure answered for the location (V(false) only when it answers 404).
  returned: always
  type: bool
location:
  description: The location, as Azure names it in paths (V(westeurope)).
  returned: always
  type: str
postgresql:
  description: What the location offers of O(postgresql); an empty dict without O(postgresql).
  returned: always
  type: dict
  contains:
    offered:
      description: Whether the size is offered in its tier there.
      type: bool
    sku:
      description: The size as offered (C(name), C(tier), C(v_cores), C(supported_ha_modes)); empty when it is not.
      type: dict
    tier_skus:
      description: The sizes offered in the tier there.
      type: list
      elements: str
    versions:
      description: The major versions offered there.
      type: list
      elements: str
usages:
  description: The usage rows read (network rows, and the flexible server rows the size counts against).
  returned: always
  type: list
  elements: dict
  contains:
    provider:
      description: V(Microsoft.Network) or V(Microsoft.DBforPostgreSQL).
      type: str
    name:
      description: Row name, for example V(VirtualNetworks), V(cores), V(standardDSv3Family).
      type: str
    current:
      description: In use.
      type: int
    limit:
      description: The subscription's limit in the location.
      type: int
    needed:
      description: What the deployment adds (only on the rows it needs).
      type: int
problems:
  description: Every shortfall found, each with what to do. Empty when the location can take the deployment.
  returned: always
  type: list
  elements: str
notes:
  description: What could not be checked, and why.
  returned: always
  type: list
  elements: str
"""

from ansible_collections.complianceflow.infra.plugins.module_utils._azure.location_capacity import LocationCapacity
from ansible_collections.complianceflow.infra.plugins.module_utils._azure.module import AzureModule
from ansible_collections.complianceflow.infra.plugins.module_utils._azure.postgresql import HA_MODES
from ansible_collections.complianceflow.infra.plugins.module_utils._azure.runner import inspect


def main():
    module = AzureModule(argument_spec=dict(
        location={"type": "str", "required": True},
        postgresql={"type": "dict", "options": {
            "sku_name": {"type": "str", "required": True}, "tier": {"type": "str"}, "version": {"type": "str"},
            "high_availability": {"type": "str", "choices": list(HA_MODES), "default": "Disabled"},
            "geo_redundant_backup": {"type": "bool", "default": False}, "servers": {"type": "int", "default": 1}}},
        network={"type": "dict", "options": {"virtual_networks": {"type": "int", "default": 0},
                                             "network_security_groups": {"type": "int", "default": 0}}},
    ))
    inspect(LocationCapacity(module))


if __name__ == "__main__":
    main()
