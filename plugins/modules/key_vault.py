#!/usr/bin/python
# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: key_vault
short_description: Manage an Azure Key Vault (RBAC, soft delete, purge protection, network rules)
version_added: 1.0.0
description:
  - Creates or updates a Key Vault that authorizes data access with Azure RBAC, keeps deleted vaults and secrets for
    O(soft_delete_retention_days), can be protected from purging, and denies network access by default except from
    the listed subnets and addresses.
  - Only the options given are compared; an existing vault keeps its value of an option not given, and a new vault
    gets the value each option's description names. A second run with the same options changes nothing.
  - V(absent) soft-deletes the vault (Azure keeps it, with its secrets, for the retention period); the vault is purged
    only with O(purge=true), and Azure refuses that while purge protection is on.
  - A vault of the same name that is soft-deleted is recovered (with its secrets) when O(recover=true), then brought
    to the options given.
options:
  resource_group:
    description: Resource group of the vault.
    type: str
    required: true
  name:
    description: Vault name, globally unique, 3-24 characters (letters, digits, hyphens).
    type: str
    required: true
  location:
    description: Azure location, for example V(westeurope). Required to create, to recover and to purge.
    type: str
  tenant_id:
    description: Microsoft Entra tenant that authenticates requests to the vault. Defaults to the tenant of the credentials.
    type: str
  sku:
    description: Pricing tier. A new vault gets V(standard) when omitted.
    type: str
    choices: [standard, premium]
  enable_rbac_authorization:
    description:
      - Authorize data-plane access with Azure role assignments instead of access policies. A new vault gets V(true)
        when omitted.
    type: bool
  soft_delete_retention_days:
    description: Days a deleted vault or secret can be recovered (7-90). Azure sets it once, at creation. A new vault gets 90 when omitted.
    type: int
  enable_purge_protection:
    description:
      - Forbid purging deleted vaults and secrets before the retention period ends. Azure never turns it off again,
        so V(false) on a protected vault fails. A new vault is created without it when omitted.
    type: bool
  public_network_access:
    description: Whether the public endpoint accepts traffic (subject to O(network_acls)). A new vault gets V(Enabled) when omitted.
    type: str
    choices: [Enabled, Disabled]
  network_acls:
    description: Network rules. Left alone when omitted.
    type: dict
    suboptions:
      default_action:
        description: What happens to traffic no rule allows.
        type: str
        choices: [Allow, Deny]
        default: Deny
      bypass:
        description: Whether trusted Azure services bypass the rules.
        type: str
        choices: [AzureServices, None]
        default: AzureServices
      virtual_network_subnet_ids:
        description: Subnets allowed to reach the vault, by resource id or as C(<vnet>/<subnet>) in O(resource_group).
        type: list
        elements: str
        default: []
      ignore_missing_vnet_service_endpoint:
        description: Accept subnets that do not have the C(Microsoft.KeyVault) service endpoint yet.
        type: bool
        default: false
      ip_rules:
        description:
          - Public IPv4 addresses or CIDR ranges allowed to reach the vault (for example the deployment controller).
          - Compared as networks, C(1.2.3.4) equals C(1.2.3.4/32) (the form Azure returns). Private (RFC 1918) ranges,
            IPv6 and ranges with host bits set are refused before any call.
        type: list
        elements: str
        default: []
  recover:
    description: Recover a soft-deleted vault of the same name instead of failing.
    type: bool
    default: true
  purge:
    description: With O(state=absent), also purge the soft-deleted vault (irreversible).
    type: bool
    default: false
  state:
    description: V(present) creates or updates; V(absent) soft-deletes (and purges with O(purge=true)).
extends_documentation_fragment:
  - complianceflow.infra.attributes
  - complianceflow.infra.azure
  - complianceflow.infra.azure.TAGS
  - complianceflow.infra.azure.RESOURCE
attributes:
  diff_mode:
    details: Shows before and after of the managed settings and tags.
