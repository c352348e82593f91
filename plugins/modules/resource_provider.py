#!/usr/bin/python
# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: resource_provider
short_description: Make sure a subscription has registered the resource providers a deployment needs
version_added: 1.1.0
description:
  - Reads the registration of each namespace in O(namespaces) (for example V(Microsoft.Network)) and registers those
    that are not registered, then waits until Azure reports them V(Registered).
  - A fresh subscription refuses a write into an unregistered namespace (409 C(MissingSubscriptionRegistration)); an
    identity that may not register providers meets that at the first write of the type, late in a deploy. Run this
    first; it fails before any write, naming the namespace and what a subscription owner has to run.
options:
  namespaces:
    description: Resource provider namespaces.
    type: list
    elements: str
    required: true
extends_documentation_fragment:
  - complianceflow.infra.attributes
  - complianceflow.infra.azure
attributes:
  check_mode:
    support: full
    details: Reports the namespaces that would be registered; registers nothing.
  diff_mode:
    support: full
    details: Shows the unregistered namespaces before and after.
  idempotent:
    support: full
    details: Registered namespaces are left alone; a second run reports no change.
author:
  - ComplianceFlow Platform Team (@complianceflow)
"""

EXAMPLES = r"""
- name: Providers of a deployment, before its first write
  complianceflow.infra.resource_provider:
    namespaces: [Microsoft.Network, Microsoft.KeyVault, Microsoft.DBforPostgreSQL, Microsoft.OperationalInsights]
"""

RETURN = r"""
providers:
  description: Namespace to registration state after the task (V(Registered) when done; predicted in check mode).
  returned: always
  type: dict
  sample: {Microsoft.Network: Registered}
"""

from ansible_collections.complianceflow.infra.plugins.module_utils._azure.module import AzureModule
from ansible_collections.complianceflow.infra.plugins.module_utils._azure.resource_provider import ResourceProviders
from ansible_collections.complianceflow.infra.plugins.module_utils._azure.runner import run


def main():
    module = AzureModule(argument_spec=dict(namespaces={"type": "list", "elements": "str", "required": True}))
    run(ResourceProviders(module))


if __name__ == "__main__":
    main()
