#!/usr/bin/python
# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: storage_account
short_description: Manage a storage account, its blob service settings and its containers' time-based immutability
version_added: 1.1.0
description:
  - Creates or updates a storage account (C(Microsoft.Storage/storageAccounts)), the settings of its blob service
    (soft delete of blobs and containers, versioning) and the containers it lists, each with an optional time-based
    immutability policy (for example 2556 days, 7 years, for audit evidence).
  - Only the options given are compared; containers not listed are left alone.
  - A locked immutability policy can only be lengthened. The module refuses, before any call, to shorten or unlock one;
    locking (O(containers[].immutability_locked)) cannot be undone.
  - The account's access keys are never read or returned.
  - Tag names of a storage account have at most 128 characters (Microsoft Learn, tag-resources); a longer one fails
    before any call.
  - A change of the blob service settings is a PUT of the blob service; it keeps the service's other settings (CORS,
    change feed, point-in-time restore, last-access tracking) as they are.
  - A change of the account's own options is a PUT of the account (a tags-only change a PATCH). It sends back, as the
    account has them, the options the task leaves out and the properties this module does not manage (its firewall
    rules, encryption keys, routing, identity, ...), as Terraform's azurerm provider does, so a TLS or SKU change does
    not reset them.
options:
  resource_group:
    description: Resource group of the account.
    type: str
    required: true
  name:
    description: Account name (3-24 lowercase letters and digits, unique across Azure).
    type: str
    required: true
  location:
    description: Azure location. Required to create the account; an account cannot move.
    type: str
  sku:
    description: Redundancy (SKU name). Required to create the account.
    type: str
    choices: [Standard_LRS, Standard_GRS, Standard_RAGRS, Standard_ZRS, Premium_LRS, Premium_ZRS, Standard_GZRS,
              Standard_RAGZRS, StandardV2_LRS, StandardV2_GRS, StandardV2_ZRS, StandardV2_GZRS, PremiumV2_LRS, PremiumV2_ZRS]
  kind:
    description: Account kind. A new account is V(StorageV2) when omitted; the module never changes the kind of an existing one.
    type: str
    choices: [Storage, StorageV2, BlobStorage, FileStorage, BlockBlobStorage]
  minimum_tls_version:
    description: Oldest TLS version the account accepts (Azure Storage does not support TLS 1.3 as a minimum).
    type: str
    choices: [TLS1_0, TLS1_1, TLS1_2]
  allow_blob_public_access:
    description: Whether containers may be made public (anonymous read).
    type: bool
  allow_shared_key_access:
    description: Whether requests signed with the account keys (and SAS made from them) are accepted; V(false) means Microsoft Entra only.
    type: bool
  public_network_access:
    description: Access over the public endpoint (V(Disabled) leaves private endpoints only).
    type: str
    choices: [Enabled, Disabled, SecuredByPerimeter]
  https_only:
    description: Refuse plain HTTP requests (C(supportsHttpsTrafficOnly)).
    type: bool
  blob_service:
    description: Settings of the account's blob service (C(blobServices/default)).
    type: dict
    suboptions:
      delete_retention_days:
        description: Blob soft delete, days kept (1-365); V(0) turns it off.
        type: int
      container_delete_retention_days:
        description: Container soft delete, days kept (1-365); V(0) turns it off.
        type: int
      versioning:
        description: Keep previous versions of blobs.
        type: bool
  containers:
    description: Containers to create (never public), each with an optional time-based immutability policy.
    type: list
    elements: dict
    suboptions:
      name:
        description: Container name (3-63 lowercase letters, digits and single hyphens).
        type: str
        required: true
      immutability_period_days:
        description:
          - Time-based retention in days since each blob's creation (1-146000). An unlocked policy is set to this value;
            a locked one is extended to it, and a shorter value is refused.
        type: int
      immutability_locked:
        description:
          - Lock the policy (compliance mode). Once locked it can never be unlocked, shortened or deleted, and the
            container and account cannot be deleted while they hold protected data. V(false) only asserts that it is
            not locked (a locked policy fails the task).
        type: bool
  state:
    description: V(present) creates or updates; V(absent) deletes the account with its data (Azure refuses while a locked
      immutability policy protects data in it).
