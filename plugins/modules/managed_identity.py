#!/usr/bin/python
# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: managed_identity
short_description: Manage a user-assigned managed identity (Microsoft.ManagedIdentity/userAssignedIdentities)
version_added: 1.1.0
description:
  - Creates or updates a user-assigned managed identity (api-version 2026-05-31), deletes it with O(state=absent).
  - Azure gives the identity a service principal; RV(identity.principal_id) is its object id, what
    M(complianceflow.infra.role_assignment) takes as C(principal_id) (with C(principal_type=ServicePrincipal)), and
    RV(identity.client_id) is what an application asks tokens for. Both are read-only and never change.
  - Deleting the identity does not delete its role assignments; Azure keeps them with an unknown principal. Remove them
    first where they outlive the identity's resource group.
  - In check mode a new identity is predicted without ids (Azure makes them at creation).
options:
  resource_group:
    description: Resource group of the identity.
    type: str
    required: true
  name:
    description: Identity name (3-128 letters, digits, hyphens and underscores, starting with a letter or digit).
    type: str
    required: true
  location:
    description: Azure location. Required to create the identity; an identity cannot move.
    type: str
  isolation_scope:
    description: V(Regional) restricts the identity's assignment to resources of its region; V(None) does not.
    type: str
    choices: [None, Regional]
  state:
    description: V(present) creates or updates; V(absent) deletes the identity.
extends_documentation_fragment:
  - complianceflow.infra.attributes
  - complianceflow.infra.azure
  - complianceflow.infra.azure.TAGS
  - complianceflow.infra.azure.RESOURCE
attributes:
  diff_mode:
    details: Shows before and after of the tags and isolation scope given.
seealso:
  - module: complianceflow.infra.role_assignment
author:
  - ComplianceFlow Platform Team (@complianceflow)
"""

EXAMPLES = r"""
- name: The apps' identity of westeu-dev-1
  complianceflow.infra.managed_identity:
    resource_group: rg-cf-westeu-dev-1
    name: id-cf-westeu-dev-1
    location: westeurope
    tags: {Deployment: westeu-dev-1}
  register: apps_identity

- name: Let it pull from the registry
  complianceflow.infra.role_assignment:
    scope: "{{ registry_id }}"
    role: AcrPull
    principal_id: "{{ apps_identity.identity.principal_id }}"
    principal_type: ServicePrincipal
"""

RETURN = r"""
identity:
  description: The identity after the task (predicted in check mode, without ids for a new one); only its C(id) after V(absent) deleted it.
  returned: always
  type: dict
  contains:
    id:
      description: Resource id (what an app's C(identity.userAssignedIdentities) names).
      type: str
    name:
      description: Name.
      type: str
    location:
      description: Azure location.
      type: str
    principal_id:
      description: Object id of the identity's service principal (for role assignments).
      type: str
    client_id:
      description: Client (application) id of the identity (what an app asks tokens for).
      type: str
    tenant_id:
      description: Tenant of the identity.
      type: str
    isolation_scope:
      description: V(None) or V(Regional), when set.
      type: str
    tags:
      description: Tags.
      type: dict
"""

from ansible_collections.complianceflow.infra.plugins.module_utils._azure.managed_identity import ISOLATION_SCOPES, ManagedIdentity
from ansible_collections.complianceflow.infra.plugins.module_utils._azure.module import STATE_SPEC, TAGS_SPEC, AzureModule
from ansible_collections.complianceflow.infra.plugins.module_utils._azure.runner import run


def main():
    module = AzureModule(
        argument_spec=dict(
            resource_group={"type": "str", "required": True},
            name={"type": "str", "required": True},
            location={"type": "str"},
            isolation_scope={"type": "str", "choices": list(ISOLATION_SCOPES)},
            **STATE_SPEC,
            **TAGS_SPEC,
        ),
    )
    run(ManagedIdentity(module))


if __name__ == "__main__":
    main()
