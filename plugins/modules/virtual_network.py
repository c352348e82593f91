#!/usr/bin/python
# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: virtual_network
short_description: Manage an Azure virtual network and all its subnets in one call
version_added: 1.0.0
description:
  - Creates or updates a virtual network with its address space, DNS servers and subnets (delegations, service
    endpoints, network security group, private endpoint network policies) in one PUT, or deletes it.
  - Only what the task sets is compared; fields of the network or of a subnet that the task does not set are kept.
  - Subnets that exist in Azure but are not listed are kept unless O(purge_subnets=true).
  - Names, CIDR blocks and subnet placement are checked before any call to Azure.
options:
  resource_group:
    description: Resource group of the network.
    type: str
    required: true
  name:
    description: Name of the virtual network (2-64 letters, digits, underscores, periods and hyphens, Azure's limit).
    type: str
    required: true
  location:
    description: Azure location. Required to create the network; a network cannot move.
    type: str
  address_prefixes:
    description:
      - The address space (CIDR blocks). Required to create the network.
      - Compared as a set; every subnet of O(subnets) must lie inside it.
    type: list
    elements: str
  dns_servers:
    description: Custom DNS servers, in order. V([]) means Azure-provided DNS. Left alone when omitted.
    type: list
    elements: str
  ddos_protection_plan:
    description:
      - Id (or name, in the same resource group) of the DDoS protection plan that protects the network's public IPs
        (M(complianceflow.infra.ddos_protection_plan)); sets C(enableDdosProtection) and C(ddosProtectionPlan).
      - V('') unlinks the network from its plan. Left alone when omitted.
    type: str
  subnets:
    description:
      - Subnets of the network. Left alone when omitted.
    type: list
    elements: dict
    suboptions:
      name:
        description: Name of the subnet.
        type: str
        required: true
      address_prefix:
        description: CIDR block of the subnet, inside O(address_prefixes).
        type: str
        required: true
      delegations:
        description:
          - Services the subnet is delegated to, for example V(Microsoft.App/environments) or
            V(Microsoft.DBforPostgreSQL/flexibleServers). V([]) removes delegations; omitted leaves them alone.
        type: list
        elements: str
      service_endpoints:
        description: Service endpoints, for example V(Microsoft.Storage). V([]) removes them; omitted leaves them alone.
        type: list
        elements: str
      network_security_group:
        description:
          - Network security group of the subnet, by name (in O(resource_group)) or by resource id.
          - An empty string detaches the group; omitted leaves the association alone.
        type: str
      private_endpoint_network_policies:
        description: Whether network policies apply to private endpoints in the subnet.
        type: str
        choices: [Disabled, Enabled, NetworkSecurityGroupEnabled, RouteTableEnabled]
      private_link_service_network_policies:
        description: Whether network policies apply to private link services in the subnet.
        type: str
        choices: [Disabled, Enabled]
  purge_subnets:
    description: Remove subnets that exist in Azure but are not listed in O(subnets).
    type: bool
    default: false
  state:
    description: V(present) creates or updates; V(absent) deletes the network.
extends_documentation_fragment:
  - complianceflow.infra.attributes
  - complianceflow.infra.azure
  - complianceflow.infra.azure.TAGS
  - complianceflow.infra.azure.RESOURCE
  - complianceflow.infra.azure.WAIT
attributes:
  diff_mode:
    details: Shows before and after of the fields the task sets, and of subnets O(purge_subnets) removes.
author:
  - ComplianceFlow Platform Team (@complianceflow)
"""

EXAMPLES = r"""
- name: Network of westeu-dev-1 with its subnets
  complianceflow.infra.virtual_network:
    resource_group: rg-cf-westeu-dev-1
    name: vnet-cf-westeu-dev-1
    location: westeurope
    address_prefixes: [10.10.0.0/16]
    subnets:
      - name: snet-cf-westeu-dev-1-apps
        address_prefix: 10.10.1.0/24
        delegations: [Microsoft.App/environments]
        network_security_group: nsg-cf-westeu-dev-1-apps
      - name: snet-cf-westeu-dev-1-db
        address_prefix: 10.10.2.0/24
        delegations: [Microsoft.DBforPostgreSQL/flexibleServers]
      - name: snet-cf-westeu-dev-1-storage
        address_prefix: 10.10.4.0/24
        service_endpoints: [Microsoft.Storage]
        private_endpoint_network_policies: Disabled
    tags: {Deployment: westeu-dev-1}

- name: Start the network, do other work, then wait for it
  complianceflow.infra.virtual_network:
    resource_group: rg-cf-westeu-dev-1
    name: vnet-cf-westeu-dev-1
    location: westeurope
    address_prefixes: [10.10.0.0/16]
    wait: false
  register: vnet_started

- name: Network done
  complianceflow.infra.operation_wait:
    operations: ["{{ vnet_started }}"]
  when: vnet_started.operation is defined

- name: Delete the network
  complianceflow.infra.virtual_network:
    resource_group: rg-cf-westeu-dev-1
    name: vnet-cf-westeu-dev-1
    state: absent
"""

RETURN = r"""
operation:
  description:
    - With O(wait=false), the long-running create or update of the network that was started, to pass to
      M(complianceflow.infra.operation_wait). It holds ARM's polling URLs and the resource id, never a secret.
  returned: when O(wait=false) and Azure runs the write as a long-running operation
  type: dict
virtual_network:
  description: The network after the task (predicted in check mode); only its C(id) after V(absent) deleted it.
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
    tags:
      description: Tags.
      type: dict
    address_prefixes:
      description: Address space.
      type: list
      elements: str
      sample: [10.10.0.0/16]
    dns_servers:
      description: Custom DNS servers.
      type: list
      elements: str
    ddos_protection_plan:
      description: Id of the DDoS protection plan the network uses, or null.
      type: str
    provisioning_state:
      description: Azure provisioning state.
      type: str
    peerings:
      description:
        - The network's peerings, read only (M(complianceflow.infra.virtual_network_peering) manages them; a change of the
          network keeps them).
      type: list
      elements: dict
      contains:
        name:
          description: Name of the peering.
          type: str
        remote_virtual_network:
          description: Resource id of the peered network.
          type: str
        peering_state:
          description: C(Connected), C(Initiated) or C(Disconnected).
          type: str
    subnets:
      description: All subnets of the network.
      type: list
      elements: dict
      contains:
        name:
          description: Name.
          type: str
        id:
          description: Resource id.
          type: str
        address_prefix:
          description: CIDR block.
          type: str
        address_prefixes:
          description: CIDR blocks (Azure allows several).
          type: list
          elements: str
        delegations:
          description: Delegated services.
          type: list
          elements: str
        service_endpoints:
          description: Service endpoints.
          type: list
          elements: str
        network_security_group:
          description: Id of the associated network security group, or null.
          type: str
        private_endpoint_network_policies:
          description: Private endpoint network policies.
          type: str
        private_link_service_network_policies:
          description: Private link service network policies.
          type: str
