#!/usr/bin/python
# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: private_dns_zone
short_description: Manage an Azure private DNS zone and its virtual network links
version_added: 1.0.0
description:
  - Creates or updates a private DNS zone (for example V(privatelink.postgres.database.azure.com)) and links it to
    virtual networks, or deletes it with its links.
  - Links that exist in Azure but are not listed are kept unless O(purge_virtual_network_links=true).
  - Link writes are started together and then awaited, so several links cost one wait.
options:
  resource_group:
    description: Resource group of the zone.
    type: str
    required: true
  name:
    description: The zone name, a DNS name of two or more labels.
    type: str
    required: true
  virtual_network_links:
    description: Links of the zone to virtual networks. Left alone when omitted.
    type: list
    elements: dict
    suboptions:
      name:
        description: Name of the link.
        type: str
        required: true
      virtual_network:
        description: The virtual network, by name (in O(resource_group)) or by resource id.
        type: str
        required: true
      registration_enabled:
        description: Whether virtual machines of the network register their records automatically.
        type: bool
        default: false
  purge_virtual_network_links:
    description: Remove links that exist in Azure but are not listed in O(virtual_network_links).
    type: bool
    default: false
  state:
    description: V(present) creates or updates; V(absent) deletes the links, then the zone.
    type: str
    choices: [present, absent]
    default: present
extends_documentation_fragment:
  - complianceflow.infra.attributes
  - complianceflow.infra.azure
  - complianceflow.infra.azure.TAGS
attributes:
  check_mode:
    support: full
  diff_mode:
    support: full
    details: Shows before and after of tags and of the listed (and purged) links.
  idempotent:
    support: full
author:
  - ComplianceFlow Platform Team (@complianceflow)
"""

EXAMPLES = r"""
- name: PostgreSQL private DNS zone linked to the deployment's network
  complianceflow.infra.private_dns_zone:
    resource_group: rg-cf-westeu-dev-1
    name: privatelink.postgres.database.azure.com
    virtual_network_links:
      - name: vnet-cf-westeu-dev-1-link
        virtual_network: vnet-cf-westeu-dev-1
    tags: {Deployment: westeu-dev-1}
"""

RETURN = r"""
private_dns_zone:
  description: The zone after the task (predicted in check mode); empty after V(absent).
  returned: always
  type: dict
  contains:
    id:
      description: Resource id.
      type: str
    name:
      description: Zone name.
      type: str
    tags:
      description: Tags.
      type: dict
    number_of_record_sets:
      description: Record sets in the zone (SOA included).
      type: int
    provisioning_state:
      description: Azure provisioning state.
      type: str
    virtual_network_links:
      description: All links of the zone.
      type: list
      elements: dict
      contains:
        name:
          description: Link name.
          type: str
        id:
          description: Link resource id.
          type: str
        virtual_network:
          description: Id of the linked network.
          type: str
        registration_enabled:
          description: Auto-registration.
          type: bool
        state:
          description: Azure's link state (V(Completed), V(InProgress)).
          type: str
