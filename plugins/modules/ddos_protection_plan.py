#!/usr/bin/python
# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: ddos_protection_plan
short_description: Manage an Azure DDoS Network Protection plan
version_added: 1.2.0
description:
  - Creates a DDoS protection plan (C(Microsoft.Network/ddosProtectionPlans), api-version 2026-03-01) or updates its
    tags. Virtual networks join a plan through their own settings
    (M(complianceflow.infra.virtual_network) O(complianceflow.infra.virtual_network#module:ddos_protection_plan)); the
    plan lists them (RV(ddos_protection_plan.virtual_networks)).
  - Azure allows one plan per region; a plan costs a fixed monthly fee whether or not a network uses it (README.md).
  - V(absent) deletes the plan only when no virtual network uses it any more; otherwise it is left as it is with a
    warning naming the networks (O(keep_if_in_use)), or the task fails naming them.
options:
  resource_group:
    description: Resource group of the plan.
    type: str
    required: true
  name:
    description: Plan name (1-80 letters, digits, C(_), C(.) and C(-)).
    type: str
    required: true
  location:
    description: Azure location. Required to create the plan; a plan cannot move.
    type: str
  keep_if_in_use:
    description:
      - With O(state=absent), a plan that virtual networks still use is left in place with a warning (V(true)) or the
        task fails naming them (V(false)).
    type: bool
    default: true
  state:
    description: V(present) creates or updates the tags; V(absent) deletes the plan when no virtual network uses it.
extends_documentation_fragment:
  - complianceflow.infra.attributes
  - complianceflow.infra.azure
  - complianceflow.infra.azure.TAGS
  - complianceflow.infra.azure.RESOURCE
author:
  - ComplianceFlow Platform Team (@complianceflow)
"""

EXAMPLES = r"""
- name: The DDoS protection plan of West Europe, shared by its prod networks
  complianceflow.infra.ddos_protection_plan:
    resource_group: rg-cf-prod-westeu-ddos
    name: ddos-cf-prod-westeu
    location: westeurope
    tags: {Environment: prod, Application: ComplianceFlow}

- name: Delete it once no network uses it
  complianceflow.infra.ddos_protection_plan:
    resource_group: rg-cf-prod-westeu-ddos
    name: ddos-cf-prod-westeu
    state: absent
  register: ddos_removed
"""

RETURN = r"""
ddos_protection_plan:
  description: The plan after the task (predicted in check mode); empty once deleted.
  returned: always
  type: dict
  contains:
    id:
      description: Resource id (what a virtual network's ddosProtectionPlan points at).
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
    virtual_networks:
      description: Ids of the virtual networks that use the plan (read-only in Azure).
      type: list
      elements: str
    public_ip_addresses:
      description: How many public IP addresses the plan protects (Azure's fee covers 100).
      type: int
    provisioning_state:
      description: Azure provisioning state.
      type: str
deleted:
  description: Whether the plan is gone after V(absent) (false when networks still use it).
  returned: always
  type: bool
"""

from ansible_collections.complianceflow.infra.plugins.module_utils._azure.ddos_protection_plan import DdosProtectionPlan
from ansible_collections.complianceflow.infra.plugins.module_utils._azure.module import STATE_SPEC, TAGS_SPEC, AzureModule
from ansible_collections.complianceflow.infra.plugins.module_utils._azure.runner import run


def main():
    module = AzureModule(
        argument_spec=dict(
            resource_group={"type": "str", "required": True},
            name={"type": "str", "required": True},
            location={"type": "str"},
            keep_if_in_use={"type": "bool", "default": True},
            **STATE_SPEC,
            **TAGS_SPEC,
        ),
    )
    run(DdosProtectionPlan(module))


if __name__ == "__main__":
    main()
