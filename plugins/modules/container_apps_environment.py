#!/usr/bin/python
# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: container_apps_environment
short_description: Manage an Azure Container Apps environment (Microsoft.App/managedEnvironments)
version_added: 1.1.0
description:
  - Creates or updates a Container Apps environment (C(Microsoft.App/managedEnvironments), api-version 2026-07-01), the
    network boundary the container apps run in. Apps themselves are not managed here.
  - A workload-profiles environment (give O(workload_profiles), for example the C(Consumption) profile) in your own
    subnet, which must be delegated to C(Microsoft.App/environments) and be at least C(/27); the module reads the subnet
    and refuses a wrong one before any write. With O(internal=true) the environment has no public IP; its load balancer
    takes an address of the subnet.
  - The network settings (O(internal), O(infrastructure_subnet)) and O(zone_redundant) are set when the environment is
    created and never change in Azure; a different value is refused before any write. The workload profiles, the log
    destination and the tags are changed with a PATCH.
  - Logs go to Azure Monitor (O(logs_destination=azure-monitor)), from where a diagnostic setting
    (M(complianceflow.infra.diagnostic_setting)) sends them to a Log Analytics workspace. The C(log-analytics)
    destination is not offered; it needs the workspace's shared key in the task.
  - Creating an environment takes several minutes on Azure. With O(wait=false) the create is started and the task
    returns with RV(operation), for M(complianceflow.infra.operation_wait).
  - In check mode on a new deployment, a subnet that does not exist yet is reported with a warning and the create is
    predicted.
options:
  resource_group:
    description: Resource group of the environment.
    type: str
    required: true
  name:
    description: Environment name (2-60 lowercase letters, digits and hyphens; starts with a letter, ends with a letter or
      digit, no C(--)).
    type: str
    required: true
  location:
    description: Azure location. Required to create the environment; an environment cannot move.
    type: str
  infrastructure_subnet:
    description:
      - The subnet of the environment, as a resource id or C(<vnet>/<subnet>) in O(resource_group). Delegated to
        C(Microsoft.App/environments), at least C(/27). Set at creation only.
    type: str
  internal:
    description: Whether the environment has only an internal load balancer (no public IP). Needs O(infrastructure_subnet).
      Set at creation only.
    type: bool
  zone_redundant:
    description: Whether the environment spreads over the region's availability zones. Needs O(infrastructure_subnet). Set
      at creation only.
    type: bool
  workload_profiles:
    description:
      - The environment's workload profiles; giving them makes a workload-profiles environment. Compared as a whole.
    type: list
    elements: dict
    suboptions:
      name:
        description: Profile name (V(Consumption) for the serverless profile).
        type: str
        required: true
      workload_profile_type:
        description: Profile type, for example V(Consumption), V(D4), V(E4).
        type: str
        required: true
      minimum_count:
        description: Minimum number of nodes (dedicated profiles).
        type: int
      maximum_count:
        description: Maximum number of nodes (dedicated profiles).
        type: int
  logs_destination:
    description:
      - Where the environment's application logs go. V(azure-monitor) (what a new environment gets) sends them through
        diagnostic settings; V(none) drops them.
    type: str
    choices: [azure-monitor, none]
  state:
    description: V(present) creates or updates; V(absent) deletes the environment (Azure refuses while it holds apps).
extends_documentation_fragment:
  - complianceflow.infra.attributes
  - complianceflow.infra.azure
  - complianceflow.infra.azure.TAGS
  - complianceflow.infra.azure.RESOURCE
  - complianceflow.infra.azure.WAIT
attributes:
  diff_mode:
    details: Shows before and after of the options given (all of them when the environment is created).
seealso:
  - module: complianceflow.infra.diagnostic_setting
  - name: Networking in Azure Container Apps environment
    description: Subnet size, delegation, internal environments.
    link: https://learn.microsoft.com/azure/container-apps/networking
author:
  - ComplianceFlow Platform Team (@complianceflow)
"""

EXAMPLES = r"""
- name: Internal workload-profiles environment of westeu-dev-1 in its apps subnet, logs to Azure Monitor
  complianceflow.infra.container_apps_environment:
    resource_group: rg-cf-westeu-dev-1
    name: cae-cf-westeu-dev-1
    location: westeurope
    infrastructure_subnet: vnet-cf-westeu-dev-1/snet-cf-westeu-dev-1-apps
    internal: true
    zone_redundant: false
    workload_profiles:
      - {name: Consumption, workload_profile_type: Consumption}
    logs_destination: azure-monitor
    tags: {Deployment: westeu-dev-1}
    wait: false
  register: cae_started

- name: Wait for it later
  complianceflow.infra.operation_wait:
    operations: ["{{ cae_started }}"]
"""

RETURN = r"""
environment:
  description: The environment after the task (predicted in check mode); only its C(id) after V(absent) deleted it.
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
    internal:
      description: Whether the environment has only an internal load balancer.
      type: bool
    infrastructure_subnet_id:
      description: The environment's subnet.
      type: str
    zone_redundant:
      description: Whether the environment is zone redundant.
      type: bool
    workload_profiles:
      description: Workload profiles (name, workload_profile_type, minimum_count, maximum_count).
      type: list
      elements: dict
    logs_destination:
      description: Where the application logs go (V(azure-monitor), V(none), or V(log-analytics) when set elsewhere).
      type: str
    environment_mode:
      description: V(WorkloadProfiles) or V(ConsumptionOnly).
      type: str
    default_domain:
      description: The environment's default domain.
      type: str
    static_ip:
      description: The environment's static IP (an address of the subnet when internal).
      type: str
    tags:
      description: Tags.
      type: dict
    provisioning_state:
      description: Azure provisioning state.
      type: str
operation:
  description:
    - With O(wait=false), the long-running create or update that was started, for
      M(complianceflow.infra.operation_wait). It holds ARM's polling URLs and the resource id, never a secret.
  returned: when O(wait=false) and Azure runs the write as a long-running operation
  type: dict
"""

from ansible_collections.complianceflow.infra.plugins.module_utils._azure.container_apps_environment import (
    LOG_DESTINATIONS, ContainerAppsEnvironment)
from ansible_collections.complianceflow.infra.plugins.module_utils._azure.module import STATE_SPEC, TAGS_SPEC, WAIT_SPEC, AzureModule
from ansible_collections.complianceflow.infra.plugins.module_utils._azure.runner import run


def main():
    module = AzureModule(
        argument_spec=dict(
            resource_group={"type": "str", "required": True},
            name={"type": "str", "required": True},
            location={"type": "str"},
            infrastructure_subnet={"type": "str"},
            internal={"type": "bool"},
            zone_redundant={"type": "bool"},
            workload_profiles={"type": "list", "elements": "dict", "options": {
                "name": {"type": "str", "required": True},
                "workload_profile_type": {"type": "str", "required": True},
                "minimum_count": {"type": "int"},
                "maximum_count": {"type": "int"}}},
            logs_destination={"type": "str", "choices": list(LOG_DESTINATIONS)},
            **STATE_SPEC,
            **TAGS_SPEC,
            **WAIT_SPEC,
        ),
    )
    run(ContainerAppsEnvironment(module))


if __name__ == "__main__":
    main()
