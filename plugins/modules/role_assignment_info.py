#!/usr/bin/python
# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: role_assignment_info
short_description: List the Azure roles a principal holds at a scope and whether they allow given operations
version_added: 1.1.0
description:
  - Lists the role assignments (C(Microsoft.Authorization/roleAssignments)) that apply to a user or service principal at a
    subscription, resource group or resource, those at the scope and those inherited from above it, including the
    assignments of the groups the principal is a member of (Azure's C(atScope() and assignedTo('<object id>')) filter).
  - Without O(principal_id), the identity running the task (the object id in its Azure access token).
  - With O(actions), reads the role definitions of those assignments and reports for each operation whether one of the
    roles grants it (a role grants what its C(actions) match minus its C(notActions); C(*) is a wildcard). Deny
    assignments are not read, and the conditions of an assignment are not evaluated (RV(conditional) lists the operations
    granted only through assignments with a condition).
  - A scope that does not exist yet (a resource group the deployment is about to create) is not an error; RV(exists) is
    V(false) and the assignments that would apply to it (those of its nearest existing parent, usually the subscription)
    are listed and evaluated.
  - Listing role assignments needs C(Microsoft.Authorization/roleAssignments/read) at the scope (every built-in role
    that reads, such as Reader, has it through C(*/read)); without it the task fails with Azure's C(AuthorizationFailed).
options:
  scope:
    description:
      - Resource id of the scope, for example a subscription's (C(/subscriptions/<id>)), a resource group's
        (C(/subscriptions/<id>/resourceGroups/<group>)) or a vault's.
      - Omitted, the subscription of the task.
    type: str
  principal_id:
    description:
      - Object id of a user or service principal (not of a group, and not the application/client id).
      - Omitted, the identity running the task.
    type: str
  actions:
    description:
      - Control-plane operations to evaluate, such as V(Microsoft.Network/virtualNetworks/write),
        V(Microsoft.Authorization/roleAssignments/write) or V(Microsoft.Network/register/action)
        (the names of Azure's resource provider operations).
    type: list
    elements: str
    default: []
extends_documentation_fragment:
  - complianceflow.infra.attributes
  - complianceflow.infra.attributes.INFO_MODULE
  - complianceflow.infra.azure
seealso:
  - module: complianceflow.infra.role_assignment
  - name: List Azure role assignments using the REST API
    description: The filters, and that assignedTo includes the principal's groups.
    link: https://learn.microsoft.com/azure/role-based-access-control/role-assignments-list-rest
  - name: Understand Azure role definitions
    description: Actions, NotActions and wildcards.
    link: https://learn.microsoft.com/azure/role-based-access-control/role-definitions
author:
  - ComplianceFlow Platform Team (@complianceflow)
"""

EXAMPLES = r"""
- name: May the identity running the playbook deploy into the group and assign Key Vault roles there?
  complianceflow.infra.role_assignment_info:
    scope: /subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/rg-cf-westeu-dev-1
    actions:
      - Microsoft.Resources/subscriptions/resourceGroups/write
      - Microsoft.Network/virtualNetworks/write
      - Microsoft.Authorization/roleAssignments/write
  register: rights

- name: Say what is missing
  ansible.builtin.debug:
    msg: "missing: {{ rights.missing_actions | join(', ') }} (roles: {{ rights.roles | join(', ') }})"
  when: rights.missing_actions | length > 0
"""

RETURN = r"""
exists:
  description: Whether the scope exists. V(false) for a resource group or resource not created yet.
  returned: always
  type: bool
scope:
  description: The scope asked about.
  returned: always
  type: str
listed_at:
  description: Where the assignments were listed; the scope itself, or its nearest existing parent when it does not exist.
  returned: always
  type: str
principal:
  description: The principal. Without O(principal_id), what its access token says of the identity running the task.
  returned: always
  type: dict
  contains:
    object_id:
      description: Object id.
      type: str
    principal_type:
      description: V(User) or V(ServicePrincipal) (from the token only).
      type: str
    tenant_id:
      description: Tenant id (from the token only).
      type: str
    client_id:
      description: Application (client) id (from the token only).
      type: str
role_assignments:
  description: The assignments that apply, at the scope and above, the principal's own and its groups'.
  returned: always
  type: list
  elements: dict
  contains:
    id:
      description: Resource id of the assignment.
      type: str
    scope:
      description: Where it is assigned.
      type: str
    role:
      description: The role's name (from its definition), or its definition GUID when the definition could not be read.
      type: str
    role_definition_id:
      description: Role definition id.
      type: str
    principal_id:
      description: The principal it is assigned to (a group's id for an assignment inherited through a group).
      type: str
    principal_type:
      description: Type of that principal.
      type: str
    condition:
      description: The assignment's condition, if any (not evaluated).
      type: str
roles:
  description: Names of the roles, sorted.
  returned: always
  type: list
  elements: str
permissions:
  description: For each operation of O(actions), whether a role of the principal grants it at the scope.
  returned: always
  type: dict
  sample: {Microsoft.Network/virtualNetworks/write: true, Microsoft.Authorization/roleAssignments/write: false}
granted_through:
  description: For each operation of O(actions), the roles that grant it.
  returned: always
  type: dict
missing_actions:
  description: The operations of O(actions) no role grants, in the order given.
  returned: always
  type: list
  elements: str
conditional:
  description: Operations granted only through assignments that carry a condition (which may not allow them).
  returned: always
  type: list
  elements: str
unreadable_definitions:
  description: Role definition ids of assignments whose definition could not be read (404); they grant nothing here.
  returned: always
  type: list
  elements: str
"""

from ansible_collections.complianceflow.infra.plugins.module_utils._azure.module import AzureModule
from ansible_collections.complianceflow.infra.plugins.module_utils._azure.role_assignment_info import RoleAssignmentsInfo
from ansible_collections.complianceflow.infra.plugins.module_utils._azure.runner import inspect


def main():
    module = AzureModule(argument_spec=dict(scope={"type": "str"}, principal_id={"type": "str"},
                                            actions={"type": "list", "elements": "str", "default": []}))
    inspect(RoleAssignmentsInfo(module))


if __name__ == "__main__":
    main()
