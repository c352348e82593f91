#!/usr/bin/python
# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: resource_group
short_description: Create, tag or delete an Azure resource group
version_added: 1.0.0
description:
  - Creates an Azure resource group, keeps its tags, or deletes it with everything in it.
  - A change of tags alone is a PATCH of the tags.
options:
  name:
    description: Name of the resource group.
    type: str
    required: true
  location:
    description:
      - Azure location, for example V(westeurope). Required to create the group.
      - A group cannot move; a location other than the existing group's fails.
    type: str
  state:
    description:
      - V(present) creates or updates the group.
      - V(absent) deletes the group and B(every resource in it) (a long-running operation bounded by O(timeout)).
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
    details: Shows location and tags before and after.
  idempotent:
    support: full
author:
  - ComplianceFlow Platform Team (@complianceflow)
"""

EXAMPLES = r"""
- name: Resource group of westeu-dev-1
  complianceflow.infra.resource_group:
    name: rg-cf-westeu-dev-1
    location: westeurope
    tags:
      Deployment: westeu-dev-1
      Environment: dev

- name: Add one tag, keep the others
  complianceflow.infra.resource_group:
    name: rg-cf-westeu-dev-1
    tags: {Owner: DevOps}
    purge_tags: false

- name: Tear the deployment down (deletes everything in the group)
  complianceflow.infra.resource_group:
    name: rg-cf-westeu-dev-1
    state: absent
    timeout: 1800
"""

RETURN = r"""
resource_group:
  description: The group after the task (predicted in check mode); empty after V(absent).
  returned: always
  type: dict
  contains:
    id:
      description: Resource id.
      type: str
      sample: /subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/rg-cf-westeu-dev-1
    name:
      description: Name.
      type: str
    location:
      description: Azure location.
      type: str
      sample: westeurope
    tags:
      description: Tags.
      type: dict
    provisioning_state:
      description: Azure provisioning state.
      type: str
      sample: Succeeded
"""

from ansible_collections.complianceflow.infra.plugins.module_utils._azure.module import AzureModule, TAGS_SPEC, as_rest
from ansible_collections.complianceflow.infra.plugins.module_utils._azure.values import (
    AzureInputError, merge_tags, validate_name, validate_tags)


def view(group: dict | None) -> dict:
    if not group:
        return {}
    return {"id": group.get("id"), "name": group.get("name"), "location": group.get("location"),
            "tags": dict(group.get("tags") or {}), "provisioning_state": (group.get("properties") or {}).get("provisioningState")}


def ensure_absent(module: AzureModule, client, name: str, existing: dict | None):
    if existing is None:
        module.exit_with(False, {}, {}, resource_group={})
    if not module.check_mode:
        module.wait(client.resource_groups.begin_delete(name), f"delete resource group {name}")
    before = view(existing)
    module.exit_with(True, {k: before[k] for k in ("name", "location", "tags")}, {}, resource_group={})


def ensure_present(module: AzureModule, client, name: str, existing: dict | None, tags_wanted: dict | None):
    params = module.params
    with module.validating():
        location = params["location"]
        if existing is None and not location:
            raise AzureInputError(f"resource group {name!r} does not exist: location is needed to create it")
        if existing and location and existing["location"].lower() != location.replace(" ", "").lower():
            raise AzureInputError(f"resource group {name!r} is in {existing['location']}; a resource group cannot move to {location}")
    old_tags = dict((existing or {}).get("tags") or {})
    tags = merge_tags(old_tags, tags_wanted, params["purge_tags"])
    before = {"location": existing["location"], "tags": old_tags} if existing else {}
    after = {"location": existing["location"] if existing else location, "tags": tags}
    if existing is None:
        result = {"name": name, "location": location, "tags": tags}
        if not module.check_mode:
            with module.operation(f"create resource group {name}"):
                result = as_rest(client.resource_groups.create_or_update(name, {"location": location, "tags": tags}))
        module.exit_with(True, before, after, resource_group=view(result))
    if tags == old_tags:
        module.exit_with(False, before, after, resource_group=view(existing))
    result = dict(existing, tags=tags)
    if not module.check_mode:
        with module.operation(f"update tags of resource group {name}"):
            result = as_rest(client.resource_groups.update(name, {"tags": tags}))
    module.exit_with(True, before, after, resource_group=view(result))


def main():
    module = AzureModule(
        argument_spec=dict(
            name={"type": "str", "required": True},
            location={"type": "str"},
            state={"type": "str", "default": "present", "choices": ["present", "absent"]},
            **TAGS_SPEC,
        ),
    )
    name = module.params["name"]
    with module.validating():
        validate_name(name, "name", "resource group")
        tags_wanted = validate_tags(module.params["tags"])
    client = module.client("resource")
    existing = as_rest(module.get_or_none(f"get resource group {name}", client.resource_groups.get, name))
    if module.params["state"] == "absent":
        ensure_absent(module, client, name, existing)
    ensure_present(module, client, name, existing, tags_wanted)


if __name__ == "__main__":
    main()
