#!/usr/bin/python
# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: application_insights
short_description: Manage a workspace-based Application Insights component
version_added: 1.1.0
description:
  - Creates or updates an Application Insights component (C(Microsoft.Insights/components), REST api-version 2020-02-02)
    that stores its telemetry in a Log Analytics workspace (O(workspace_resource_id)). Classic, workspace-less
    Application Insights was retired on 29 February 2024, so a workspace is always required.
  - Only the options given are compared. Azure's PATCH changes tags only, so any other change is sent as a PUT of the
    whole component (its other settings kept as Azure has them).
  - The component's connection string and instrumentation key are never returned, except the connection string with
    O(return_connection_string=true) in a task that sets C(no_log) (to store it in Key Vault).
  - Before a write, the workspace is read; a workspace that does not exist fails the task, naming it, and nothing is
    written.
options:
  resource_group:
    description: Resource group of the component.
    type: str
    required: true
  name:
    description: Component name (1-260 characters without C(% & \ ? /), not ending with a space or a period).
    type: str
    required: true
  location:
    description: Azure location. Required to create the component; a component cannot move.
    type: str
  workspace_resource_id:
    description:
      - The Log Analytics workspace the telemetry goes to, as a resource id or as the name of a workspace in
        O(resource_group). Required to create the component.
    type: str
  kind:
    description: The kind of application (Azure uses it to customise the portal). A new component gets V(web) when omitted.
    type: str
  application_type:
    description: Type of application monitored. Set at creation only; a new component gets V(web) when omitted.
    type: str
    choices: [web, other]
  disable_local_auth:
    description: Refuse telemetry sent with the instrumentation key alone (Microsoft Entra authentication only).
    type: bool
  ingestion_mode:
    description: Where the telemetry is ingested. Workspace-based components use V(LogAnalytics).
    type: str
    choices: [LogAnalytics, ApplicationInsights, ApplicationInsightsWithDiagnosticSettings]
  public_network_access_for_ingestion:
    description: Whether telemetry may be sent over the public endpoint.
    type: str
    choices: [Enabled, Disabled]
  public_network_access_for_query:
    description: Whether queries over the public endpoint are allowed.
    type: str
    choices: [Enabled, Disabled]
  return_connection_string:
    description:
      - Return the connection string as RV(connection_string). Only allowed in a task that sets C(no_log) to true.
    type: bool
    default: false
  state:
    description: V(present) creates or updates; V(absent) deletes the component (its data stays in the workspace).
extends_documentation_fragment:
  - complianceflow.infra.attributes
  - complianceflow.infra.azure
  - complianceflow.infra.azure.TAGS
  - complianceflow.infra.azure.RESOURCE
seealso:
  - name: Workspace-based Application Insights
    description: Why classic resources are retired and how workspace-based ones store their data.
    link: https://learn.microsoft.com/azure/azure-monitor/app/create-workspace-resource
author:
  - ComplianceFlow Platform Team (@complianceflow)
"""

EXAMPLES = r"""
- name: Application Insights of westeu-dev-1 in its workspace, Entra authentication only
  complianceflow.infra.application_insights:
    resource_group: rg-cf-westeu-dev-1
    name: appi-cf-westeu-dev-1
    location: westeurope
    workspace_resource_id: log-cf-westeu-dev-1
    kind: web
    application_type: web
    disable_local_auth: true
    ingestion_mode: LogAnalytics
    tags: {Deployment: westeu-dev-1}

- name: Its connection string, for the vault only (never printed)
  complianceflow.infra.application_insights:
    resource_group: rg-cf-westeu-dev-1
    name: appi-cf-westeu-dev-1
    return_connection_string: true
  no_log: true
  register: appi
"""

RETURN = r"""
component:
  description: The component after the task (predicted in check mode); only its C(id) after V(absent) deleted it. Never the connection string.
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
    kind:
      description: Kind of application.
      type: str
    app_id:
      description: Application Insights' unique id of the application.
      type: str
    application_type:
      description: Type of application.
      type: str
    workspace_resource_id:
      description: The Log Analytics workspace the telemetry goes to.
      type: str
    disable_local_auth:
      description: Whether telemetry with the instrumentation key alone is refused.
      type: bool
    ingestion_mode:
      description: Where the telemetry is ingested.
      type: str
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
connection_string:
  description: The component's connection string (none in check mode before the component exists).
  returned: when O(return_connection_string=true) (in a C(no_log) task)
  type: str
"""

from ansible_collections.complianceflow.infra.plugins.module_utils._azure.application_insights import INGESTION_MODES, ApplicationInsights
from ansible_collections.complianceflow.infra.plugins.module_utils._azure.module import STATE_SPEC, TAGS_SPEC, AzureModule
from ansible_collections.complianceflow.infra.plugins.module_utils._azure.runner import run

ACCESS = ["Enabled", "Disabled"]


def main():
    module = AzureModule(
        argument_spec=dict(
            resource_group={"type": "str", "required": True},
            name={"type": "str", "required": True},
            location={"type": "str"},
            workspace_resource_id={"type": "str"},
            kind={"type": "str"},
            application_type={"type": "str", "choices": ["web", "other"]},
            disable_local_auth={"type": "bool"},
            ingestion_mode={"type": "str", "choices": list(INGESTION_MODES)},
            public_network_access_for_ingestion={"type": "str", "choices": ACCESS},
            public_network_access_for_query={"type": "str", "choices": ACCESS},
            return_connection_string={"type": "bool", "default": False},
            **STATE_SPEC,
            **TAGS_SPEC,
        ),
    )
    run(ApplicationInsights(module))


if __name__ == "__main__":
    main()
