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
"""

from ansible_collections.complianceflow.infra.plugins.module_utils._azure.key_vault import KeyVault
from ansible_collections.complianceflow.infra.plugins.module_utils._azure.module import AzureModule
from ansible_collections.complianceflow.infra.plugins.module_utils._azure.runner import inspect


def main():
    module = AzureModule(argument_spec=dict(resource_group={"type": "str", "required": True}, name={"type": "str", "required": True}))
    inspect(KeyVault(module))


if __name__ == "__main__":
    main()
