#!/usr/bin/python
# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: key_vault_key
short_description: A Key Vault RSA key (a customer-managed key), its rotation and its revocation
version_added: 1.1.0
description:
  - Ensures an RSA key exists in a Key Vault (data plane, C(azure-keyvault-keys)), for example the customer-managed key
    of a tenant's PostgreSQL server (docs/tenant-servers.md). An absent key is created as declared
    (O(key_type), O(key_size), O(key_ops)).
  - O(rotate=true) makes a new version of an existing key (Key Vault's CreateKey on an existing name) with the declared
    type and size; the new version becomes the current one and older versions stay usable until disabled. Servers that
    name a versioned key keep using their version until they are pointed at the new one.
  - O(enabled=false) disables the key's current version (UpdateKey), the revocation of a customer-managed key. A server
    encrypted with it becomes Inaccessible (learn.microsoft.com azure/postgresql/flexible-server/concepts-data-encryption).
    O(enabled=true) enables it again.
  - A key whose type or size differs from the declaration is never changed (a key's material cannot change); a warning
    says so, and O(rotate=true) applies the declaration.
  - V(absent) deletes the key (soft delete for the vault's retention); O(purge=true) also purges it (refused by Azure
    under purge protection). A soft-deleted key of the same name is recovered, never replaced.
  - Only the public part of the key is ever read; the private key never leaves the vault.
  - At most 15 tags with names of at most 256 characters (Key Vault's limits for a key); more fail before any call.
options:
  vault_uri:
    description: The vault's data-plane URI, as the M(complianceflow.infra.key_vault) module returns it in C(key_vault.vault_uri).
    type: str
    required: true
  name:
    description: Key name (1-127 letters, digits and hyphens).
    type: str
    required: true
  key_type:
    description: V(RSA) (software-protected) or V(RSA-HSM) (HSM-protected, needs a Premium vault).
    type: str
    default: RSA
    choices: [RSA, RSA-HSM]
  key_size:
    description: RSA key size in bits; Azure Database for PostgreSQL accepts 2048, 3072 and 4096.
    type: int
    default: 3072
  key_ops:
    description: Operations the key permits; a customer-managed key for PostgreSQL needs V(wrapKey) and V(unwrapKey).
    type: list
    elements: str
    default: [wrapKey, unwrapKey]
  enabled:
    description: Enable (V(true)) or disable (V(false), revocation) the current version; omitted, it is left as it is (a new key is enabled).
    type: bool
  rotate:
    description: Make a new version of an existing key (always a change).
    type: bool
    default: false
  purge:
    description: With O(state=absent), also purge the deleted key (refused under purge protection).
    type: bool
    default: false
  state:
    description: V(present) ensures the key exists; V(absent) deletes it.
extends_documentation_fragment:
  - complianceflow.infra.attributes
  - complianceflow.infra.azure
  - complianceflow.infra.azure.TAGS
  - complianceflow.infra.azure.RESOURCE
attributes:
  diff_mode:
    details: Shows the key's current version, enabled state, type, size and tags.
  idempotent:
    details: A second run with the same options changes nothing; O(rotate=true) always makes a new version.
requirements:
  - azure-keyvault-keys >= 4.8
author:
  - ComplianceFlow Platform Team (@complianceflow)
"""

EXAMPLES = r"""
- name: The customer-managed key of acme's server
  complianceflow.infra.key_vault_key:
    vault_uri: "{{ tenant_vault.key_vault.vault_uri }}"
    name: postgresql-cmk
    key_size: 3072
  register: cmk

- name: Rotate it (a new version; then point the server's data_encryption.primary_key_uri at cmk.key.id)
  complianceflow.infra.key_vault_key:
    vault_uri: "{{ tenant_vault.key_vault.vault_uri }}"
    name: postgresql-cmk
    rotate: true

- name: Revoke it (the server becomes Inaccessible)
  complianceflow.infra.key_vault_key:
    vault_uri: "{{ tenant_vault.key_vault.vault_uri }}"
    name: postgresql-cmk
    enabled: false
"""

RETURN = r"""
key:
  description: The key after the task (public metadata only); only its C(id) after V(absent) deleted it.
  returned: always
  type: dict
  contains:
    name:
      description: Key name.
      type: str
    id:
      description: Key identifier with its version (what a server's data_encryption.primary_key_uri names).
      type: str
      sample: https://kv-acme-1x2y3z.vault.azure.net/keys/postgresql-cmk/0123456789abcdef0123456789abcdef
    versionless_id:
      description: Key identifier without its version.
      type: str
    version:
      description: Current version.
      type: str
    vault_uri:
      description: The vault's URI.
      type: str
    enabled:
      description: Whether the current version is enabled.
      type: bool
    key_type:
      description: Key type (RSA, RSA-HSM).
      type: str
    key_size:
      description: Key size in bits.
      type: int
    key_ops:
      description: Permitted operations.
      type: list
      elements: str
    tags:
      description: Tags of the current version.
      type: dict
    expires_on:
      description: Expiry (ISO 8601) or null.
      type: str
    not_before:
      description: Activation date (ISO 8601) or null.
      type: str
    created_on:
      description: Creation time of the current version (ISO 8601).
      type: str
    updated_on:
      description: Last update time (ISO 8601).
      type: str
rotated:
  description: Whether this run made a new version of an existing key.
  returned: always
  type: bool
previous_id:
  description: The versioned id that was current before a rotation.
  returned: when RV(rotated) is true
  type: str
"""

from ansible_collections.complianceflow.infra.plugins.module_utils._azure.key_vault_key import Key
from ansible_collections.complianceflow.infra.plugins.module_utils._azure.module import STATE_SPEC, TAGS_SPEC, AzureModule
from ansible_collections.complianceflow.infra.plugins.module_utils._azure.runner import run


def main():
    module = AzureModule(
        argument_spec=dict(
            vault_uri={"type": "str", "required": True},
            name={"type": "str", "required": True},
            key_type={"type": "str", "default": "RSA", "choices": ["RSA", "RSA-HSM"]},
            key_size={"type": "int", "default": 3072},
            key_ops={"type": "list", "elements": "str", "default": ["wrapKey", "unwrapKey"], "no_log": False},
            enabled={"type": "bool"},
            rotate={"type": "bool", "default": False},
            purge={"type": "bool", "default": False},
            **STATE_SPEC,
            **TAGS_SPEC,
        ),
    )
    run(Key(module))


if __name__ == "__main__":
    main()
