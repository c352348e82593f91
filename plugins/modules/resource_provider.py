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
    details: Reports the namespaces that would be registered (RV(unregistered)); registers nothing.
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
unregistered:
  description:
    - The namespaces of O(namespaces) that were not V(Registered) when the task read them, in the order given; the ones
      the task registered (or, in check mode, would register).
  returned: always
  type: list
  elements: str
  sample: [Microsoft.DBforPostgreSQL]
register_actions:
  description:
    - The operation an identity needs at the subscription to register each of RV(unregistered), for example
      V(Microsoft.DBforPostgreSQL/register/action) (Contributor and Owner have them).
    - What playbooks/preflight.yml asks module complianceflow.infra.role_assignment_info about.
  returned: always
  type: list
  elements: str
  sample: [Microsoft.DBforPostgreSQL/register/action]
owner_commands:
  description: What a subscription owner runs once for each of RV(unregistered) when the identity may not register it.
  returned: always
  type: list
  elements: str
  sample: [az provider register --namespace Microsoft.DBforPostgreSQL]
"""

from ansible_collections.complianceflow.infra.plugins.module_utils._azure.module import AzureModule
from ansible_collections.complianceflow.infra.plugins.module_utils._azure.resource_provider import ResourceProviders
from ansible_collections.complianceflow.infra.plugins.module_utils._azure.runner import run


def main():
    module = AzureModule(argument_spec=dict(namespaces={"type": "list", "elements": "str", "required": True}))
    run(ResourceProviders(module))


if __name__ == "__main__":
    main()
