#!/usr/bin/python
# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: flow_log
short_description: Manage a virtual network flow log (Network Watcher), creating the region's watcher when missing
version_added: 1.1.0
description:
  - Creates, updates or deletes a flow log (C(Microsoft.Network/networkWatchers/flowLogs)) of a virtual network, a subnet
    or a network interface, written to a storage account in the target's region as JSON (version 2 by default), with
    traffic analytics into a Log Analytics workspace as an option.
  - NSG flow logs can no longer be created (blocked since 30 June 2025, retired on 30 September 2027); a network security
    group as target is refused before any call.
  - The flow log lives under the Network Watcher of the target's region. Azure enables it automatically
    (C(NetworkWatcher_<region>) in C(NetworkWatcherRG)) when a virtual network is created, unless the subscription opted
    out; the module uses the region's watcher wherever it is, and creates C(NetworkWatcher_<region>) (and its group) when
    the region has none. Azure allows one watcher per region and subscription.
  - Runs for several regions at once (as C(playbooks/deploy.yml) runs deployments) may each make C(NetworkWatcherRG).
    Where another run made it in its own region between this run's read and its create, Azure refuses the create
    (InvalidResourceGroupLocation) and the module uses the group as it is; its region does not matter to the watcher.
  - Only the options given are compared; the flow log is written whole, with what exists kept for the options not given.
  - A change is a PUT of the whole flow log; it keeps what this module does not manage (filtering criteria, record
    types, identity) as the flow log has it.
options:
  name:
    description: Name of the flow log (unique in its watcher).
    type: str
    required: true
  target_resource_id:
    description:
      - Resource id of the virtual network (or subnet, or network interface) whose traffic is logged.
      - A virtual network's name stands for the network of that name in O(resource_group).
    type: str
    required: true
  storage_account_id:
    description:
      - Resource id of the storage account the records are written to, in the target's region. Required with V(present).
      - A name stands for the account of that name in O(resource_group).
    type: str
  resource_group:
    description: Resource group of O(target_resource_id) and O(storage_account_id) when they are given by name.
    type: str
  location:
    description:
      - Region of the flow log; it is the target's, read from Azure. Needed only to plan (check mode) before the target exists.
    type: str
  network_watcher_resource_group:
    description: Resource group of the watcher. Default, the region's existing watcher, else C(NetworkWatcherRG).
    type: str
  network_watcher_name:
    description: Name of the watcher. Default, the region's existing watcher, else C(NetworkWatcher_<region>).
    type: str
  enabled:
    description: Whether flow logging is on. A new flow log is enabled.
    type: bool
  retention_days:
    description:
      - Days after which Network Watcher deletes the records in the storage account; V(0) deletes none (the account's own
        policies decide). A new flow log gets V(0).
    type: int
  format_version:
    description: Version of the JSON records. A new flow log gets V(2).
    type: int
    choices: [1, 2]
  traffic_analytics:
    description:
      - Traffic analytics (processing of the flow logs into the workspace). Billed per GB processed, so off unless asked.
    type: dict
    suboptions:
      enabled:
        description: Whether traffic analytics runs.
        type: bool
        required: true
      workspace_id:
        description: Resource id of the Log Analytics workspace. Required when enabled.
        type: str
      interval:
        description: Minutes between two processing runs.
        type: int
        choices: [10, 60]
        default: 60
  when_storage_missing:
    description:
      - What to do when the storage account does not exist (yet). V(fail) fails naming it; V(skip) changes nothing and reports
        the task as skipped with a warning naming the account.
    type: str
    choices: [fail, skip]
    default: fail
  state:
    description: V(present) creates or updates the flow log; V(absent) deletes it (the records already written stay in the account).
extends_documentation_fragment:
  - complianceflow.infra.attributes
  - complianceflow.infra.azure
  - complianceflow.infra.azure.TAGS
  - complianceflow.infra.azure.RESOURCE
author:
  - ComplianceFlow Platform Team (@complianceflow)
"""

EXAMPLES = r"""
- name: Flow log of westeu-dev-1's VNet into its storage account
  complianceflow.infra.flow_log:
    name: fl-cf-westeu-dev-1
    resource_group: rg-cf-westeu-dev-1     # the target and the storage account given by name, in this group
    target_resource_id: vnet-cf-westeu-dev-1
    storage_account_id: stcfwesteudev1
    location: westeurope
    format_version: 2
    when_storage_missing: skip
    tags: {Deployment: westeu-dev-1}

- name: With traffic analytics every 10 minutes
  complianceflow.infra.flow_log:
    name: fl-cf-westeu-prod-1
    target_resource_id: "{{ vnet_id }}"
    storage_account_id: "{{ storage_id }}"
    traffic_analytics: {enabled: true, workspace_id: "{{ log_analytics_workspace_id }}", interval: 10}
"""

RETURN = r"""
flow_log:
  description: The flow log after the task (predicted in check mode); only its C(id) after V(absent) deleted it; empty when skipped.
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
      description: Region (the target's).
      type: str
    target_resource_id:
      description: The virtual network, subnet or network interface logged.
      type: str
    storage_account_id:
      description: The storage account written to.
      type: str
    enabled:
      description: Whether flow logging is on.
      type: bool
    retention_days:
      description: Days before Network Watcher deletes records; 0 when it deletes none.
      type: int
    format_version:
      description: Version of the JSON records.
      type: int
    traffic_analytics:
      description: C(enabled), C(workspace_id), C(interval).
      type: dict
    tags:
      description: Tags.
      type: dict
    provisioning_state:
      description: Azure provisioning state.
      type: str
network_watcher:
  description: The watcher the flow log belongs to; C(created) when the task created it (or would, in check mode).
  returned: always
  type: dict
  sample: {id: /subscriptions/.../resourceGroups/NetworkWatcherRG/providers/Microsoft.Network/networkWatchers/NetworkWatcher_westeurope,
           name: NetworkWatcher_westeurope, resource_group: NetworkWatcherRG, created: false}
skipped:
  description: True when the storage account does not exist and O(when_storage_missing=skip).
  returned: when skipped
  type: bool
msg:
  description: Why the task was skipped (the missing storage account).
  returned: when skipped
  type: str
"""

from ansible_collections.complianceflow.infra.plugins.module_utils._azure.flow_log import FlowLog
from ansible_collections.complianceflow.infra.plugins.module_utils._azure.module import STATE_SPEC, TAGS_SPEC, AzureModule
from ansible_collections.complianceflow.infra.plugins.module_utils._azure.runner import run

TRAFFIC_ANALYTICS_SPEC = dict(enabled={"type": "bool", "required": True}, workspace_id={"type": "str"},
                              interval={"type": "int", "choices": [10, 60], "default": 60})


def main():
    module = AzureModule(
        argument_spec=dict(
            name={"type": "str", "required": True},
            target_resource_id={"type": "str", "required": True},
            storage_account_id={"type": "str"},
            resource_group={"type": "str"},
            location={"type": "str"},
            network_watcher_resource_group={"type": "str"},
            network_watcher_name={"type": "str"},
            enabled={"type": "bool"},
            retention_days={"type": "int"},
            format_version={"type": "int", "choices": [1, 2]},
            traffic_analytics={"type": "dict", "options": TRAFFIC_ANALYTICS_SPEC},
            when_storage_missing={"type": "str", "choices": ["fail", "skip"], "default": "fail"},
            **STATE_SPEC,
            **TAGS_SPEC,
        ),
    )
    run(FlowLog(module))


if __name__ == "__main__":
    main()