notes:
  - With RBAC authorization, the identity that writes secrets needs a data-plane role on the vault
    (C(Key Vault Secrets Officer)); M(complianceflow.infra.role_assignment) assigns it.
  - After creating (or recovering) a vault the module waits, at most O(timeout) seconds, until the vault URI answers
    three times in a row; a new vault's DNS name can lag its creation (the Terraform azurerm provider waits the same way).
  - With O(network_acls.default_action=Deny) the controller that writes secrets must be let in (its public address in
    O(network_acls.ip_rules), or its subnet in O(network_acls.virtual_network_subnet_ids));
    M(complianceflow.infra.key_vault_info) with C(check_access) tells before the first write.
author:
  - ComplianceFlow Platform Team (@complianceflow)
"""

EXAMPLES = r"""
- name: Deployment vault, reachable from the deployment's subnets only
  complianceflow.infra.key_vault:
    resource_group: rg-cf-westeu-dev-1
    name: kv-cf-westeu-dev-1-ab12
    location: westeurope
    enable_purge_protection: false
    network_acls:
      default_action: Deny
      virtual_network_subnet_ids:
        - vnet-cf-westeu-dev-1/snet-cf-westeu-dev-1-apps
        - vnet-cf-westeu-dev-1/snet-cf-westeu-dev-1-mgmt
    tags: {Deployment: westeu-dev-1}
  register: vault

- name: Soft-delete and purge a dev vault
  complianceflow.infra.key_vault:
    resource_group: rg-cf-westeu-dev-1
    name: kv-cf-westeu-dev-1-ab12
    location: westeurope
    state: absent
    purge: true
"""

RETURN = r"""
key_vault:
  description: The vault after the task (predicted in check mode); only its C(id) after V(absent) deleted it.
  returned: always
  type: dict
  contains:
    id:
      description: Resource id.
      type: str
    name:
      description: Vault name.
      type: str
    location:
      description: Azure location.
      type: str
    vault_uri:
      description: The data-plane URI, for example V(https://kv-cf-westeu-dev-1-ab12.vault.azure.net/); unknown in check mode before creation.
      type: str
    tenant_id:
      description: Tenant that authenticates data-plane requests.
      type: str
    sku:
      description: Pricing tier.
      type: str
    enable_rbac_authorization:
      description: Whether RBAC authorizes data-plane access.
      type: bool
    soft_delete_retention_days:
      description: Soft-delete retention.
      type: int
    enable_purge_protection:
      description: Whether purge protection is on.
      type: bool
    public_network_access:
      description: Public endpoint state.
      type: str
    network_acls:
      description: Network rules (default_action, bypass, ip_rules, virtual_network_subnet_ids lower-cased as Azure returns them).
      type: dict
    tags:
      description: Tags.
      type: dict
    provisioning_state:
      description: Azure provisioning state.
      type: str
recovered:
  description: Whether a soft-deleted vault of the same name was recovered (predicted in check mode).
  returned: always
  type: bool
"""

from ansible_collections.complianceflow.infra.plugins.module_utils._azure.key_vault import KeyVault
from ansible_collections.complianceflow.infra.plugins.module_utils._azure.module import STATE_SPEC, TAGS_SPEC, AzureModule
from ansible_collections.complianceflow.infra.plugins.module_utils._azure.runner import run

ACL_SPEC = dict(
    default_action={"type": "str", "default": "Deny", "choices": ["Allow", "Deny"]},
    bypass={"type": "str", "default": "AzureServices", "choices": ["AzureServices", "None"]},
    virtual_network_subnet_ids={"type": "list", "elements": "str", "default": []},
    ignore_missing_vnet_service_endpoint={"type": "bool", "default": False},
    ip_rules={"type": "list", "elements": "str", "default": []},
)


def main():
    module = AzureModule(
        argument_spec=dict(
            resource_group={"type": "str", "required": True},
            name={"type": "str", "required": True},
            location={"type": "str"},
            tenant_id={"type": "str"},
            sku={"type": "str", "choices": ["standard", "premium"]},
            enable_rbac_authorization={"type": "bool"},
            soft_delete_retention_days={"type": "int"},
            enable_purge_protection={"type": "bool"},
            public_network_access={"type": "str", "choices": ["Enabled", "Disabled"]},
            network_acls={"type": "dict", "options": ACL_SPEC},
            recover={"type": "bool", "default": True},
            purge={"type": "bool", "default": False},
            **STATE_SPEC,
            **TAGS_SPEC,
        ),
    )
    run(KeyVault(module))


if __name__ == "__main__":
    main()