"""

from ansible_collections.complianceflow.infra.plugins.module_utils._azure.module import AzureModule, TAGS_SPEC, as_rest
from ansible_collections.complianceflow.infra.plugins.module_utils._azure.values import validate_name, validate_tags
from ansible_collections.complianceflow.infra.plugins.module_utils._azure.private_dns_zone import (
    link_body, normalize_links, plan_private_dns_zone, validate_zone_name, zone_view)

LINK_SPEC = dict(
    name={"type": "str", "required": True},
    virtual_network={"type": "str", "required": True},
    registration_enabled={"type": "bool", "default": False},
)


def list_links(module: AzureModule, client, rg: str, zone: str) -> list:
    with module.operation(f"list virtual network links of private DNS zone {zone}"):
        return [as_rest(link) for link in client.virtual_network_links.list(rg, zone)]


def wait_all(module: AzureModule, started: list) -> list:
    # Start every write first, then wait: Azure works on them in parallel.
    return [as_rest(module.wait(poller, what)) for what, poller in started]


def ensure_absent(module: AzureModule, client, rg: str, zone: str, existing: dict | None):
    if existing is None:
        module.exit_with(False, {}, {}, private_dns_zone={})
    links = list_links(module, client, rg, zone)
    if not module.check_mode:
        started = []
        for link in links:
            with module.operation(f"delete virtual network link {link['name']} of {zone}"):
                started.append((f"delete virtual network link {link['name']} of {zone}",
                                client.virtual_network_links.begin_delete(rg, zone, link["name"])))
        wait_all(module, started)
        with module.operation(f"delete private DNS zone {zone}"):
            poller = client.private_zones.begin_delete(rg, zone)
        module.wait(poller, f"delete private DNS zone {zone}")
    view = zone_view(existing, links)
    module.exit_with(True, {"tags": view["tags"], "virtual_network_links": view["virtual_network_links"]}, {}, private_dns_zone={})


def ensure_present(module: AzureModule, client, rg: str, spec: dict, existing: dict | None):
    zone = spec["name"]
    links = list_links(module, client, rg, zone) if existing else []
    with module.validating():
        plan = plan_private_dns_zone(existing, links, spec, module.subscription_id, rg)
    if not plan["changed"]:
        module.exit_with(False, plan["before"], plan["after"], private_dns_zone=zone_view(existing, links))
    result = existing or dict(plan["zone_body"], name=zone)
    if module.check_mode:
        result = dict(result, tags=plan["tags"])
        by_name = {l["name"].lower(): l for l in links}
        for link in plan["put_links"]:
            by_name[link["name"].lower()] = dict(link_body(link), name=link["name"])
        links = [l for k, l in by_name.items() if l["name"] not in plan["delete_links"]]
        module.exit_with(True, plan["before"], plan["after"], private_dns_zone=zone_view(result, links))
    if plan["zone_create"]:
        with module.operation(f"create private DNS zone {zone}"):
            poller = client.private_zones.begin_create_or_update(rg, zone, plan["zone_body"])
        result = as_rest(module.wait(poller, f"create private DNS zone {zone}"))
    elif plan["tags_changed"]:
        with module.operation(f"update tags of private DNS zone {zone}"):
            poller = client.private_zones.begin_update(rg, zone, {"tags": plan["tags"]})
        result = as_rest(module.wait(poller, f"update tags of private DNS zone {zone}"))
    started = []
    for link in plan["put_links"]:
        what = f"link private DNS zone {zone} to {link['virtual_network']} as {link['name']}"
        with module.operation(what):
            started.append((what, client.virtual_network_links.begin_create_or_update(rg, zone, link["name"], link_body(link))))
    for link_name in plan["delete_links"]:
        what = f"delete virtual network link {link_name} of {zone}"
        with module.operation(what):
            started.append((what, client.virtual_network_links.begin_delete(rg, zone, link_name)))
    wait_all(module, started)
    module.exit_with(True, plan["before"], plan["after"], private_dns_zone=zone_view(result, list_links(module, client, rg, zone)))


def main():
    module = AzureModule(
        argument_spec=dict(
            resource_group={"type": "str", "required": True},
            name={"type": "str", "required": True},
            virtual_network_links={"type": "list", "elements": "dict", "options": LINK_SPEC},
            purge_virtual_network_links={"type": "bool", "default": False},
            state={"type": "str", "default": "present", "choices": ["present", "absent"]},
            **TAGS_SPEC,
        ),
    )
    params = module.params
    rg = params["resource_group"]
    spec = {k: params[k] for k in ("name", "virtual_network_links", "purge_virtual_network_links", "tags", "purge_tags")}
    with module.validating():
        validate_name(rg, "resource_group", "resource group")
        spec["name"] = validate_zone_name(spec["name"])
        validate_tags(spec["tags"])
        # Names only here: ids need the subscription, which needs the credentials.
        normalize_links(spec["virtual_network_links"], "-", rg)
    client = module.client("privatedns")
    existing = as_rest(module.get_or_none(f"get private DNS zone {spec['name']}", client.private_zones.get, rg, spec["name"]))
    if params["state"] == "absent":
        ensure_absent(module, client, rg, spec["name"], existing)
    ensure_present(module, client, rg, spec, existing)


if __name__ == "__main__":
    main()
