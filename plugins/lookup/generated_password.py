# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Lookup complianceflow.infra.generated_password: thin wrapper over module_utils._azure.key_vault_secret.generate_password."""

from __future__ import annotations

DOCUMENTATION = r"""
name: generated_password
short_description: A new random password that Azure's administrator password rules accept
version_added: 1.2.0
author: ComplianceFlow Platform Team (@complianceflow)
description:
  - Returns one new password, made on the controller from Python's C(secrets) module, with upper-case and lower-case
    letters, digits and symbols (C(-.!*+=~^)), starting with a letter. Azure Database for PostgreSQL requires 8-128
    characters and three of those four classes; every password this returns has all four.
  - Never three letters or digits in a row. Azure refuses an administrator password that holds all or part of the
    login, a part being three or more consecutive alphanumeric characters of it (a create failed minutes later on
    Azure); such a password holds no part of any login. About 5.2 bits a character (some 160 bits in 32).
  - The same generator as M(complianceflow.infra.key_vault_secret) with O(complianceflow.infra.key_vault_secret#module:generate=true).
  - Nothing is stored. A task that uses it must keep the value out of the output (C(no_log)) and store it where it
    belongs (a Key Vault secret). Each call returns a different value.
options:
  length:
    description: Number of characters (8-128).
    type: int
    default: 32
"""

EXAMPLES = r"""
- name: Administrator password of a server created in this run (stored in the vault by a later task)
  ansible.builtin.set_fact:
    new_admin_password: "{{ lookup('complianceflow.infra.generated_password', length=32) }}"
  no_log: true
"""

RETURN = r"""
_raw:
  description: One password (a list of one string, as every lookup returns).
  type: list
  elements: str
"""

from ansible.errors import AnsibleLookupError
from ansible.plugins.lookup import LookupBase

from ansible_collections.complianceflow.infra.plugins.module_utils._azure.key_vault_secret import generate_password
from ansible_collections.complianceflow.infra.plugins.module_utils._azure.values import AzureInputError


class LookupModule(LookupBase):

    def run(self, terms, variables=None, **kwargs):
        if terms:
            raise AnsibleLookupError(f"generated_password takes no terms (got {len(terms)}); give only length=")
        self.set_options(var_options=variables, direct=kwargs)
        try:
            return [generate_password(self.get_option("length"))]
        except AzureInputError as err:
            raise AnsibleLookupError(str(err)) from None
