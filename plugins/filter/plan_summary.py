# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Filter complianceflow.infra.plan_summary: a deployment plan as readable lines."""

from __future__ import annotations

DOCUMENTATION = r"""
name: plan_summary
short_description: A ComplianceFlow deployment plan as readable lines
version_added: 1.0.0
author: ComplianceFlow Platform Team (@complianceflow)
description:
  - Turns the plan dict of M(complianceflow.infra.deployment_info) or the P(complianceflow.infra.deployment#filter) filter
    into a list of lines (names, CIDRs, subnets, tags, budget, sizing, databases), as printed by C(playbooks/plan.yml).
positional: _input
options:
  _input:
    description: A plan dict.
    type: dict
    required: true
"""

EXAMPLES = r"""
- name: Print the plan of westeu-prod-1
  ansible.builtin.debug:
    msg: "{{ 'westeu-prod-1' | complianceflow.infra.deployment | complianceflow.infra.plan_summary }}"
"""

RETURN = r"""
_value:
  description: One line per item of the plan.
  type: list
  elements: string
  sample:
    - "westeu-prod-1: regional prod, instance 1 in West Europe (westeurope), registry status Reserved"
    - "vnet            vnet-cf-westeu-prod-1  10.30.0.0/16"
"""

from ansible.errors import AnsibleFilterError

from ansible_collections.complianceflow.infra.plugins.module_utils._deployment.plan import plan_summary
from ansible_collections.complianceflow.infra.plugins.module_utils._deployment.naming import DeploymentError


def plan_summary_filter(plan):
    try:
        return plan_summary(plan)
    except (DeploymentError, KeyError, TypeError) as exc:
        raise AnsibleFilterError(f"plan_summary: not a complete deployment plan ({exc})") from None


class FilterModule:
    def filters(self):
        return {"plan_summary": plan_summary_filter}
