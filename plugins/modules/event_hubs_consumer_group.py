#!/usr/bin/python
# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: event_hubs_consumer_group
short_description: Subscribe to the event hubs of a namespace with one consumer group
version_added: 1.1.0
description:
  - Puts one consumer group on every event hub an Event Hubs namespace has (or on the hubs O(event_hubs) lists), or
    removes it from them (O(state=absent)). The hubs are read from the namespace, so a subscriber follows what the
    publisher created (C(Microsoft.EventHub/namespaces/eventhubs/consumergroups), api-version 2026-01-01).
  - The namespace itself is only read; it is never created, changed or deleted here.
  - A namespace that does not exist fails the task, or with O(missing_namespace=skip) is reported with a warning and
    nothing is done (a new deployment in check mode, before its global deployment exists). O(state=absent) on a missing
    namespace is a no-op.
  - The C($Default) group every event hub has cannot be managed (the name rule starts with a letter or digit).
options:
  resource_group:
    description: Resource group of the namespace.
    type: str
    required: true
  namespace:
    description: Event Hubs namespace name.
    type: str
    required: true
  name:
    description: Consumer group name (1-50 letters, digits, periods, hyphens and underscores, starting and ending with a
      letter or digit).
    type: str
    required: true
  event_hubs:
    description: Event hubs to subscribe to (each must exist); every event hub of the namespace when omitted.
    type: list
    elements: str
  user_metadata:
    description: Free text kept with the group (at most 1024 characters), for example who reads with it.
    type: str
  missing_namespace:
    description: What a missing namespace does with O(state=present). V(fail) the task, or V(skip) it with a warning.
    type: str
    choices: [fail, skip]
    default: fail
  state:
    description: V(present) puts the group on the event hubs; V(absent) removes it from them.
extends_documentation_fragment:
  - complianceflow.infra.attributes
  - complianceflow.infra.azure
  - complianceflow.infra.azure.RESOURCE
author:
  - ComplianceFlow Platform Team (@complianceflow)
"""

EXAMPLES = r"""
- name: westeu-dev-1 reads every hub of global-dev
  complianceflow.infra.event_hubs_consumer_group:
    resource_group: rg-cf-global-dev
    namespace: evhns-cf-global-dev
    name: westeu-dev-1
    user_metadata: regional services of westeu-dev-1

- name: Teardown of westeu-dev-1 removes its consumer groups
  complianceflow.infra.event_hubs_consumer_group:
    resource_group: rg-cf-global-dev
    namespace: evhns-cf-global-dev
    name: westeu-dev-1
    state: absent
"""

RETURN = r"""
consumer_group:
  description: The consumer group and the event hubs that have it after the task (predicted in check mode).
  returned: always
  type: dict
  contains:
    name:
      description: Consumer group name.
      type: str
    namespace:
      description: Namespace name.
      type: str
    event_hubs:
      description: One entry per event hub that has the group.
      type: list
      elements: dict
      sample: [{event_hub: tenant-events, id: /subscriptions/.../consumergroups/westeu-dev-1, user_metadata: null}]
namespace_exists:
  description: Whether the namespace exists.
  returned: always
  type: bool
"""

from ansible_collections.complianceflow.infra.plugins.module_utils._azure.event_hubs_consumer_group import EventHubsConsumerGroup
from ansible_collections.complianceflow.infra.plugins.module_utils._azure.module import STATE_SPEC, AzureModule
from ansible_collections.complianceflow.infra.plugins.module_utils._azure.runner import run


def main():
    module = AzureModule(
        argument_spec=dict(
            resource_group={"type": "str", "required": True},
            namespace={"type": "str", "required": True},
            name={"type": "str", "required": True},
            event_hubs={"type": "list", "elements": "str"},
            user_metadata={"type": "str"},
            missing_namespace={"type": "str", "choices": ["fail", "skip"], "default": "fail"},
            **STATE_SPEC,
        ),
    )
    run(EventHubsConsumerGroup(module))


if __name__ == "__main__":
    main()
