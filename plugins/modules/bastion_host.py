#!/usr/bin/python
# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: bastion_host
short_description: Manage an Azure Bastion host
version_added: 1.1.0
description:
  - Creates or updates an Azure Bastion host (C(Microsoft.Network/bastionHosts), api-version 2026-03-01) in a virtual
    network's C(AzureBastionSubnet), with a Standard, Static public IP (M(complianceflow.infra.public_ip_address)).
  - Azure needs the subnet named exactly C(AzureBastionSubnet), /26 or larger, holding nothing else, in the same virtual
    network and resource group as the host. A subnet of another name or group is refused before any call; the size and
    emptiness are Azure's checks (the deployment plan gives the subnet a /26 of its own).
  - V(Basic) runs two instances; V(Standard) adds host scaling (O(scale_units)), native client support and the other
    Standard features. A SKU can be upgraded in place but never downgraded, so a downgrade is refused before any write.
  - Only the options given are compared; a tags-only change is a PATCH, anything else a PUT of the host.
  - Creating a host takes several minutes on Azure. With O(wait=false) the create is started and the task returns
    with RV(operation) for M(complianceflow.infra.operation_wait).
  - A change is a PUT of the whole host; it keeps what this module does not manage (copy and paste, file copy, IP
    connect, shareable links, tunneling, Kerberos, session recording, network ACLs, scale units of a Premium host,
    identity) as the host has it.
options:
  resource_group:
    description: Resource group of the host (and of its virtual network).
    type: str
    required: true
  name:
    description: Name (1-80 letters, digits, underscores, periods and hyphens; starts with a letter or digit, ends with a
      letter, digit or underscore).
    type: str
    required: true
  location:
    description: Azure location (the virtual network's). Required to create the host; a host cannot move.
    type: str
  sku:
    description: V(Basic) (the default for a new host) or V(Standard).
    type: str
    choices: [Basic, Standard]
  subnet:
    description: The C(AzureBastionSubnet), as C(<vnet>/AzureBastionSubnet) in O(resource_group) or as a subnet id.
      Required with O(state=present).
    type: str
  public_ip_address:
    description: The host's public IP, a name in O(resource_group) or an id (Standard SKU, Static). Required with
      O(state=present).
    type: str
  scale_units:
    description: Instances of a V(Standard) host, 2-50 (a Basic host has 2).
    type: int
  state:
    description: V(present) creates or updates; V(absent) deletes the host.
extends_documentation_fragment:
  - complianceflow.infra.attributes
  - complianceflow.infra.azure
  - complianceflow.infra.azure.TAGS
  - complianceflow.infra.azure.RESOURCE
  - complianceflow.infra.azure.WAIT
author:
  - ComplianceFlow Platform Team (@complianceflow)
"""

EXAMPLES = r"""
- name: Bastion of westeu-dev-1 in its AzureBastionSubnet
  complianceflow.infra.bastion_host:
    resource_group: rg-cf-westeu-dev-1
    name: bas-cf-westeu-dev-1
    location: westeurope
    sku: Basic
    subnet: vnet-cf-westeu-dev-1/AzureBastionSubnet
    public_ip_address: pip-cf-westeu-dev-1-bastion
    tags: {Deployment: westeu-dev-1}

- name: Start the create, wait later
  complianceflow.infra.bastion_host:
    resource_group: rg-cf-westeu-dev-1
    name: bas-cf-westeu-dev-1
    location: westeurope
    subnet: vnet-cf-westeu-dev-1/AzureBastionSubnet
    public_ip_address: pip-cf-westeu-dev-1-bastion
    wait: false
  register: bastion_started

- name: Bastion done
  complianceflow.infra.operation_wait:
    operations: ["{{ bastion_started }}"]
  when: bastion_started.operation is defined
"""

RETURN = r"""
bastion_host:
  description: The host after the task (predicted in check mode); only its C(id) after V(absent) deleted it.
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
    sku:
      description: SKU.
      type: str
    scale_units:
      description: Instances.
      type: int
    dns_name:
      description: The host's FQDN.
      type: str
    subnet:
      description: Id of its C(AzureBastionSubnet).
      type: str
    public_ip_address:
      description: Id of its public IP.
      type: str
    tags:
      description: Tags.
      type: dict
    provisioning_state:
      description: Azure provisioning state.
      type: str
operation:
  description:
    - With O(wait=false), the long-running create or update that was started, to pass to
      M(complianceflow.infra.operation_wait). It holds ARM's polling URLs and the resource id, never a secret.
  returned: when O(wait=false) and Azure runs the write as a long-running operation
  type: dict
"""

from ansible_collections.complianceflow.infra.plugins.module_utils._azure.bastion_host import BastionHost
from ansible_collections.complianceflow.infra.plugins.module_utils._azure.module import STATE_SPEC, TAGS_SPEC, WAIT_SPEC, AzureModule
from ansible_collections.complianceflow.infra.plugins.module_utils._azure.runner import run


def main():
    module = AzureModule(
        argument_spec=dict(
            resource_group={"type": "str", "required": True},
            name={"type": "str", "required": True},
            location={"type": "str"},
            sku={"type": "str", "choices": ["Basic", "Standard"]},
            subnet={"type": "str"},
            public_ip_address={"type": "str"},
            scale_units={"type": "int"},
            **STATE_SPEC,
            **TAGS_SPEC,
            **WAIT_SPEC,
        ),
    )
    run(BastionHost(module))


if __name__ == "__main__":
    main()
