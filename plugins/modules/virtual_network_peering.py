#!/usr/bin/python
# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: virtual_network_peering
short_description: Manage one direction of an Azure virtual network peering
version_added: 1.2.0
description:
  - Creates, updates or deletes a peering of a virtual network with another one
    (C(Microsoft.Network/virtualNetworks/virtualNetworkPeerings), api-version 2026-03-01). A peering has two directions,
    each a resource of its own VNet, so the module is called once per side. One side alone is C(Initiated); once the remote side
    peers back, both are C(Connected).
  - Deleting one side leaves the other C(Disconnected); a C(Disconnected) peering is written again when the module runs
    (that brings it back to C(Initiated), or C(Connected) when the other side still exists).
  - Both virtual networks must exist and their address spaces must not overlap; an overlap fails the task before any
    write, naming both networks and their prefixes. A missing network fails the task, is skipped with a warning
    (O(when_missing=skip)), or in check mode is reported as C(would peer once <network> exists).
  - When a peered network's address space changes, Azure reports C(peering_sync_level) C(LocalNotInSync) or
    C(RemoteNotInSync) until the peering is synced; the module warns, it does not sync.
  - A peering has no tags.
  - A change is a PUT of the whole peering; it keeps what this module does not manage (a peering of some subnets,
    IPv6-only peering, remote gateway verification) as the peering has it.
options:
  resource_group:
    description: Resource group of the local virtual network.
    type: str
    required: true
  virtual_network:
    description: Name of the local virtual network (the one the peering belongs to).
    type: str
    required: true
  name:
    description: Peering name (1-80 letters, digits, C(_), C(.) and C(-)).
    type: str
    required: true
  remote_virtual_network:
    description:
      - Resource id of the virtual network to peer with, or its name (in O(remote_resource_group)). Required with
        O(state=present). A peering cannot be moved to another network; delete it first.
    type: str
  remote_resource_group:
    description: Resource group of O(remote_virtual_network) when it is given by name. Default, O(resource_group).
    type: str
  allow_virtual_network_access:
    description: Whether the VMs of the two networks can reach each other. A new peering gets V(true).
    type: bool
  allow_forwarded_traffic:
    description: Whether traffic forwarded by the remote network (not originating there) is allowed in. A new peering gets V(false).
    type: bool
  allow_gateway_transit:
    description: Whether the remote network may use this network's gateway. A new peering gets V(false).
    type: bool
  use_remote_gateways:
    description:
      - Whether this network uses the remote network's gateway (the remote network needs one, and its side must allow
        gateway transit). A new peering gets V(false).
    type: bool
  when_missing:
    description:
      - What a missing virtual network (either side) does with O(state=present) outside check mode. V(fail) the task, or
        V(skip) it with a warning (a deployment whose peer is not deployed yet).
    type: str
    choices: [fail, skip]
    default: fail
  state:
    description: V(present) creates or updates the peering; V(absent) deletes this direction (nothing to delete, no change).
extends_documentation_fragment:
  - complianceflow.infra.attributes
  - complianceflow.infra.azure
  - complianceflow.infra.azure.RESOURCE
author:
  - ComplianceFlow Platform Team (@complianceflow)
"""

EXAMPLES = r"""
- name: westeu-prod-1 -> westeu-prod-2
  complianceflow.infra.virtual_network_peering:
    resource_group: rg-cf-westeu-prod-1
    virtual_network: vnet-cf-westeu-prod-1
    name: peer-westeu-prod-1-to-westeu-prod-2
    remote_resource_group: rg-cf-westeu-prod-2
    remote_virtual_network: vnet-cf-westeu-prod-2
    allow_forwarded_traffic: true
    when_missing: skip

- name: westeu-prod-2 -> westeu-prod-1 (both sides Connected after this one)
  complianceflow.infra.virtual_network_peering:
    resource_group: rg-cf-westeu-prod-2
    virtual_network: vnet-cf-westeu-prod-2
    name: peer-westeu-prod-2-to-westeu-prod-1
    remote_virtual_network: "{{ westeu_prod_1_vnet_id }}"   # an id: /subscriptions/.../virtualNetworks/vnet-cf-westeu-prod-1
    allow_forwarded_traffic: true

- name: Remove one direction
  complianceflow.infra.virtual_network_peering:
    resource_group: rg-cf-westeu-prod-2
    virtual_network: vnet-cf-westeu-prod-2
    name: peer-westeu-prod-2-to-westeu-prod-1
    state: absent
"""

RETURN = r"""
peering:
  description: The peering after the task (predicted in check mode); empty once deleted or when skipped.
  returned: always
  type: dict
  contains:
    id:
      description: Resource id.
      type: str
    name:
      description: Name.
      type: str
    remote_virtual_network:
      description: Id of the peered virtual network.
      type: str
    remote_address_prefixes:
      description: The remote network's address space as the peering knows it.
      type: list
      elements: str
    peering_state:
      description: C(Initiated) (the remote side does not peer back yet), C(Connected), or C(Disconnected) (the other side
        or its network was deleted).
      type: str
      sample: Connected
    peering_sync_level:
      description: C(FullyInSync), or C(LocalNotInSync) / C(RemoteNotInSync) after an address space change.
      type: str
    allow_virtual_network_access:
      description: Whether the networks can reach each other.
      type: bool
    allow_forwarded_traffic:
      description: Whether forwarded traffic is allowed in.
      type: bool
    allow_gateway_transit:
      description: Whether the remote network may use this network's gateway.
      type: bool
    use_remote_gateways:
      description: Whether this network uses the remote network's gateway.
      type: bool
    provisioning_state:
      description: Azure provisioning state.
      type: str
msg:
  description: Why nothing was written (a missing virtual network, check mode's C(would peer once <network> exists)).
  returned: when a virtual network is missing
  type: str
skipped:
  description: Whether the task was skipped for a missing virtual network (O(when_missing=skip)).
  returned: when skipped
  type: bool
"""

from ansible_collections.complianceflow.infra.plugins.module_utils._azure.module import STATE_SPEC, AzureModule
from ansible_collections.complianceflow.infra.plugins.module_utils._azure.runner import run
from ansible_collections.complianceflow.infra.plugins.module_utils._azure.virtual_network_peering import VirtualNetworkPeering


def main():
    module = AzureModule(
        argument_spec=dict(
            resource_group={"type": "str", "required": True},
            virtual_network={"type": "str", "required": True},
            name={"type": "str", "required": True},
            remote_virtual_network={"type": "str"},
            remote_resource_group={"type": "str"},
            allow_virtual_network_access={"type": "bool"},
            allow_forwarded_traffic={"type": "bool"},
            allow_gateway_transit={"type": "bool"},
            use_remote_gateways={"type": "bool"},
            when_missing={"type": "str", "choices": ["fail", "skip"], "default": "fail"},
            **STATE_SPEC,
        ),
    )
    run(VirtualNetworkPeering(module))


if __name__ == "__main__":
    main()