extends_documentation_fragment:
  - complianceflow.infra.attributes
  - complianceflow.infra.azure
  - complianceflow.infra.azure.TAGS
  - complianceflow.infra.azure.RESOURCE
author:
  - ComplianceFlow Platform Team (@complianceflow)
"""

EXAMPLES = r"""
- name: Storage of westeu-dev-1, private, with an audit container kept 7 years (unlocked outside prod)
  complianceflow.infra.storage_account:
    resource_group: rg-cf-westeu-dev-1
    name: stcfwesteudev1
    location: westeurope
    sku: Standard_LRS
    kind: StorageV2
    minimum_tls_version: TLS1_2
    allow_blob_public_access: false
    allow_shared_key_access: false
    public_network_access: Disabled
    https_only: true
    blob_service: {delete_retention_days: 30, container_delete_retention_days: 30, versioning: true}
    containers:
      - {name: audit, immutability_period_days: 2556, immutability_locked: false}
    tags: {Deployment: westeu-dev-1}
"""

RETURN = r"""
storage_account:
  description: The account after the task (predicted in check mode); only its C(id) after V(absent) deleted it. Never holds keys.
  returned: always
  type: dict
  contains:
    id:
      description: Resource id (what diagnostic settings, flow logs and private endpoints refer to).
      type: str
    name:
      description: Name.
      type: str
    location:
      description: Azure location.
      type: str
    sku:
      description: SKU name.
      type: str
    kind:
      description: Account kind.
      type: str
    minimum_tls_version:
      description: Oldest TLS version accepted.
      type: str
    allow_blob_public_access:
      description: Whether containers may be public.
      type: bool
    allow_shared_key_access:
      description: Whether shared-key requests are accepted.
      type: bool
    public_network_access:
      description: Public endpoint access.
      type: str
    https_only:
      description: Whether only HTTPS is accepted.
      type: bool
    primary_blob_endpoint:
      description: Blob endpoint URL.
      type: str
    tags:
      description: Tags.
      type: dict
    provisioning_state:
      description: Azure provisioning state.
      type: str
blob_service:
  description: The blob service settings (predicted in check mode).
  returned: always
  type: dict
  sample: {delete_retention_days: 30, container_delete_retention_days: 30, versioning: true}
containers:
  description: The listed containers with their immutability policy (predicted in check mode).
  returned: always
  type: list
  elements: dict
  sample: [{name: audit, public_access: None, immutability_period_days: 2556, immutability_locked: false}]
"""

from ansible_collections.complianceflow.infra.plugins.module_utils._azure.module import STATE_SPEC, TAGS_SPEC, AzureModule
from ansible_collections.complianceflow.infra.plugins.module_utils._azure.runner import run
from ansible_collections.complianceflow.infra.plugins.module_utils._azure.storage_account import (
    KINDS, NETWORK_ACCESS, SKUS, TLS_VERSIONS, StorageAccount)

BLOB_SPEC = dict(delete_retention_days={"type": "int"}, container_delete_retention_days={"type": "int"}, versioning={"type": "bool"})
CONTAINER_SPEC = dict(name={"type": "str", "required": True}, immutability_period_days={"type": "int"},
                      immutability_locked={"type": "bool"})


def main():
    module = AzureModule(
        argument_spec=dict(
            resource_group={"type": "str", "required": True},
            name={"type": "str", "required": True},
            location={"type": "str"},
            sku={"type": "str", "choices": list(SKUS)},
            kind={"type": "str", "choices": list(KINDS)},
            minimum_tls_version={"type": "str", "choices": list(TLS_VERSIONS)},
            allow_blob_public_access={"type": "bool"},
            allow_shared_key_access={"type": "bool"},
            public_network_access={"type": "str", "choices": list(NETWORK_ACCESS)},
            https_only={"type": "bool"},
            blob_service={"type": "dict", "options": BLOB_SPEC},
            containers={"type": "list", "elements": "dict", "options": CONTAINER_SPEC},
            **STATE_SPEC,
            **TAGS_SPEC,
        ),
    )
    run(StorageAccount(module))


if __name__ == "__main__":
    main()
