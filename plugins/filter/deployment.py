# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Filter complianceflow.infra.deployment: thin wrapper over module_utils._deployment.plan.build_plan."""

from __future__ import annotations

DOCUMENTATION = r"""
name: deployment
short_description: The full plan of a ComplianceFlow deployment (names, CIDRs, subnets, tags, budget, sizing, databases)
version_added: 1.0.0
author: ComplianceFlow Platform Team (@complianceflow)
description:
  - Takes a deployment name and returns its plan, the same dict as the C(plan) of M(complianceflow.infra.deployment_info).
  - The VNet CIDR comes from the collection's CIDR registry (C(data/cidr-registry.yml)); a valid name without a registry row
    fails and says how to allocate one.
  - Invalid names and invalid overrides fail with a message naming the bad value and the valid form.
  - The keys of the dict are documented once, in the RETURN of M(complianceflow.infra.deployment_info).
positional: _input
options:
  _input:
    description: The deployment name, for example C(westeu-prod-1) or C(global-dev).
    type: string
    required: true
  overrides:
    description:
      - Inventory overrides, validated and merged; same keys as O(complianceflow.infra.deployment_info#module:overrides).
    type: dict
    default: {}
  registry:
    description: Path of another CIDR registry file (default the collection's C(data/cidr-registry.yml)).
    type: path
"""

EXAMPLES = r"""
- name: Plan of westeu-prod-1
  ansible.builtin.debug:
    msg: "{{ 'westeu-prod-1' | complianceflow.infra.deployment }}"

- name: The database subnet of the current host's deployment
  ansible.builtin.debug:
    msg: "{{ (inventory_hostname | complianceflow.infra.deployment).subnets.database }}"

- name: With overrides from the inventory
  ansible.builtin.set_fact:
    deployment_plan: "{{ inventory_hostname | complianceflow.infra.deployment(overrides=deployment_overrides | default({})) }}"
"""

RETURN = r"""
_value:
  description: The plan dict; see the RETURN value C(plan) of M(complianceflow.infra.deployment_info).
  type: dict
"""

from ansible.errors import AnsibleFilterError

from ansible_collections.complianceflow.infra.plugins.module_utils._deployment.plan import build_plan
from ansible_collections.complianceflow.infra.plugins.module_utils._deployment.naming import DeploymentError


def deployment_filter(name, overrides=None, registry=None):
    try:
        return build_plan(name, overrides=overrides, registry_path=registry)
    except DeploymentError as exc:
        raise AnsibleFilterError(str(exc)) from None


class FilterModule:
    def filters(self):
        return {"deployment": deployment_filter}
