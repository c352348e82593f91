#!/usr/bin/python
# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: network_security_group
short_description: Manage an Azure network security group and its rules
version_added: 1.0.0
description:
  - Creates or updates a network security group with its security rules in one PUT, or deletes it.
  - Rules that exist in Azure but are not listed are kept unless O(purge_rules=true). Azure's default rules
    (AllowVnetInBound, DenyAllInBound at 65500 ...) are not part of O(rules) and are never changed.
  - Rule names, priorities, protocols, ports and address prefixes are checked before any call to Azure.
options:
  resource_group:
    description: Resource group of the network security group.
    type: str
    required: true
  name:
    description: Name of the network security group.
    type: str
    required: true
  location:
    description: Azure location. Required to create the group.
    type: str
  rules:
    description:
      - Security rules. A listed rule is compared in full (unset fields take their defaults). Left alone when omitted.
    type: list
    elements: dict
    suboptions:
      name:
        description: Name of the rule.
        type: str
        required: true
      priority:
        description: 100 (first) to 4096; unique per direction.
        type: int
        required: true
      direction:
        description: Traffic direction.
        type: str
        choices: [Inbound, Outbound]
        default: Inbound
      access:
        description: Allow or deny matching traffic.
        type: str
        choices: [Allow, Deny]
        default: Allow
      protocol:
        description: Protocol; V(*) is any.
        type: str
        choices: [Tcp, Udp, Icmp, Esp, Ah, '*']
        default: '*'
      source_address_prefixes:
        description: Source CIDR blocks, IP addresses or service tags (V(VirtualNetwork), V(AzureLoadBalancer), V(Internet) ...).
        type: list
        elements: str
        default: ['*']
      source_port_ranges:
        description: Source ports or ranges (V(1024-65535)).
        type: list
        elements: str
        default: ['*']
      destination_address_prefixes:
        description: Destination CIDR blocks, IP addresses or service tags.
        type: list
        elements: str
        default: ['*']
      destination_port_ranges:
        description: Destination ports or ranges, for example V(5432) or V(6379-6380).
        type: list
        elements: str
        default: ['*']
      description:
        description: Free text, at most 140 characters. Compared only when set.
        type: str
  purge_rules:
    description: Remove rules that exist in Azure but are not listed in O(rules).
    type: bool
    default: false
  state:
    description: V(present) creates or updates; V(absent) deletes the group (Azure refuses while a subnet uses it).
extends_documentation_fragment:
  - complianceflow.infra.attributes
  - complianceflow.infra.azure
  - complianceflow.infra.azure.TAGS
  - complianceflow.infra.azure.RESOURCE
  - complianceflow.infra.azure.WAIT
attributes:
  diff_mode:
    details: Shows before and after of the listed rules, of rules O(purge_rules) removes, and of tags.
author:
  - ComplianceFlow Platform Team (@complianceflow)
"""

EXAMPLES = r"""
- name: Database tier accepts PostgreSQL from the container apps subnet only
  complianceflow.infra.network_security_group:
    resource_group: rg-cf-westeu-dev-1
    name: nsg-cf-westeu-dev-1-db
    location: westeurope
    purge_rules: true
    rules:
      - name: allow-postgresql-from-apps
        priority: 100
        protocol: Tcp
        source_address_prefixes: [10.10.1.0/24]
        destination_address_prefixes: [10.10.2.0/24]
        destination_port_ranges: ['5432']
      - name: deny-all-inbound
        priority: 4096
        access: Deny
"""

RETURN = r"""
operation:
  description:
    - With O(wait=false), the long-running create or update of the group that was started, to pass to
      M(complianceflow.infra.operation_wait). It holds ARM's polling URLs and the resource id, never a secret.
  returned: when O(wait=false) and Azure runs the write as a long-running operation
  type: dict
network_security_group:
  description: The group after the task (predicted in check mode); only its C(id) after V(absent) deleted it.
  returned: always
  type: dict
  contains:
    id:
      description: Resource id.
      type: str
    name:
      description: Name.
      type: str
    location:
      description: Azure location.
      type: str
    tags:
      description: Tags.
      type: dict
    rules:
      description: Security rules, sorted by direction and priority, with list fields normalised and sorted.
      type: list
      elements: dict
      sample:
        - name: deny-all-inbound
          priority: 4096
          direction: Inbound
          access: Deny
          protocol: '*'
          source_address_prefixes: ['*']
          source_port_ranges: ['*']
          destination_address_prefixes: ['*']
          destination_port_ranges: ['*']
          description: null
    subnets:
      description: Ids of the subnets that use the group.
      type: list
      elements: str
    provisioning_state:
      description: Azure provisioning state.
      type: str
"""

from ansible_collections.complianceflow.infra.plugins.module_utils._azure.module import STATE_SPEC, TAGS_SPEC, WAIT_SPEC, AzureModule
from ansible_collections.complianceflow.infra.plugins.module_utils._azure.network_security_group import NetworkSecurityGroup
from ansible_collections.complianceflow.infra.plugins.module_utils._azure.runner import run

RULE_SPEC = dict(
    name={"type": "str", "required": True},
    priority={"type": "int", "required": True},
    direction={"type": "str", "default": "Inbound", "choices": ["Inbound", "Outbound"]},
    access={"type": "str", "default": "Allow", "choices": ["Allow", "Deny"]},
    protocol={"type": "str", "default": "*", "choices": ["Tcp", "Udp", "Icmp", "Esp", "Ah", "*"]},
    source_address_prefixes={"type": "list", "elements": "str", "default": ["*"]},
    source_port_ranges={"type": "list", "elements": "str", "default": ["*"]},
    destination_address_prefixes={"type": "list", "elements": "str", "default": ["*"]},
    destination_port_ranges={"type": "list", "elements": "str", "default": ["*"]},
    description={"type": "str"},
)


def main():
    module = AzureModule(
        argument_spec=dict(
            resource_group={"type": "str", "required": True},
            name={"type": "str", "required": True},
            location={"type": "str"},
            rules={"type": "list", "elements": "dict", "options": RULE_SPEC},
            purge_rules={"type": "bool", "default": False},
            **WAIT_SPEC,
            **STATE_SPEC,
            **TAGS_SPEC,
        ),
    )
    run(NetworkSecurityGroup(module))


if __name__ == "__main__":
    main()
