#!/usr/bin/python
# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: diagnostic_setting
short_description: Send a resource's logs, or a subscription's activity log, to Log Analytics or Storage
version_added: 1.1.0
description:
  - Creates, updates or deletes an Azure Monitor diagnostic setting (C(Microsoft.Insights/diagnosticSettings)) of a
    resource (O(scope) is its id, for example a Key Vault or a PostgreSQL flexible server) or of a subscription
    (O(scope) is C(/subscriptions/<id>), for the activity log).
  - Only the options given are compared; the setting is written whole (Azure has no PATCH for it), with what exists kept
    for the options not given.
  - Azure allows at most five diagnostic settings per resource or subscription, and refuses a second setting that sends
    the same category to the same destination.
  - Category names are the resource type's own (Key Vault C(AuditEvent); PostgreSQL flexible server C(PostgreSQLLogs),
    which carries the pgaudit records; the activity log C(Administrative), C(Security), C(ServiceHealth), C(Alert),
    C(Recommendation), C(Policy), C(Autoscale), C(ResourceHealth)). Unknown activity log categories are refused before any
    call; a resource's categories are checked by Azure.
  - Uses api-version C(2021-05-01-preview), the newest Azure publishes for this type (there is no stable version).
options:
  scope:
    description:
      - The id of the resource whose logs are sent, or C(/subscriptions/<id>) for the subscription's activity log.
      - V(subscription) is the subscription the module works in (O(subscription_id) or the environment's).
      - A resource group has no diagnostic settings.
    type: str
    required: true
  name:
    description:
      - Name of the setting, unique per scope.
      - 1-260 characters, none of C(*%&:\?+/#<>), not ending with a space or period.
    type: str
    required: true
  workspace_id:
    description: Resource id of the Log Analytics workspace the logs go to.
    type: str
  storage_account_id:
    description: Resource id of a storage account the logs are archived in.
    type: str
  log_analytics_destination_type:
    description:
      - V(Dedicated) writes a resource's logs into its resource-specific tables (C(AZKVAuditLogs), C(PGSQLServerLogs)),
        which can have their own retention; V(AzureDiagnostics) into the shared C(AzureDiagnostics) table.
      - Not for a subscription (the activity log always lands in C(AzureActivity)).
    type: str
    choices: [Dedicated, AzureDiagnostics]
  logs:
    description: Log categories (or category groups such as C(audit), C(allLogs)) to send.
    type: list
    elements: dict
    suboptions:
      category:
        description: A log category of the resource type.
        type: str
      category_group:
        description: A category group (not with O(logs[].category)).
        type: str
      enabled:
        description: Whether the category is sent.
        type: bool
        default: true
  metrics:
    description: Metric categories to send (a resource only), for example C(AllMetrics).
    type: list
    elements: dict
    suboptions:
      category:
        description: Metric category.
        type: str
        required: true
      enabled:
        description: Whether the metrics are sent.
        type: bool
        default: true
  state:
    description: V(present) creates or updates the setting; V(absent) deletes it (the logs already sent stay where they are).
extends_documentation_fragment:
  - complianceflow.infra.attributes
  - complianceflow.infra.azure
  - complianceflow.infra.azure.RESOURCE
author:
  - ComplianceFlow Platform Team (@complianceflow)
"""

EXAMPLES = r"""
- name: Key Vault access logs into the resource-specific table AZKVAuditLogs
  complianceflow.infra.diagnostic_setting:
    scope: /subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/rg-cf-westeu-dev-1/providers/Microsoft.KeyVault/vaults/kv-cf-westeu-dev-1-5n8o
    name: diag-cf-westeu-dev-1
    workspace_id: "{{ log_analytics_workspace_id }}"
    log_analytics_destination_type: Dedicated
    logs:
      - category: AuditEvent

- name: The subscription's activity log into the environment's workspace
  complianceflow.infra.diagnostic_setting:
    scope: subscription
    name: diag-cf-activity-dev
    workspace_id: "{{ log_analytics_workspace_id }}"
    logs:
      - {category: Administrative}
      - {category: Security}
      - {category: Policy}
"""

RETURN = r"""
diagnostic_setting:
  description: The setting after the task (predicted in check mode); only its C(id) after V(absent) deleted it.
  returned: always
  type: dict
  contains:
    id:
      description: Resource id of the setting.
      type: str
    name:
      description: Name.
      type: str
    scope:
      description: The resource or subscription id it belongs to.
      type: str
    workspace_id:
      description: The Log Analytics workspace the logs go to.
      type: str
    storage_account_id:
      description: The storage account the logs are archived in.
      type: str
    log_analytics_destination_type:
      description: V(Dedicated) or V(AzureDiagnostics) (a resource's setting only).
      type: str
    logs:
      description: The log categories or groups, each with C(enabled).
      type: list
      elements: dict
      sample: [{category: AuditEvent, enabled: true}]
    metrics:
      description: The metric categories, each with C(enabled) (a resource's setting only).
      type: list
      elements: dict
"""

from ansible_collections.complianceflow.infra.plugins.module_utils._azure.diagnostic_setting import DiagnosticSetting
from ansible_collections.complianceflow.infra.plugins.module_utils._azure.module import STATE_SPEC, AzureModule
from ansible_collections.complianceflow.infra.plugins.module_utils._azure.runner import run

LOG_SPEC = dict(category={"type": "str"}, category_group={"type": "str"}, enabled={"type": "bool", "default": True})
METRIC_SPEC = dict(category={"type": "str", "required": True}, enabled={"type": "bool", "default": True})


def main():
    module = AzureModule(
        argument_spec=dict(
            scope={"type": "str", "required": True},
            name={"type": "str", "required": True},
            workspace_id={"type": "str"},
            storage_account_id={"type": "str"},
            log_analytics_destination_type={"type": "str", "choices": ["Dedicated", "AzureDiagnostics"]},
            logs={"type": "list", "elements": "dict", "options": LOG_SPEC},
            metrics={"type": "list", "elements": "dict", "options": METRIC_SPEC},
            **STATE_SPEC,
        ),
    )
    run(DiagnosticSetting(module))


if __name__ == "__main__":
    main()
