#!/usr/bin/python
# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: api_management
short_description: Manage an Azure API Management service (Microsoft.ApiManagement/service)
version_added: 1.1.0
description:
  - Creates or updates an API Management service (C(Microsoft.ApiManagement/service), api-version 2024-05-01), optionally
    injected in a virtual network subnet in V(External) or V(Internal) mode.
  - Only the classic V(Developer) and V(Premium) tiers can be injected in a virtual network; V(Developer) has no SLA.
  - A service takes at most 15 tags (Azure refuses the 16th); more, counting those O(purge_tags=false) keeps, fail before
    any call.
  - An existing service is changed with a PATCH of the options that differ; only the options given are compared. A
    classic tier cannot change to a v2 tier or V(Consumption) (nor back).
  - O(disable_legacy_tls=true) turns off TLS 1.0 and 1.1 towards clients and backends and the 3DES cipher through the
    service's custom properties. Every PATCH sends the whole custom properties map, because Azure resets the ones a PATCH
    omits.
  - A deleted service stays soft-deleted for 48 hours and its name cannot be used meanwhile. With O(restore=true) the
    module restores a soft-deleted service of the same name, then applies the options; without it, the module fails
    naming the soft-deleted service. O(state=absent) with O(purge=true) purges it after the delete.
  - Creating a service takes 30 to 45 minutes on Azure. With O(wait=false) the create is started and the task returns
    with RV(operation); M(complianceflow.infra.operation_wait) awaits it.
options:
  resource_group:
    description: Resource group of the service.
    type: str
    required: true
  name:
    description: Service name (1-50 letters, digits and hyphens; starts with a letter, ends with a letter or digit). Globally
      unique, as its gateway host name is C(<name>.azure-api.net).
    type: str
    required: true
  location:
    description: Azure location. Required to create the service, to restore or to purge a soft-deleted one; a service cannot move.
    type: str
  sku_name:
    description: Tier. Required to create the service. V(Developer) and V(Premium) only with O(virtual_network_type) V(External) or V(Internal).
    type: str
    choices: [Developer, Standard, Premium, Basic, Consumption, Isolated, BasicV2, StandardV2]
  sku_capacity:
    description: Number of units (a new service gets 1, or 0 in V(Consumption)). V(Developer) has exactly 1, V(Consumption) 0 (Azure scales it).
    type: int
  publisher_email:
    description: The publisher's email address (at most 100 characters), where Azure sends the service's notifications. Required to create the service.
    type: str
  publisher_name:
    description: The publisher's name (at most 100 characters). Required to create the service.
    type: str
  virtual_network_type:
    description:
      - V(None) (not in a virtual network), V(External) (in O(subnet), gateway reachable from the internet) or
        V(Internal) (in O(subnet), reachable only from the virtual network). A new service gets V(None) when not given.
      - The subnet needs an NSG with the rules Azure documents (inbound 3443 from C(ApiManagement), 6390 from
        C(AzureLoadBalancer); outbound to C(Storage), C(Sql), C(AzureKeyVault), C(AzureMonitor)).
    type: str
    choices: [None, External, Internal]
  subnet:
    description: The subnet the service is injected in, as a resource id or C(<vnet>/<subnet>) in O(resource_group).
      Required with O(virtual_network_type) V(External) or V(Internal).
    type: str
  disable_legacy_tls:
    description: V(true) turns off TLS 1.0 and 1.1 (clients and backends) and the 3DES cipher; V(false) turns them on.
    type: bool
  identity:
    description: V(SystemAssigned) gives the service a managed identity (to read certificates from Key Vault); V(None) removes it.
    type: str
    choices: [None, SystemAssigned]
  restore:
    description: When the service does not exist but a soft-deleted one of the same name does (in O(location)), restore it
      instead of failing. The restore ignores every other option; they are applied afterwards.
    type: bool
    default: false
  purge:
    description: With O(state=absent), purge the soft-deleted service after the delete (also one deleted before), so its name is free at once.
    type: bool
    default: false
  state:
    description: V(present) creates or updates; V(absent) deletes the service (Azure keeps it soft-deleted for 48 hours unless O(purge=true)).
extends_documentation_fragment:
  - complianceflow.infra.attributes
  - complianceflow.infra.azure
  - complianceflow.infra.azure.TAGS
  - complianceflow.infra.azure.RESOURCE
  - complianceflow.infra.azure.WAIT