"""

from ansible_collections.complianceflow.infra.plugins.module_utils._azure.module import STATE_SPEC, TAGS_SPEC, WAIT_SPEC, AzureModule
from ansible_collections.complianceflow.infra.plugins.module_utils._azure.runner import run
from ansible_collections.complianceflow.infra.plugins.module_utils._azure.virtual_network import VirtualNetwork

SUBNET_SPEC = dict(
    name={"type": "str", "required": True},
    address_prefix={"type": "str", "required": True},
    delegations={"type": "list", "elements": "str"},
    service_endpoints={"type": "list", "elements": "str"},
    network_security_group={"type": "str"},
    private_endpoint_network_policies={"type": "str", "choices": ["Disabled", "Enabled", "NetworkSecurityGroupEnabled", "RouteTableEnabled"]},
    private_link_service_network_policies={"type": "str", "choices": ["Disabled", "Enabled"]},
)


def main():
    module = AzureModule(
        argument_spec=dict(
            resource_group={"type": "str", "required": True},
            name={"type": "str", "required": True},
            location={"type": "str"},
            address_prefixes={"type": "list", "elements": "str"},
            dns_servers={"type": "list", "elements": "str"},
            ddos_protection_plan={"type": "str"},
            subnets={"type": "list", "elements": "dict", "options": SUBNET_SPEC},
            purge_subnets={"type": "bool", "default": False},
            **STATE_SPEC,
            **TAGS_SPEC,
            **WAIT_SPEC,
        ),
    )
    run(VirtualNetwork(module))


if __name__ == "__main__":
    main()
