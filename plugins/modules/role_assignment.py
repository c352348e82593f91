#!/usr/bin/python
# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: role_assignment
short_description: Assign an Azure role to a principal at a scope (Azure RBAC)
version_added: 1.1.0
description:
  - Assigns a role (C(Microsoft.Authorization/roleAssignments)) to a user, group or service principal at a subscription,
    resource group or resource, for example C(Key Vault Secrets Officer) on a Key Vault for the identity that writes its
    secrets.
  - Without O(principal_id) the role goes to the identity running the task (the object id in its Azure access token,
    as the Terraform azurerm provider finds it).
  - Idempotent. The assignment's name is a GUID derived from the scope, the principal and the role, so a re-run finds it;
    an assignment of the same role to the same principal at the same scope made elsewhere (portal, CLI) under another
    name also counts as present and is left alone.
  - Azure never changes an assignment's principal, role or scope; a different role is a different assignment.
  - Assigning roles needs C(Microsoft.Authorization/roleAssignments/write) at the scope, which Owner, User Access
    Administrator and Role Based Access Control Administrator have (Contributor does not).
  - A new assignment can take up to 10 minutes to take effect in Azure.
options:
  scope:
    description:
      - Resource id of the scope, for example a vault's id (C(/subscriptions/<id>/resourceGroups/<group>/providers/Microsoft.KeyVault/vaults/<name>)),
        a resource group's (C(/subscriptions/<id>/resourceGroups/<group>)) or a subscription's (C(/subscriptions/<id>)).
    type: str
    required: true
  role:
    description:
      - A built-in role by name (V(Key Vault Secrets Officer), V(Key Vault Secrets User), V(Key Vault Reader),
        V(Key Vault Administrator), V(Key Vault Certificates Officer), V(Key Vault Crypto Officer), V(Key Vault Crypto User),
        V(Key Vault Crypto Service Encryption User),
        V(Key Vault Data Access Administrator), V(Owner), V(Contributor), V(Reader), V(User Access Administrator), V(Role Based Access Control Administrator)),
        or any role definition by its GUID or its id (C(/subscriptions/<id>/providers/Microsoft.Authorization/roleDefinitions/<GUID>)).
    type: str
    required: true
  principal_id:
    description:
      - Object id of the user, group or service principal (not the application/client id).
      - Omitted, the identity running the task.
    type: str
  principal_type:
    description:
      - Type of O(principal_id). Give it for a principal created moments ago (Azure may not know it yet in every region).
      - Omitted with O(principal_id), Azure's default applies; without O(principal_id) it is read from the access token.
    type: str
    choices: [User, Group, ServicePrincipal, ForeignGroup]
  name:
    description:
      - The assignment's name (a GUID). Omitted, a GUID derived from O(scope), the principal and the role.
    type: str
  description:
    description: Description stored with a new assignment (never compared).
    type: str
  state:
    description:
      - V(present) makes sure the principal has the role at the scope.
      - V(absent) removes that assignment (the one of this name, or the same principal, role and scope under any name).
extends_documentation_fragment:
  - complianceflow.infra.attributes
  - complianceflow.infra.azure
  - complianceflow.infra.azure.RESOURCE
attributes:
  diff_mode:
    details: Shows the scope, role definition and principal before and after.
seealso:
  - module: complianceflow.infra.key_vault
  - name: Troubleshoot Azure RBAC
    description: Deterministic assignment names, propagation time, RoleAssignmentUpdateNotPermitted.
    link: https://learn.microsoft.com/azure/role-based-access-control/troubleshooting
author:
  - ComplianceFlow Platform Team (@complianceflow)
"""

EXAMPLES = r"""
- name: Let the identity running the playbook write the vault's secrets
  complianceflow.infra.role_assignment:
    scope: "{{ vault.key_vault.id }}"
    role: Key Vault Secrets Officer

- name: Let an application's managed identity read them
  complianceflow.infra.role_assignment:
    scope: "{{ vault.key_vault.id }}"
    role: Key Vault Secrets User
    principal_id: 7f3c1a52-2b8e-4a4e-9d0a-6c2f1e5b9a11
    principal_type: ServicePrincipal

- name: Remove it again
  complianceflow.infra.role_assignment:
    scope: "{{ vault.key_vault.id }}"
    role: Key Vault Secrets User
    principal_id: 7f3c1a52-2b8e-4a4e-9d0a-6c2f1e5b9a11
    state: absent
"""

RETURN = r"""
role_assignment:
  description: The assignment after the task (predicted in check mode); only its C(id) after V(absent) deleted it.
  returned: always
  type: dict
  contains:
    id:
      description: Resource id (C(<scope>/providers/Microsoft.Authorization/roleAssignments/<name>)).
      type: str
    name:
      description: The assignment's GUID.
      type: str
    scope:
      description: Scope.
      type: str
    role_definition_id:
      description: Role definition id.
      type: str
    role:
      description: The built-in role's name, or the role definition GUID of another role.
      type: str
    principal_id:
      description: Object id of the principal.
      type: str
    principal_type:
      description: Type of the principal.
      type: str
    description:
      description: Description, when one was stored.
      type: str
"""

from ansible_collections.complianceflow.infra.plugins.module_utils._azure.module import STATE_SPEC, AzureModule
from ansible_collections.complianceflow.infra.plugins.module_utils._azure.role_assignment import PRINCIPAL_TYPES, RoleAssignment
from ansible_collections.complianceflow.infra.plugins.module_utils._azure.runner import run


def main():
    module = AzureModule(
        argument_spec=dict(
            scope={"type": "str", "required": True},
            role={"type": "str", "required": True},
            principal_id={"type": "str"},
            principal_type={"type": "str", "choices": list(PRINCIPAL_TYPES)},
            name={"type": "str"},
            description={"type": "str"},
            **STATE_SPEC,
        ),
    )
    run(RoleAssignment(module))


if __name__ == "__main__":
    main()
