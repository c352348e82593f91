#!/usr/bin/python
# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: key_vault_info
short_description: Read an Azure Key Vault without changing it
version_added: 1.1.0
description:
  - Reads one Key Vault. RV(key_vault) has the shape of the result of the same name of M(complianceflow.infra.key_vault),
    so a play can find a vault's data-plane URI (RV(key_vault.vault_uri)) exactly as after creating it.
  - A vault that does not exist, or whose resource group does not exist, is not an error; RV(exists) is V(false)
    and RV(key_vault) is an empty dict. A soft-deleted vault does not exist here.
options:
  resource_group:
    description: Resource group of the vault.
    type: str
    required: true
  name:
    description: Vault name.
    type: str
    required: true
  check_access:
    description:
      - Also ask the vault's data plane, as the identity running the task and from where the controller runs, whether it
        gets in (one list of secret metadata, at most one item, never a value). Nothing is written.
      - Fails with what to do when the vault refuses (403) at its firewall (C(ForbiddenByFirewall), naming the client
        address Azure saw), because public network access is disabled (C(ForbiddenByConnection)), or because the identity
        has no data-plane role (C(ForbiddenByRbac)). Run it before the first secret write into a new vault.
    type: bool
    default: false
  access_wait:
    description:
      - With O(check_access=true), seconds to keep asking while the vault answers C(ForbiddenByRbac), for a role
        assignment made moments ago (Azure takes up to 10 minutes to apply one). Other refusals fail at once.
    type: int
    default: 0
extends_documentation_fragment:
  - complianceflow.infra.attributes
  - complianceflow.infra.attributes.INFO_MODULE
  - complianceflow.infra.azure
seealso:
  - module: complianceflow.infra.key_vault
author:
  - ComplianceFlow Platform Team (@complianceflow)
"""

EXAMPLES = r"""
- name: Find the deployment's vault
  complianceflow.infra.key_vault_info:
    resource_group: rg-cf-westeu-dev-1
    name: kv-cf-westeu-dev-1-ab12
  register: vault

- name: Check this controller may use it before writing the first secret (firewall, data-plane role)
  complianceflow.infra.key_vault_info:
    resource_group: rg-cf-westeu-dev-1
    name: kv-cf-westeu-dev-1-ab12
    check_access: true
    access_wait: 600   # the role was assigned moments ago

- name: Read a secret from it when it exists
  complianceflow.infra.key_vault_secret:
    vault_uri: "{{ vault.key_vault.vault_uri }}"
    name: postgresql-admin-password
    return_value: true
  no_log: true
  when: vault.exists
"""

RETURN = r"""
exists:
  description: Whether the vault exists (V(false) also when the resource group does not).
  returned: always
  type: bool
key_vault:
  description:
    - The vault as M(complianceflow.infra.key_vault) returns it in its RV(complianceflow.infra.key_vault#module:key_vault)
      (the same keys, settings, network rules and tags); an empty dict when it does not exist.
  returned: always
  type: dict
  contains:
    id:
      description: Resource id.
      type: str
    name:
      description: Vault name.
      type: str
    vault_uri:
      description: The data-plane URI, for example V(https://kv-cf-westeu-dev-1-ab12.vault.azure.net/).
      type: str
recovered:
  description: Always V(false) (this module never recovers a vault).
  returned: always
  type: bool
access:
  description: With O(check_access=true), the outcome of the data-plane check (empty when the vault does not exist).
  returned: when O(check_access=true)
  type: dict
  contains:
    vault_uri:
      description: The URI asked.
      type: str
    allowed:
      description: Always V(true) (a refusal fails the task).
      type: bool
    attempts:
      description: How many times the vault was asked.
      type: int
    waited:
      description: Seconds spent waiting for a new role assignment to take effect.
      type: float
"""

from ansible_collections.complianceflow.infra.plugins.module_utils._azure.key_vault import KeyVaultInfo
from ansible_collections.complianceflow.infra.plugins.module_utils._azure.module import AzureModule
from ansible_collections.complianceflow.infra.plugins.module_utils._azure.runner import inspect


def main():
    module = AzureModule(argument_spec=dict(resource_group={"type": "str", "required": True}, name={"type": "str", "required": True},
                                            check_access={"type": "bool", "default": False},
                                            access_wait={"type": "int", "default": 0}))
    inspect(KeyVaultInfo(module))


if __name__ == "__main__":
    main()
