#!/usr/bin/python
# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: resource_group
short_description: Create, tag or delete an Azure resource group
version_added: 1.0.0
description:
  - Creates an Azure resource group, keeps its tags, or deletes it with everything in it.
  - A change of tags alone is a PATCH of the tags.
options:
  name:
    description: Name of the resource group.
    type: str
    required: true
  location:
    description:
      - Azure location, for example V(westeurope). Required to create the group.
      - A group cannot move; a location other than the existing group's fails.
    type: str
  state:
    description:
      - V(present) creates the group or updates its tags.
      - V(absent) deletes the group and B(every resource in it) (a long-running operation bounded by O(timeout)).
      - A group holding a blob container whose immutability policy is locked is not deleted (in check mode too, before any
        delete), since Azure would delete the rest of the group, keep that storage account while blobs are under retention and
        fail the delete (C(ResourceGroupDeletionBlocked)).
extends_documentation_fragment:
  - complianceflow.infra.attributes
  - complianceflow.infra.azure
  - complianceflow.infra.azure.TAGS
  - complianceflow.infra.azure.RESOURCE
attributes:
  diff_mode:
    details: Shows location and tags before and after.
author:
  - ComplianceFlow Platform Team (@complianceflow)
"""

EXAMPLES = r"""
- name: Resource group of westeu-dev-1
  complianceflow.infra.resource_group:
    name: rg-cf-westeu-dev-1
    location: westeurope
    tags:
      Deployment: westeu-dev-1
      Environment: dev

- name: Add one tag, keep the others
  complianceflow.infra.resource_group:
    name: rg-cf-westeu-dev-1
    tags: {Owner: DevOps}
    purge_tags: false

- name: Tear the deployment down (deletes everything in the group)
  complianceflow.infra.resource_group:
    name: rg-cf-westeu-dev-1
    state: absent
    timeout: 1800
"""

RETURN = r"""
resource_group:
  description: The group after the task (predicted in check mode); only its C(id) after V(absent) deleted it.
  returned: always
  type: dict
  contains:
    id:
      description: Resource id.
      type: str
      sample: /subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/rg-cf-westeu-dev-1
    name:
      description: Name.
      type: str
    location:
      description: Azure location.
      type: str
      sample: westeurope
    tags:
      description: Tags.
      type: dict
    provisioning_state:
      description: Azure provisioning state.
      type: str
      sample: Succeeded
"""

from ansible_collections.complianceflow.infra.plugins.module_utils._azure.module import STATE_SPEC, TAGS_SPEC, AzureModule
from ansible_collections.complianceflow.infra.plugins.module_utils._azure.resource_group import ResourceGroup
from ansible_collections.complianceflow.infra.plugins.module_utils._azure.runner import run


def main():
    module = AzureModule(argument_spec=dict(name={"type": "str", "required": True}, location={"type": "str"}, **STATE_SPEC, **TAGS_SPEC))
    run(ResourceGroup(module))


if __name__ == "__main__":
    main()
