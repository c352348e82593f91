#!/usr/bin/python
# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: log_analytics_workspace
short_description: Manage a Log Analytics workspace and the retention of its tables
version_added: 1.1.0
description:
  - Creates or updates a Log Analytics workspace (C(Microsoft.OperationalInsights/workspaces)) and sets the retention of
    the tables it lists (the Analytics retention (O(tables[].retention_in_days), at most two years) and the total
    retention (O(tables[].total_retention_in_days)), which keeps data beyond that, for example 2556 days (7 years) for
    audit evidence).
  - Only the options given are compared; tables not listed are left alone.
  - A total retention beyond 730 days is a whole number of years (1095, 1460, 1826, 2191, 2556 ... 4383); anything else
    is refused before any call.
options:
  resource_group:
    description: Resource group of the workspace.
    type: str
    required: true
  name:
    description: Workspace name (4-63 letters, digits and hyphens).
    type: str
    required: true
  location:
    description: Azure location. Required to create the workspace; a workspace cannot move.
    type: str
  sku:
    description:
      - Pricing tier. A new workspace gets V(PerGB2018) (pay as you go) when omitted.
      - V(Free), V(Standard) and V(Premium) are retired tiers that Azure refuses on a create or an update; they are
        refused before any call. V(Standalone) and V(PerNode) are offered only to subscriptions that had a workspace
        before April 2018 (Azure's legacy pricing tiers).
    type: str
    choices: [PerGB2018, CapacityReservation, Free, Standalone, PerNode, Standard, Premium, LACluster]
  retention_in_days:
    description: The workspace's default Analytics retention (30-730 days) for tables without their own.
    type: int
  local_authentication_disabled:
    description: Refuse ingestion with the workspace's shared keys (Microsoft Entra authentication only).
    type: bool
  public_network_access_for_ingestion:
    description: Whether ingestion over the public endpoint is allowed.
    type: str
    choices: [Enabled, Disabled, SecuredByPerimeter]
  public_network_access_for_query:
    description: Whether queries over the public endpoint are allowed.
    type: str
    choices: [Enabled, Disabled, SecuredByPerimeter]
  tables:
    description: Retention of named tables (built-in tables such as C(AzureActivity) exist in every workspace).
    type: list
    elements: dict
    suboptions:
      name:
        description: Table name.
        type: str
        required: true
      retention_in_days:
        description: Analytics retention, 4-730 days.
        type: int
      total_retention_in_days:
        description: Total retention (Analytics plus long-term), 4-730 days or whole years up to 4383.
        type: int
  state:
    description: V(present) creates or updates; V(absent) deletes the workspace (Azure keeps its name for 14 days).
extends_documentation_fragment:
  - complianceflow.infra.attributes
  - complianceflow.infra.azure
  - complianceflow.infra.azure.TAGS
  - complianceflow.infra.azure.RESOURCE
author:
  - ComplianceFlow Platform Team (@complianceflow)
"""

EXAMPLES = r"""
- name: Workspace of westeu-dev-1, audit tables kept 7 years
  complianceflow.infra.log_analytics_workspace:
    resource_group: rg-cf-westeu-dev-1
    name: log-cf-westeu-dev-1
    location: westeurope
    retention_in_days: 30
    local_authentication_disabled: true
    tables:
      - {name: AzureActivity, total_retention_in_days: 2556}
      - {name: AZKVAuditLogs, total_retention_in_days: 2556}
    tags: {Deployment: westeu-dev-1}
"""

RETURN = r"""
workspace:
  description: The workspace after the task (predicted in check mode); only its C(id) after V(absent) deleted it.
  returned: always
  type: dict
  contains:
    id:
      description: Resource id (what diagnostic settings send logs to).
      type: str
    name:
      description: Name.
      type: str
    location:
      description: Azure location.
      type: str
    customer_id:
      description: The workspace id agents and queries use.
      type: str
    sku:
      description: Pricing tier.
      type: str
    retention_in_days:
      description: Default Analytics retention.
      type: int
    local_authentication_disabled:
      description: Whether shared-key ingestion is refused.
      type: bool
    public_network_access_for_ingestion:
      description: Public ingestion.
      type: str
    public_network_access_for_query:
      description: Public queries.
      type: str
    tags:
      description: Tags.
      type: dict
    provisioning_state:
      description: Azure provisioning state.
      type: str
tables:
  description: The listed tables with their retention (predicted in check mode).
  returned: always
  type: list
  elements: dict
  sample: [{name: AzureActivity, retention_in_days: 30, total_retention_in_days: 2556, plan: Analytics}]
"""

from ansible_collections.complianceflow.infra.plugins.module_utils._azure.log_analytics_workspace import LogAnalyticsWorkspace
from ansible_collections.complianceflow.infra.plugins.module_utils._azure.module import STATE_SPEC, TAGS_SPEC, AzureModule
from ansible_collections.complianceflow.infra.plugins.module_utils._azure.runner import run

ACCESS = ["Enabled", "Disabled", "SecuredByPerimeter"]
TABLE_SPEC = dict(name={"type": "str", "required": True}, retention_in_days={"type": "int"}, total_retention_in_days={"type": "int"})


def main():
    module = AzureModule(
        argument_spec=dict(
            resource_group={"type": "str", "required": True},
            name={"type": "str", "required": True},
            location={"type": "str"},
            sku={"type": "str", "choices": ["PerGB2018", "CapacityReservation", "Free", "Standalone", "PerNode", "Standard",
                                            "Premium", "LACluster"]},
            retention_in_days={"type": "int"},
            local_authentication_disabled={"type": "bool"},
            public_network_access_for_ingestion={"type": "str", "choices": ACCESS},
            public_network_access_for_query={"type": "str", "choices": ACCESS},
            tables={"type": "list", "elements": "dict", "options": TABLE_SPEC},
            **STATE_SPEC,
            **TAGS_SPEC,
        ),
    )
    run(LogAnalyticsWorkspace(module))


if __name__ == "__main__":
    main()
