#!/usr/bin/python
# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: public_ip_address
short_description: Manage an Azure public IP address
version_added: 1.1.0
description:
  - Creates or updates a public IP address (C(Microsoft.Network/publicIPAddresses), api-version 2026-03-01), for example
    the one an Azure Bastion host needs (Standard SKU, Static allocation).
  - Only the options given are compared. A new address is V(Standard), V(Regional), V(Static) and V(IPv4) unless told
    otherwise. O(sku), O(tier), O(ip_version) and O(zones) are set at creation; a different value for an existing
    address is refused before any write (the address would have to be deleted, and its IP would change).
  - Basic SKU public IPs were retired on 30 September 2025 and are refused before any call; a Standard address is always
    V(Static).
  - A change is a PUT of the whole address; it keeps what this module does not manage (DNS label, DDoS settings, IP
    tags, prefix, NAT gateway, delete option) as the address has it.
options:
  resource_group:
    description: Resource group of the address.
    type: str
    required: true
  name:
    description: Name (1-80 letters, digits, underscores, periods and hyphens; starts with a letter or digit, ends with a
      letter, digit or underscore).
    type: str
    required: true
  location:
    description: Azure location. Required to create the address; an address cannot move.
    type: str
  sku:
    description: SKU. A new address gets V(Standard) when omitted.
    type: str
    choices: [Standard, StandardV2]
  tier:
    description: V(Regional) (the default for a new address) or V(Global) (cross-region load balancers).
    type: str
    choices: [Regional, Global]
  allocation_method:
    description: V(Static) (the default). V(Dynamic) belonged to the retired Basic SKU and is refused.
    type: str
    choices: [Static, Dynamic]
  ip_version:
    description: V(IPv4) (the default for a new address) or V(IPv6).
    type: str
    choices: [IPv4, IPv6]
  idle_timeout_in_minutes:
    description: TCP idle timeout, 4-30 minutes.
    type: int
  zones:
    description: Availability zones (V(1), V(2), V(3)) of the address; set at creation.
    type: list
    elements: str
  state:
    description: V(present) creates or updates; V(absent) deletes the address (Azure refuses while a resource uses it).
extends_documentation_fragment:
  - complianceflow.infra.attributes
  - complianceflow.infra.azure
  - complianceflow.infra.azure.TAGS
  - complianceflow.infra.azure.RESOURCE
author:
  - ComplianceFlow Platform Team (@complianceflow)
"""

EXAMPLES = r"""
- name: Public IP of the Bastion host of westeu-dev-1
  complianceflow.infra.public_ip_address:
    resource_group: rg-cf-westeu-dev-1
    name: pip-cf-westeu-dev-1-bastion
    location: westeurope
    sku: Standard
    allocation_method: Static
    tags: {Deployment: westeu-dev-1}
"""

RETURN = r"""
public_ip_address:
  description: The address after the task (predicted in check mode); only its C(id) after V(absent) deleted it.
  returned: always
  type: dict
  contains:
    id:
      description: Resource id (what a Bastion host's IP configuration references).
      type: str
    name:
      description: Name.
      type: str
    location:
      description: Azure location.
      type: str
    ip_address:
      description: The public IP Azure assigned (not known in check mode before the address exists).
      type: str
    sku:
      description: SKU name.
      type: str
    tier:
      description: SKU tier.
      type: str
    allocation_method:
      description: V(Static) or V(Dynamic).
      type: str
    ip_version:
      description: V(IPv4) or V(IPv6).
      type: str
    idle_timeout_in_minutes:
      description: TCP idle timeout.
      type: int
    zones:
      description: Availability zones.
      type: list
      elements: str
    ip_configuration_id:
      description: Id of the IP configuration that uses the address (a Bastion host's), if any.
      type: str
    tags:
      description: Tags.
      type: dict
    provisioning_state:
      description: Azure provisioning state.
      type: str
"""

from ansible_collections.complianceflow.infra.plugins.module_utils._azure.module import STATE_SPEC, TAGS_SPEC, AzureModule
from ansible_collections.complianceflow.infra.plugins.module_utils._azure.public_ip_address import PublicIpAddress
from ansible_collections.complianceflow.infra.plugins.module_utils._azure.runner import run


def main():
    module = AzureModule(
        argument_spec=dict(
            resource_group={"type": "str", "required": True},
            name={"type": "str", "required": True},
            location={"type": "str"},
            sku={"type": "str", "choices": ["Standard", "StandardV2"]},
            tier={"type": "str", "choices": ["Regional", "Global"]},
            allocation_method={"type": "str", "choices": ["Static", "Dynamic"]},
            ip_version={"type": "str", "choices": ["IPv4", "IPv6"]},
            idle_timeout_in_minutes={"type": "int"},
            zones={"type": "list", "elements": "str"},
            **STATE_SPEC,
            **TAGS_SPEC,
        ),
    )
    run(PublicIpAddress(module))


if __name__ == "__main__":
    main()
