#!/usr/bin/python
# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: private_endpoint
short_description: Manage a private endpoint to an Azure PaaS resource, with its private DNS zone group
version_added: 1.1.0
description:
  - Creates or updates a private endpoint (C(Microsoft.Network/privateEndpoints), api-version 2026-03-01) in a subnet,
    with one private link service connection to O(target) for one O(group_id) (the sub-resource, e.g. C(vault) of a
    Key Vault, C(blob) of a storage account, C(redisEnterprise) of Azure Managed Redis, C(registry) of a container
    registry), and waits until Azure reports it provisioned.
  - With O(private_dns_zones) it also manages the endpoint's private DNS zone group C(default), so that Azure writes
    and keeps the endpoint's A records in those zones (for example C(privatelink.vaultcore.azure.net)).
  - The subnet, the target and the group id of an existing endpoint are not changed in place; a different value is
    refused before any call (delete the endpoint with O(state=absent) and create it again). Tags and zones are updated.
  - A target type or group id outside the table of Microsoft's "Private-link resource" list that this module knows
    (Key Vault, Storage, Azure Managed Redis, Azure Cache for Redis, Container Registry, Event Hubs) is refused before
    any call, naming the valid values.
  - A change (its tags too) is a PUT of the whole endpoint; it keeps what this module does not manage (custom
    network interface name, static IP configurations, application security groups) as the endpoint has it.
options:
  resource_group:
    description: Resource group of the private endpoint.
    type: str
    required: true
  name:
    description: Private endpoint name (2-64 letters, digits, underscores, periods and hyphens, Azure's limit).
    type: str
    required: true
  location:
    description: Azure location, the one of the subnet's virtual network. Required to create the endpoint.
    type: str
  subnet:
    description:
      - The subnet the endpoint takes its private address from, as C(<virtual network>/<subnet>) in O(resource_group)
        or a subnet id. Required to create the endpoint. A delegated subnet cannot hold a private endpoint.
    type: str
  target:
    description:
      - The resource the endpoint connects to, as a resource id or as C(<Namespace>/<type>/<name>) in O(resource_group)
        (for example C(Microsoft.KeyVault/vaults/kv-cf-westeu-dev-1-5n8o)). Required with O(state=present).
    type: str
  target_resource_group:
    description: Resource group of O(target) when it is given as C(<Namespace>/<type>/<name>); O(resource_group) when omitted.
    type: str
  group_id:
    description:
      - The target's sub-resource (group id), one of those its type offers, e.g. C(vault) (Key Vault), C(blob)
        (storage), C(redisEnterprise) (Azure Managed Redis), C(registry) (container registry). Required with
        O(state=present).
    type: str
  connection_name:
    description: Name of the private link service connection; O(name) when omitted.
    type: str
  private_dns_zones:
    description:
      - Private DNS zones (names in O(resource_group), or ids) of the endpoint's zone group C(default); Azure keeps the
        endpoint's A records in them. V([]) removes the zone group; omitted leaves it as it is.
    type: list
    elements: str
  missing_target:
    description:
      - What a new endpoint whose O(target) does not exist does. V(fail) sends it and Azure refuses it; V(skip) first
        looks the target up among the resources of its resource group (one list of that type) and, when it is missing,
        changes nothing and warns (RV(skipped_missing_target)), for check mode on a deployment whose targets are only
        predicted.
    type: str
    choices: [fail, skip]
    default: fail
  state:
    description: V(present) creates or updates; V(absent) deletes the endpoint (Azure removes its zone group and records).
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
- name: Private endpoint of the westeu-dev-1 Key Vault in the storage subnet, its record in privatelink.vaultcore.azure.net
  complianceflow.infra.private_endpoint:
    resource_group: rg-cf-westeu-dev-1
    name: pe-cf-westeu-dev-1-kv
    location: westeurope
    subnet: vnet-cf-westeu-dev-1/snet-cf-westeu-dev-1-st
    target: /subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/rg-cf-westeu-dev-1/providers/Microsoft.KeyVault/vaults/kv-cf-westeu-dev-1-5n8o
    group_id: vault
    private_dns_zones: [privatelink.vaultcore.azure.net]
    tags: {Deployment: westeu-dev-1}
"""

RETURN = r"""
operation:
  description:
    - With O(wait=false), the long-running create or update of the endpoint that was started, to pass to
      M(complianceflow.infra.operation_wait). It holds ARM's polling URLs and the resource id, never a secret.
  returned: when O(wait=false) and Azure runs the write as a long-running operation
  type: dict
operations:
  description:
    - With O(wait=false), when the endpoint itself needed no write (or its write ended at once), the write of its
      private DNS zone group, started, to pass to M(complianceflow.infra.operation_wait). A new endpoint's zone group is
      written by the next run of the task, once the endpoint exists.
  returned: when O(wait=false) and the zone group's write was started
  type: list
  elements: dict
private_endpoint:
  description: The endpoint after the task (predicted in check mode); only its C(id) after V(absent) deleted it.
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
    subnet:
      description: Id of the subnet.
      type: str
    target:
      description: Id of the resource the endpoint connects to.
      type: str
    group_id:
      description: The target's sub-resource.
      type: str
    connection_name:
      description: Name of the private link service connection.
      type: str
    connection_state:
      description: C(Approved) (automatic approval), C(Pending), C(Rejected) or C(Disconnected); none before Azure answers.
      type: str
    private_ip_addresses:
      description: The endpoint's private addresses (empty in check mode before it exists).
      type: list
      elements: str
    private_dns_zones:
      description: Zone ids of the zone group C(default).
      type: list
      elements: str
    dns_records:
      description: The A records Azure keeps for the endpoint in those zones (C(fqdn), C(ip_addresses)).
      type: list
      elements: dict
    tags:
      description: Tags.
      type: dict
    provisioning_state:
      description: Azure provisioning state.
      type: str
skipped_missing_target:
  description: True when O(missing_target=skip) left out an endpoint whose target does not exist.
  returned: when skipped
  type: bool
"""

from ansible_collections.complianceflow.infra.plugins.module_utils._azure.module import STATE_SPEC, TAGS_SPEC, WAIT_SPEC, AzureModule
from ansible_collections.complianceflow.infra.plugins.module_utils._azure.private_endpoint import PrivateEndpoint
from ansible_collections.complianceflow.infra.plugins.module_utils._azure.runner import run


def main():
    module = AzureModule(
        argument_spec=dict(
            resource_group={"type": "str", "required": True},
            name={"type": "str", "required": True},
            location={"type": "str"},
            subnet={"type": "str"},
            target={"type": "str"},
            target_resource_group={"type": "str"},
            group_id={"type": "str"},
            connection_name={"type": "str"},
            private_dns_zones={"type": "list", "elements": "str"},
            missing_target={"type": "str", "default": "fail", "choices": ["fail", "skip"]},
            **WAIT_SPEC,
            **STATE_SPEC,
            **TAGS_SPEC,
        ),
        required_if=[("state", "present", ["target", "group_id"])],
    )
    run(PrivateEndpoint(module))


if __name__ == "__main__":
    main()
