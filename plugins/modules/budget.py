#!/usr/bin/python
# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: budget
short_description: Manage a cost budget of a resource group with its alerts
version_added: 1.2.0
description:
  - Creates or updates a Cost Management budget (C(Microsoft.Consumption/budgets), api-version 2026-06-01) at the scope
    of a resource group, category C(Cost), with one notification per threshold (operator C(GreaterThan)), sent to the
    contact e-mails and/or action groups given.
  - A new budget starts on the first day of the current month (UTC) unless O(start_date) says otherwise. An existing
    budget keeps its start date (Azure does not change a budget's start date in place), so a run in a later month
    changes nothing.
  - Refused before any call, naming the value and what is valid; a start date that is not the first of a month, more
    than five notifications, a threshold outside 0-1000 %, more than 50 e-mails or action groups, a contact that is
    not an e-mail address or an action group id, notifications without any contact.
  - A change is a PUT of the whole budget; it keeps a filter set elsewhere (a budget narrowed to some resources
    stays narrowed).
options:
  resource_group:
    description: The resource group whose costs the budget tracks (its scope).
    type: str
    required: true
  name:
    description: Budget name (1-63 letters, digits, C(_) and C(-)).
    type: str
    required: true
  amount:
    description: The amount per time grain, in the billing currency. Required to create the budget.
    type: float
  time_grain:
    description: The period after which the tracked amount starts again.
    type: str
    choices: [Monthly, Quarterly, Annually]
    default: Monthly
  start_date:
    description:
      - First day of the budget (C(YYYY-MM-DD), the first of a month). Default for a new budget, the first of the
        current month (UTC). Only used on create; a different value for an existing budget is refused.
    type: str
  end_date:
    description: Last day of the budget (C(YYYY-MM-DD)). Azure's default is ten years after the start.
    type: str
  thresholds:
    description: Percentages of the amount that send an alert when the actual cost exceeds them.
    type: list
    elements: float
    default: [50, 80, 100]
  forecast_thresholds:
    description: Percentages of the amount that send an alert when the forecast cost exceeds them (none by default).
    type: list
    elements: float
    default: []
  contact_emails:
    description: E-mail addresses the alerts go to (at most 50).
    type: list
    elements: str
    default: []
  contact_groups:
    description: Ids of Azure Monitor action groups the alerts go to (at most 50).
    type: list
    elements: str
    default: []
  state:
    description: V(present) creates or updates; V(absent) deletes the budget.
extends_documentation_fragment:
  - complianceflow.infra.attributes
  - complianceflow.infra.azure
  - complianceflow.infra.azure.RESOURCE
author:
  - ComplianceFlow Platform Team (@complianceflow)
"""

EXAMPLES = r"""
- name: Monthly budget of westeu-dev-1 with alerts at 50, 80 and 100 %
  complianceflow.infra.budget:
    resource_group: rg-cf-westeu-dev-1
    name: budget-cf-westeu-dev-1
    amount: 200
    thresholds: [50, 80, 100]
    contact_emails: [platform-team@complianceflow.example]

- name: The same, with a forecast alert and an action group
  complianceflow.infra.budget:
    resource_group: rg-cf-westeu-prod-1
    name: budget-cf-westeu-prod-1
    amount: 5000
    forecast_thresholds: [100]
    contact_groups:
      - /subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/rg-ops/providers/Microsoft.Insights/actionGroups/ag-platform
"""

RETURN = r"""
budget:
  description: The budget after the task (predicted in check mode); only its C(id) after V(absent) deleted it.
  returned: always
  type: dict
  contains:
    id:
      description: Resource id.
      type: str
    name:
      description: Name.
      type: str
    category:
      description: Always C(Cost).
      type: str
    amount:
      description: Amount per time grain.
      type: float
    time_grain:
      description: Time grain.
      type: str
    start_date:
      description: First day (YYYY-MM-DD).
      type: str
    end_date:
      description: Last day (YYYY-MM-DD), when Azure reports one.
      type: str
    thresholds:
      description: Actual-cost alert thresholds (percent).
      type: list
      elements: float
    forecast_thresholds:
      description: Forecast-cost alert thresholds (percent).
      type: list
      elements: float
    contact_emails:
      description: E-mail contacts of the alerts.
      type: list
      elements: str
    contact_groups:
      description: Action group ids of the alerts.
      type: list
      elements: str
    current_spend:
      description: The cost tracked so far in the current period, as Azure reports it.
      type: float
  sample:
    name: budget-cf-westeu-dev-1
    amount: 200
    time_grain: Monthly
    start_date: "2026-12-01"
    thresholds: [50, 80, 100]
"""

from ansible_collections.complianceflow.infra.plugins.module_utils._azure.budget import Budget
from ansible_collections.complianceflow.infra.plugins.module_utils._azure.module import STATE_SPEC, AzureModule
from ansible_collections.complianceflow.infra.plugins.module_utils._azure.runner import run


def main():
    module = AzureModule(
        argument_spec=dict(
            resource_group={"type": "str", "required": True},
            name={"type": "str", "required": True},
            amount={"type": "float"},
            time_grain={"type": "str", "choices": ["Monthly", "Quarterly", "Annually"], "default": "Monthly"},
            start_date={"type": "str"},
            end_date={"type": "str"},
            thresholds={"type": "list", "elements": "float", "default": [50, 80, 100]},
            forecast_thresholds={"type": "list", "elements": "float", "default": []},
            contact_emails={"type": "list", "elements": "str", "default": []},
            contact_groups={"type": "list", "elements": "str", "default": []},
            **STATE_SPEC,
        ),
    )
    run(Budget(module))


if __name__ == "__main__":
    main()
