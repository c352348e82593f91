#!/usr/bin/python
# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: key_vault_secret
short_description: Create a Key Vault secret once, never rotating it unless asked
version_added: 1.0.0
description:
  - Ensures a secret exists in a Key Vault (data plane, C(azure-keyvault-secrets)). An absent secret is created from
    O(value) or, with O(generate=true), from a random password made here to Azure's complexity rules (all four
    character classes, O(length) characters) with Python's C(secrets) module. The generated value never leaves the
    module unless O(return_value=true).
  - An existing secret is never given a new version unless O(rotate=true) (new value from O(value) or generated) or
    O(force=true) with an O(value) that differs. Tags and content type are updated without a new version.
  - Without O(value) and O(generate) the task only reads an existing secret (with O(return_value=true), its value) and
    fails, before any write, when the secret does not exist.
  - The secret's value is returned only with O(return_value=true), and then only in a task that sets C(no_log) to true
    (the module refuses otherwise), so the value never appears in output, even at C(-vvv).
  - V(absent) deletes the secret (Azure keeps it soft-deleted for the vault's retention); O(purge=true) also purges it.
options:
  vault_uri:
    description: The vault's data-plane URI, as the M(complianceflow.infra.key_vault) module returns it in C(key_vault.vault_uri).
    type: str
    required: true
  name:
    description: Secret name (1-127 letters, digits and hyphens).
    type: str
    required: true
  value:
    description: The value to store when the secret is created (or with O(force)/O(rotate)). Never logged.
    type: str
  generate:
    description: Generate the value (a password) when the secret is created or rotated. Mutually exclusive with O(value).
    type: bool
    default: false
  length:
    description: Length of a generated password (8-128).
    type: int
    default: 32
  content_type:
    description: Content type stored with the secret, for example V(password).
    type: str
  rotate:
    description: Store a new version even though the secret exists (from O(value), or generated with O(generate)).
    type: bool
    default: false
  force:
    description: Store O(value) as a new version when it differs from the current value.
    type: bool
    default: false
  return_value:
    description:
      - Return the current value as RV(value). Only allowed in a task that sets C(no_log) to true.
    type: bool
    default: false
  purge:
    description: With O(state=absent), also purge the deleted secret (refused by Azure under purge protection).
    type: bool
    default: false
  state:
    description: V(present) ensures the secret exists; V(absent) deletes it.
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
    details: Shows the secret's existence, version, content type and tags; never its value.
  idempotent:
    support: full
    details: A second run with the same options changes nothing; O(rotate=true) always makes a new version.
requirements:
  - azure-keyvault-secrets >= 4.8
author:
  - ComplianceFlow Platform Team (@complianceflow)
"""

EXAMPLES = r"""
- name: PostgreSQL administrator password, generated once
  complianceflow.infra.key_vault_secret:
    vault_uri: "{{ vault.key_vault.vault_uri }}"
    name: postgresql-admin-password
    generate: true
    length: 32
    content_type: password

- name: Read it for the database tasks (the value stays out of the output; a missing secret fails)
  complianceflow.infra.key_vault_secret:
    vault_uri: "{{ vault.key_vault.vault_uri }}"
    name: postgresql-admin-password
    return_value: true
  no_log: true
  register: admin_secret
"""

RETURN = r"""
secret:
  description: The secret's metadata after the task (never its value); empty after V(absent).
  returned: always
  type: dict
  contains:
    name:
      description: Secret name.
      type: str
    id:
      description: Secret identifier with version.
      type: str
    version:
      description: Current version.
      type: str
    vault_uri:
      description: The vault's URI.
      type: str
    enabled:
      description: Whether the secret is enabled.
      type: bool
    content_type:
      description: Content type.
      type: str
    tags:
      description: Tags.
      type: dict
    created_on:
      description: Creation time of the current version (ISO 8601).
      type: str
    updated_on:
      description: Last update time (ISO 8601).
      type: str
value:
  description: The secret's current value.
  returned: when O(return_value=true) (in a C(no_log) task) and the secret exists
  type: str
generated:
  description: Whether this run generated the stored value.
  returned: always
  type: bool
"""

from ansible_collections.complianceflow.infra.plugins.module_utils._azure.module import AzureModule, TAGS_SPEC
from ansible_collections.complianceflow.infra.plugins.module_utils._azure.values import validate_tags
from ansible_collections.complianceflow.infra.plugins.module_utils._azure.key_vault import (
    generate_password, plan_secret, secret_view, validate_secret_name)
from ansible_collections.complianceflow.infra.plugins.module_utils._azure.key_vault_client import secret_client, validate_vault_uri


def _stamp(when) -> str | None:
    return when.isoformat() if when else None


def _props(secret) -> dict:
    props = getattr(secret, "properties", secret)
    stamp = _stamp
    return {"name": props.name, "id": props.id, "version": props.version, "enabled": props.enabled,
            "content_type": props.content_type, "tags": props.tags or {}, "created_on": stamp(props.created_on),
            "updated_on": stamp(props.updated_on)}


def read(module: AzureModule, client, name: str):
    """(metadata, value) of the current version, or (None, None)."""
    secret = module.get_or_none(f"read secret {name}", client.get_secret, name)
    if secret is None:
        return None, None
    return _props(secret), secret.value


def diff_view(meta: dict | None) -> dict:
    if not meta:
        return {}
    return {"version": meta["version"], "content_type": meta["content_type"], "tags": meta["tags"]}


def main():
    module = AzureModule(
        argument_spec=dict(
            vault_uri={"type": "str", "required": True},
            name={"type": "str", "required": True},
            value={"type": "str", "no_log": True},
            generate={"type": "bool", "default": False},
            length={"type": "int", "default": 32},
            content_type={"type": "str"},
            rotate={"type": "bool", "default": False},
            force={"type": "bool", "default": False},
            return_value={"type": "bool", "default": False},
            purge={"type": "bool", "default": False},
            state={"type": "str", "default": "present", "choices": ["present", "absent"]},
            **TAGS_SPEC,
        ),
        mutually_exclusive=[("value", "generate")],
    )
    spec = dict(module.params)
    name = spec["name"]
    with module.validating():
        validate_secret_name(name)
        vault_uri = validate_vault_uri(spec["vault_uri"])
        spec["tags"] = validate_tags(spec["tags"])
        if spec["generate"]:
            generate_password(spec["length"])  # validates the length before any call
    if spec["return_value"] and not module._module.no_log:  # pylint: disable=protected-access
        module.fail_json(msg="return_value=true is allowed only in a task with no_log: true, so that the secret stays out of the output")
    if spec["rotate"] and spec["value"] is None and not spec["generate"]:
        module.fail_json(msg=f"rotate=true needs value or generate=true: the new version of secret {name} needs a value")
    client = secret_client(module, vault_uri)
    meta, current = read(module, client, name)
    if spec["state"] == "absent":
        if meta is None:
            module.exit_with(False, {}, {}, secret={}, generated=False)
        if not module.check_mode:
            what = f"delete secret {name}"
            with module.operation(what):
                poller = client.begin_delete_secret(name)
            module.wait(poller, what)
            if spec["purge"]:
                with module.operation(f"purge deleted secret {name}"):
                    client.purge_deleted_secret(name)
        module.exit_with(True, diff_view(meta), {}, secret={}, generated=False)
    if meta is None:
        # A soft-deleted secret blocks the name: recover it (never silently replace it).
        deleted = module.get_or_none(f"look for deleted secret {name}", client.get_deleted_secret, name)
        if deleted is not None:
            if not module.check_mode:
                what = f"recover deleted secret {name}"
                with module.operation(what):
                    poller = client.begin_recover_deleted_secret(name)
                module.wait(poller, what)
                meta, current = read(module, client, name)
                module.warn(f"secret {name} was soft-deleted and has been recovered with its previous value")
            else:
                module.exit_with(True, {}, {"recovered": name}, secret={"name": name, "vault_uri": vault_uri}, generated=False)
    if meta is None and spec["value"] is None and not spec["generate"]:
        # Without value or generate the task only reads (and checks) an existing secret.
        module.fail_json(msg=f"secret {name} does not exist in {vault_uri}: give value or generate=true to create it")
    plan = plan_secret(meta, current, spec)
    if plan["warning"]:
        module.warn(plan["warning"])
    generated = False
    before = diff_view(meta)
    if plan["action"] == "none":
        result = {"secret": secret_view(meta, vault_uri), "generated": False}
        if spec["return_value"]:
            result["value"] = current
        module.exit_with(False, before, before, **result)
    if module.check_mode:
        after = dict(before, version="(new)") if plan["action"] != "update_properties" else dict(before, tags=plan["tags"])
        predicted = dict(secret_view(meta, vault_uri) or {"name": name, "vault_uri": vault_uri})
        module.exit_with(True, before, after, secret=predicted, generated=spec["generate"] and plan["action"] != "update_properties")
    if plan["action"] == "update_properties":
        with module.operation(f"update properties of secret {name}"):
            kwargs = {"tags": plan["tags"]}
            if spec["content_type"] is not None:
                kwargs["content_type"] = spec["content_type"]
            client.update_secret_properties(name, **kwargs)
    else:
        value = spec["value"]
        if value is None:
            value = generate_password(spec["length"])
            generated = True
        tags = spec["tags"] if spec["tags"] is not None else (meta or {}).get("tags")
        with module.operation(f"set secret {name}"):
            client.set_secret(name, value, content_type=spec["content_type"], tags=tags)
        current = value
    meta, _dummy = read(module, client, name)
    result = {"secret": secret_view(meta, vault_uri), "generated": generated}
    if spec["return_value"]:
        result["value"] = current
    module.exit_with(True, before, diff_view(meta), **result)


if __name__ == "__main__":
    main()
