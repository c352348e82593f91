#!/usr/bin/python
# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: container_registry
short_description: Manage an Azure Container Registry
version_added: 1.1.0
description:
  - Creates or updates an Azure Container Registry (C(Microsoft.ContainerRegistry/registries), REST api-version 2025-11-01)
    with its tier, the admin user, anonymous pull and public network access.
  - Only the options given are compared; a change is sent as one PATCH (Azure changes the tier in place).
  - Private endpoints and disabled public network access are Premium only; O(public_network_access=Disabled) with
    another tier is refused before any call. A Basic or Standard registry is always reached over its public endpoint
    (Microsoft Entra authentication; keep O(admin_user_enabled) and O(anonymous_pull_enabled) off).
  - The registry's private endpoint (group C(registry), zone C(privatelink.azurecr.io)) is a separate resource.
options:
  resource_group:
    description: Resource group of the registry.
    type: str
    required: true
  name:
    description: Registry name, 5-50 letters and digits, unique across Azure (the login server is C(<name>.azurecr.io)).
    type: str
    required: true
  location:
    description: Azure location. Required to create the registry; a registry cannot move.
    type: str
  sku:
    description: Service tier. Required to create the registry.
    type: str
    choices: [Basic, Standard, Premium]
  admin_user_enabled:
    description: Enable the registry's admin user (a shared username and password). Keep it off; use Microsoft Entra identities.
    type: bool
  anonymous_pull_enabled:
    description: Let unauthenticated clients pull every image. Standard and Premium only.
    type: bool
  public_network_access:
    description: Whether the public endpoint answers. V(Disabled) needs O(sku=Premium) and a private endpoint.
    type: str
    choices: [Enabled, Disabled]
  network_rule_bypass_options:
    description: Whether trusted Azure services may reach a network-restricted registry.
    type: str
    choices: [AzureServices, None]
  state:
    description: V(present) creates or updates; V(absent) deletes the registry and its images.
extends_documentation_fragment:
  - complianceflow.infra.attributes
  - complianceflow.infra.azure
  - complianceflow.infra.azure.TAGS
  - complianceflow.infra.azure.RESOURCE
seealso:
  - name: Azure Container Registry service tiers
    description: The features of Basic, Standard and Premium.
    link: https://learn.microsoft.com/azure/container-registry/container-registry-skus
author:
  - ComplianceFlow Platform Team (@complianceflow)
"""

EXAMPLES = r"""
- name: Premium registry of westeu-prod-1, reached only through its private endpoint
  complianceflow.infra.container_registry:
    resource_group: rg-cf-westeu-prod-1
    name: acrcfwesteuprod1
    location: westeurope
    sku: Premium
    admin_user_enabled: false
    anonymous_pull_enabled: false
    public_network_access: Disabled
    tags: {Deployment: westeu-prod-1}

- name: Basic registry of westeu-dev-1 (public endpoint, Entra authentication only)
  complianceflow.infra.container_registry:
    resource_group: rg-cf-westeu-dev-1
    name: acrcfwesteudev1
    location: westeurope
    sku: Basic
    admin_user_enabled: false
    anonymous_pull_enabled: false
"""

RETURN = r"""
registry:
  description: The registry after the task (predicted in check mode); only its C(id) after V(absent) deleted it.
  returned: always
  type: dict
  contains:
    id:
      description: Resource id (what a private endpoint connects to).
      type: str
    name:
      description: Name.
      type: str
    location:
      description: Azure location.
      type: str
    login_server:
      description: The host name clients log in to and pull from.
      type: str
      sample: acrcfwesteuprod1.azurecr.io
    sku:
      description: Service tier.
      type: str
    admin_user_enabled:
      description: Whether the admin user is enabled.
      type: bool
    anonymous_pull_enabled:
      description: Whether unauthenticated pulls are allowed.
      type: bool
    public_network_access:
      description: Whether the public endpoint answers.
      type: str
    network_rule_bypass_options:
      description: Whether trusted Azure services may bypass the network rules.
      type: str
    tags:
      description: Tags.
      type: dict
    provisioning_state:
      description: Azure provisioning state.
      type: str
"""

from ansible_collections.complianceflow.infra.plugins.module_utils._azure.container_registry import SKUS, ContainerRegistry
from ansible_collections.complianceflow.infra.plugins.module_utils._azure.module import STATE_SPEC, TAGS_SPEC, AzureModule
from ansible_collections.complianceflow.infra.plugins.module_utils._azure.runner import run


def main():
    module = AzureModule(
        argument_spec=dict(
            resource_group={"type": "str", "required": True},
            name={"type": "str", "required": True},
            location={"type": "str"},
            sku={"type": "str", "choices": list(SKUS)},
            admin_user_enabled={"type": "bool"},
            anonymous_pull_enabled={"type": "bool"},
            public_network_access={"type": "str", "choices": ["Enabled", "Disabled"]},
            network_rule_bypass_options={"type": "str", "choices": ["AzureServices", "None"]},
            **STATE_SPEC,
            **TAGS_SPEC,
        ),
    )
    run(ContainerRegistry(module))


if __name__ == "__main__":
    main()
