#!/usr/bin/python
# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: private_dns_zone
short_description: Manage an Azure private DNS zone and its virtual network links
version_added: 1.0.0
description:
  - Creates or updates a private DNS zone (for example V(privatelink.postgres.database.azure.com)) and links it to
    virtual networks, or deletes it with its links.
  - Links that exist in Azure but are not listed are kept unless O(purge_virtual_network_links=true).
  - Link writes are started together and then awaited, so several links cost one wait.
  - A change of a link is a PUT of the link; it keeps the link's resolution policy and tags.
  - A zone takes at most 15 tags (Azure refuses the 16th, for private and public zones); more, counting those
    O(purge_tags=false) keeps, fail before any call.
  - A tag name with a space or a colon is refused before any call (Azure keeps no such tag on a zone, so it would
    change on every run), and so are parentheses and a leading digit (refused in DNS zones' tags).
options:
  resource_group:
    description: Resource group of the zone.
    type: str
    required: true
  name:
    description: The zone name, a DNS name of two or more labels.
    type: str
    required: true
  virtual_network_links:
    description: Links of the zone to virtual networks. Left alone when omitted.
    type: list
    elements: dict
    suboptions:
      name:
        description: Name of the link.
        type: str
        required: true
      virtual_network:
        description: The virtual network, by name (in O(resource_group)) or by resource id.
        type: str
        required: true
      registration_enabled:
        description: Whether virtual machines of the network register their records automatically.
        type: bool
        default: false
  purge_virtual_network_links:
    description: Remove links that exist in Azure but are not listed in O(virtual_network_links).
    type: bool
    default: false
  state:
    description: V(present) creates or updates; V(absent) deletes the links, then the zone.
extends_documentation_fragment:
  - complianceflow.infra.attributes
  - complianceflow.infra.azure
  - complianceflow.infra.azure.TAGS
  - complianceflow.infra.azure.RESOURCE
  - complianceflow.infra.azure.WAIT
attributes:
  diff_mode:
    details: Shows before and after of tags and of the listed (and purged) links.
author:
  - ComplianceFlow Platform Team (@complianceflow)
"""

EXAMPLES = r"""
- name: PostgreSQL private DNS zone linked to the deployment's network
  complianceflow.infra.private_dns_zone:
    resource_group: rg-cf-westeu-dev-1
    name: privatelink.postgres.database.azure.com
    virtual_network_links:
      - name: vnet-cf-westeu-dev-1-link
        virtual_network: vnet-cf-westeu-dev-1
    tags: {Deployment: westeu-dev-1}
"""

RETURN = r"""
operation:
  description:
    - With O(wait=false), the long-running create or update of the zone that was started, to pass to
      M(complianceflow.infra.operation_wait). It holds ARM's polling URLs and the resource id, never a secret.
  returned: when O(wait=false) and Azure runs the write as a long-running operation
  type: dict
operations:
  description:
    - With O(wait=false), when the zone itself needed no write (or its write ended at once), the writes of its virtual
      network links, started side by side, to pass to M(complianceflow.infra.operation_wait). A new zone's links are
      written by the next run of the task, once the zone exists.
  returned: when O(wait=false) and link writes were started
  type: list
  elements: dict
private_dns_zone:
  description: The zone after the task (predicted in check mode); only its C(id) after V(absent) deleted it.
  returned: always
  type: dict
  contains:
    id:
      description: Resource id.
      type: str
    name:
      description: Zone name.
      type: str
    tags:
      description: Tags.
      type: dict
    number_of_record_sets:
      description: Record sets in the zone (SOA included).
      type: int
    provisioning_state:
      description: Azure provisioning state.
      type: str
    virtual_network_links:
      description: All links of the zone.
      type: list
      elements: dict
      contains:
        name:
          description: Link name.
          type: str
        id:
          description: Link resource id.
          type: str
        virtual_network:
          description: Id of the linked network.
          type: str
        registration_enabled:
          description: Auto-registration.
          type: bool
        state:
          description: Azure's link state (V(Completed), V(InProgress)).
          type: str
"""

from ansible_collections.complianceflow.infra.plugins.module_utils._azure.module import STATE_SPEC, TAGS_SPEC, WAIT_SPEC, AzureModule
from ansible_collections.complianceflow.infra.plugins.module_utils._azure.private_dns_zone import PrivateDnsZone
from ansible_collections.complianceflow.infra.plugins.module_utils._azure.runner import run

LINK_SPEC = dict(
    name={"type": "str", "required": True},
    virtual_network={"type": "str", "required": True},
    registration_enabled={"type": "bool", "default": False},
)


def main():
    module = AzureModule(
        argument_spec=dict(
            resource_group={"type": "str", "required": True},
            name={"type": "str", "required": True},
            virtual_network_links={"type": "list", "elements": "dict", "options": LINK_SPEC},
            purge_virtual_network_links={"type": "bool", "default": False},
            **WAIT_SPEC,
            **STATE_SPEC,
            **TAGS_SPEC,
        ),
    )
    run(PrivateDnsZone(module))


if __name__ == "__main__":
    main()