attributes:
  diff_mode:
    details: Shows before and after of the options given (all of them when the service is created).
author:
  - ComplianceFlow Platform Team (@complianceflow)
"""

EXAMPLES = r"""
- name: API Management of westeu-prod-1, internal in its subnet, started without waiting
  complianceflow.infra.api_management:
    resource_group: rg-cf-westeu-prod-1
    name: apim-cf-westeu-prod-1
    location: westeurope
    sku_name: Premium
    sku_capacity: 1
    publisher_email: platform@example.com
    publisher_name: ComplianceFlow
    virtual_network_type: Internal
    subnet: vnet-cf-westeu-prod-1/snet-cf-westeu-prod-1-apim
    disable_legacy_tls: true
    identity: SystemAssigned
    restore: true
    tags: {Deployment: westeu-prod-1}
    wait: false
  register: apim_started

- name: Wait for it later
  complianceflow.infra.operation_wait:
    operations: ["{{ apim_started }}"]
    timeout: 3600

- name: Delete a dev service and free its name at once
  complianceflow.infra.api_management:
    resource_group: rg-cf-test
    name: apim-cf-test
    location: westeurope
    state: absent
    purge: true
"""

RETURN = r"""
api_management:
  description: The service after the task (predicted in check mode); only its C(id) after V(absent) deleted it.
  returned: always
  type: dict
  contains:
    id:
      description: Resource id.
      type: str
    name:
      description: Name.
      type: str
    location:
      description: Azure location.
      type: str
    sku_name:
      description: Tier.
      type: str
    sku_capacity:
      description: Units.
      type: int
    publisher_email:
      description: Publisher email.
      type: str
    publisher_name:
      description: Publisher name.
      type: str
    virtual_network_type:
      description: V(None), V(External) or V(Internal).
      type: str
    subnet_id:
      description: The subnet the service is injected in.
      type: str
    disable_legacy_tls:
      description: Whether TLS 1.0/1.1 (clients and backends) and 3DES are all off.
      type: bool
    identity:
      description: Managed identity type.
      type: str
    principal_id:
      description: The system-assigned identity's principal id.
      type: str
    gateway_url:
      description: Gateway URL.
      type: str
    private_ip_addresses:
      description: Private IP addresses of the gateway (internal mode).
      type: list
      elements: str
    platform_version:
      description: Compute platform (C(stv2) for a service created now).
      type: str
    tags:
      description: Tags.
      type: dict
    provisioning_state:
      description: Azure provisioning state.
      type: str
restored:
  description: Whether a soft-deleted service was restored by this task.
  returned: always
  type: bool
operation:
  description:
    - With O(wait=false), the long-running create or update that was started, to pass to
      M(complianceflow.infra.operation_wait). It holds ARM's polling URLs and the resource id, never a secret.
  returned: when O(wait=false) and Azure runs the write as a long-running operation
  type: dict
"""

from ansible_collections.complianceflow.infra.plugins.module_utils._azure.api_management import (
    IDENTITY_TYPES, SKUS, VNET_TYPES, ApiManagement)
from ansible_collections.complianceflow.infra.plugins.module_utils._azure.module import STATE_SPEC, TAGS_SPEC, WAIT_SPEC, AzureModule
from ansible_collections.complianceflow.infra.plugins.module_utils._azure.runner import run


def main():
    module = AzureModule(
        argument_spec=dict(
            resource_group={"type": "str", "required": True},
            name={"type": "str", "required": True},
            location={"type": "str"},
            sku_name={"type": "str", "choices": list(SKUS)},
            sku_capacity={"type": "int"},
            publisher_email={"type": "str"},
            publisher_name={"type": "str"},
            virtual_network_type={"type": "str", "choices": list(VNET_TYPES)},
            subnet={"type": "str"},
            disable_legacy_tls={"type": "bool"},
            identity={"type": "str", "choices": list(IDENTITY_TYPES)},
            restore={"type": "bool", "default": False},
            purge={"type": "bool", "default": False},
            **STATE_SPEC,
            **TAGS_SPEC,
            **WAIT_SPEC,
        ),
    )
    run(ApiManagement(module))


if __name__ == "__main__":
    main()
