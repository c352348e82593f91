#!/usr/bin/python
# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: event_hubs_namespace
short_description: Manage an Event Hubs namespace (Kafka endpoint) and its event hubs
version_added: 1.1.0
description:
  - Creates or updates an Event Hubs namespace (C(Microsoft.EventHub/namespaces), api-version 2026-01-01) and the event
    hubs it lists (Kafka topics). The Standard and Premium tiers have the Kafka endpoint and private endpoints; Basic
    has neither.
  - A new namespace gets V(Standard) with 1 throughput unit, TLS 1.2, local (SAS key) authentication disabled and no
    public network access unless told otherwise, so clients use Microsoft Entra ID through a private endpoint.
  - Only the options given are compared; event hubs not listed are left alone. An existing namespace is changed with a
    PATCH of the options that differ.
  - Refused before any call are a change of O(sku) (Azure refuses a change to or from Premium; one between Basic and
    Standard, which Azure allows, is not made by this module), and, as Azure refuses them, fewer partitions on an
    existing event hub (never), more partitions on a Basic or Standard namespace (only Premium and Dedicated add
    partitions), a retention beyond the tier's (Basic 1 day, Standard 7, Premium 90), more than 32
    partitions or 10 event hubs in Basic and Standard.
  - A change of an event hub is a PUT of the hub; it keeps what this module does not manage (Capture, status,
    timestamp type, user metadata) as the hub has it.
options:
  resource_group:
    description: Resource group of the namespace.
    type: str
    required: true
  name:
    description: Namespace name (8-50 letters, digits and hyphens, starting with a letter and ending with a letter or
      digit). Globally unique, as its host name is C(<name>.servicebus.windows.net).
    type: str
    required: true
  location:
    description: Azure location. Required to create the namespace; a namespace cannot move.
    type: str
  sku:
    description: Pricing tier; fixed once the namespace exists. A new namespace gets V(Standard).
    type: str
    choices: [Basic, Standard, Premium]
  capacity:
    description: Throughput units (Basic and Standard, 1-40) or processing units (Premium). A new namespace gets 1.
    type: int
  auto_inflate:
    description: Let Azure add throughput units under load, up to O(maximum_throughput_units) (Standard only).
    type: bool
  maximum_throughput_units:
    description: Upper limit of auto-inflate (0-40, at least O(capacity) when O(auto_inflate=true)).
    type: int
  minimum_tls_version:
    description: Oldest TLS version clients may use.
    type: str
    choices: ["1.2"]
  disable_local_auth:
    description: Refuse SAS keys (shared access signatures); clients authenticate with Microsoft Entra ID.
    type: bool
  public_network_access:
    description: Whether the namespace answers on its public endpoint.
    type: str
    choices: [Enabled, Disabled, SecuredByPerimeter]
  event_hubs:
    description: Event hubs of the namespace (Kafka topics). Not listed ones are kept.
    type: list
    elements: dict
    suboptions:
      name:
        description: Event hub name (1-256 letters, digits, periods, hyphens and underscores).
        type: str
        required: true
      partition_count:
        description: Partitions (1-32 in Basic and Standard). Fixed once created in Basic and Standard; never decreased.
        type: int
      message_retention_in_days:
        description: Days events are kept (Basic 1, Standard 1-7, Premium 1-90).
        type: int
  state:
    description: V(present) creates or updates; V(absent) deletes the namespace with its event hubs and consumer groups.
extends_documentation_fragment:
  - complianceflow.infra.attributes
  - complianceflow.infra.azure
  - complianceflow.infra.azure.TAGS
  - complianceflow.infra.azure.RESOURCE
author:
  - ComplianceFlow Platform Team (@complianceflow)
"""

EXAMPLES = r"""
- name: Kafka namespace of global-dev with the seed's topics
  complianceflow.infra.event_hubs_namespace:
    resource_group: rg-cf-global-dev
    name: evhns-cf-global-dev
    location: westeurope
    sku: Standard
    capacity: 1
    minimum_tls_version: "1.2"
    disable_local_auth: true
    public_network_access: Disabled
    event_hubs:
      - {name: tenant-events, partition_count: 4, message_retention_in_days: 1}
      - {name: masterdata-events, partition_count: 2, message_retention_in_days: 1}
      - {name: file-ingestion-events, partition_count: 4, message_retention_in_days: 1}
    tags: {Deployment: global-dev}
"""

RETURN = r"""
namespace:
  description: The namespace after the task (predicted in check mode); only its C(id) after V(absent) deleted it.
  returned: always
  type: dict
  contains:
    id:
      description: Resource id (the target of private endpoints, group C(namespace)).
      type: str
    name:
      description: Name.
      type: str
    location:
      description: Azure location.
      type: str
    sku:
      description: Pricing tier.
      type: str
    capacity:
      description: Throughput (or processing) units.
      type: int
    auto_inflate:
      description: Whether auto-inflate is on.
      type: bool
    maximum_throughput_units:
      description: Auto-inflate's upper limit.
      type: int
    minimum_tls_version:
      description: Oldest TLS version accepted.
      type: str
    disable_local_auth:
      description: Whether SAS keys are refused.
      type: bool
    public_network_access:
      description: Public endpoint access.
      type: str
    kafka_enabled:
      description: Whether the Kafka endpoint is on (Standard and above).
      type: bool
    service_bus_endpoint:
      description: The namespace's endpoint (C(https://<name>.servicebus.windows.net:443/); Kafka listens on port 9093).
      type: str
    status:
      description: Namespace status.
      type: str
    tags:
      description: Tags.
      type: dict
    provisioning_state:
      description: Azure provisioning state.
      type: str
event_hubs:
  description: Every event hub of the namespace (predicted in check mode).
  returned: always
  type: list
  elements: dict
  sample: [{name: tenant-events, id: /subscriptions/.../eventhubs/tenant-events, partition_count: 4,
            message_retention_in_days: 1, status: Active}]
"""

from ansible_collections.complianceflow.infra.plugins.module_utils._azure.event_hubs import EventHubsNamespace
from ansible_collections.complianceflow.infra.plugins.module_utils._azure.module import STATE_SPEC, TAGS_SPEC, AzureModule
from ansible_collections.complianceflow.infra.plugins.module_utils._azure.runner import run

HUB_SPEC = dict(name={"type": "str", "required": True}, partition_count={"type": "int"}, message_retention_in_days={"type": "int"})


def main():
    module = AzureModule(
        argument_spec=dict(
            resource_group={"type": "str", "required": True},
            name={"type": "str", "required": True},
            location={"type": "str"},
            sku={"type": "str", "choices": ["Basic", "Standard", "Premium"]},
            capacity={"type": "int"},
            auto_inflate={"type": "bool"},
            maximum_throughput_units={"type": "int"},
            minimum_tls_version={"type": "str", "choices": ["1.2"]},
            disable_local_auth={"type": "bool"},
            public_network_access={"type": "str", "choices": ["Enabled", "Disabled", "SecuredByPerimeter"]},
            event_hubs={"type": "list", "elements": "dict", "options": HUB_SPEC},
            **STATE_SPEC,
            **TAGS_SPEC,
        ),
    )
    run(EventHubsNamespace(module))


if __name__ == "__main__":
    main()
