#!/usr/bin/python
# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: key_vault_secret
short_description: Create a Key Vault secret once, never rotating it unless asked
version_added: 1.0.0
description:
  - Ensures a secret exists in a Key Vault (data plane, C(azure-keyvault-secrets)). An absent secret is created from
    O(value) or, with O(generate=true), from a random password made here to Azure's complexity rules (all four
    character classes, O(length) characters, never three letters or digits in a row so that it holds no part of any
    administrator login) with Python's C(secrets) module. The generated value never leaves the module unless
    O(return_value=true).
  - An existing secret is never given a new version unless O(rotate=true) (new value from O(value) or generated) or
    O(force=true) with an O(value) that differs. Tags and content type are updated without a new version.
  - Without O(value) and O(generate) the task only reads an existing secret (with O(return_value=true), its value) and
    fails, before any write, when the secret does not exist.
  - The secret's value is returned only with O(return_value=true), and then only in a task that sets C(no_log) to true
    (the module refuses otherwise), so the value never appears in output, even at C(-vvv).
  - V(absent) deletes the secret (Azure keeps it soft-deleted for the vault's retention); O(purge=true) also purges it.
  - Key Vault's limits fail before any call, the value never named in the message. At most 15 tags (counting those
    O(purge_tags=false) keeps), a value of at most 25 KB, a content type of at most 255 characters.
options:
  vault_uri:
    description: The vault's data-plane URI, as the M(complianceflow.infra.key_vault) module returns it in C(key_vault.vault_uri).
    type: str
    required: true
  name:
    description: Secret name (1-127 letters, digits and hyphens).
    type: str
    required: true
  value:
    description: The value to store when the secret is created (or with O(force)/O(rotate)). Never logged.
    type: str
  generate:
    description: Generate the value (a password) when the secret is created or rotated. Mutually exclusive with O(value).
    type: bool
    default: false
  length:
    description: Length of a generated password (8-128).
    type: int
    default: 32
  content_type:
    description: Content type stored with the secret, for example V(password).
    type: str
  rotate:
    description: Store a new version even though the secret exists (from O(value), or generated with O(generate)).
    type: bool
    default: false
  force:
    description: Store O(value) as a new version when it differs from the current value.
    type: bool
    default: false
  return_value:
    description:
      - Return the current value as RV(value). Only allowed in a task that sets C(no_log) to true.
    type: bool
    default: false
  purge:
    description: With O(state=absent), also purge the deleted secret (refused by Azure under purge protection).
    type: bool
    default: false
  state:
    description: V(present) ensures the secret exists; V(absent) deletes it.
extends_documentation_fragment:
  - complianceflow.infra.attributes
  - complianceflow.infra.azure
  - complianceflow.infra.azure.TAGS
  - complianceflow.infra.azure.RESOURCE
attributes:
  diff_mode:
    details: Shows the secret's existence, version, content type and tags; never its value.
  idempotent:
    details: A second run with the same options changes nothing; O(rotate=true) always makes a new version.
requirements:
  - azure-keyvault-secrets >= 4.8
author:
  - ComplianceFlow Platform Team (@complianceflow)
"""

EXAMPLES = r"""
- name: PostgreSQL administrator password, generated once
  complianceflow.infra.key_vault_secret:
    vault_uri: "{{ vault.key_vault.vault_uri }}"
    name: postgresql-admin-password
    generate: true
    length: 32
    content_type: password

- name: Read it for the database tasks (the value stays out of the output; a missing secret fails)
  complianceflow.infra.key_vault_secret:
    vault_uri: "{{ vault.key_vault.vault_uri }}"
    name: postgresql-admin-password
    return_value: true
  no_log: true
  register: admin_secret
"""

RETURN = r"""
secret:
  description: The secret's metadata after the task (never its value); only its C(id) after V(absent) deleted it.
  returned: always
  type: dict
  contains:
    name:
      description: Secret name.
      type: str
    id:
      description: Secret identifier with version.
      type: str
    version:
      description: Current version.
      type: str
    vault_uri:
      description: The vault's URI.
      type: str
    enabled:
      description: Whether the secret is enabled.
      type: bool
    content_type:
      description: Content type.
      type: str
    tags:
      description: Tags.
      type: dict
    created_on:
      description: Creation time of the current version (ISO 8601).
      type: str
    updated_on:
      description: Last update time (ISO 8601).
      type: str
value:
  description: The secret's current value.
  returned: when O(return_value=true) (in a C(no_log) task) and the secret exists
  type: str
generated:
  description: Whether this run generated the stored value.
  returned: always
  type: bool
"""

from ansible_collections.complianceflow.infra.plugins.module_utils._azure.key_vault_secret import Secret
from ansible_collections.complianceflow.infra.plugins.module_utils._azure.module import STATE_SPEC, TAGS_SPEC, AzureModule
from ansible_collections.complianceflow.infra.plugins.module_utils._azure.runner import run


def main():
    module = AzureModule(
        argument_spec=dict(
            vault_uri={"type": "str", "required": True},
            name={"type": "str", "required": True},
            value={"type": "str", "no_log": True},
            generate={"type": "bool", "default": False},
            length={"type": "int", "default": 32},
            content_type={"type": "str"},
            rotate={"type": "bool", "default": False},
            force={"type": "bool", "default": False},
            return_value={"type": "bool", "default": False},
            purge={"type": "bool", "default": False},
            **STATE_SPEC,
            **TAGS_SPEC,
        ),
        mutually_exclusive=[("value", "generate")],
    )
    run(Secret(module))


if __name__ == "__main__":
    main()
