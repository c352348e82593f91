# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Key Vault desired state, comparison and password generation. PRIVATE to the collection.

Pure Python: vaults are ARM REST JSON (camelCase, `properties` nested); no SDK, no Ansible.
"""

from __future__ import annotations

import re
import secrets
import string

from ansible_collections.complianceflow.infra.plugins.module_utils._azure.values import AzureInputError, merge_tags

VAULT_NAME_RE = re.compile(r"^[A-Za-z](?!.*--)[A-Za-z0-9-]{1,22}[A-Za-z0-9]$")
SECRET_NAME_RE = re.compile(r"^[0-9A-Za-z-]{1,127}$")
SUBNET_ID_RE = re.compile(r"^/subscriptions/[^/]+/resourceGroups/[^/]+/providers/Microsoft\.Network/virtualNetworks/[^/]+/subnets/[^/]+$",
                          re.IGNORECASE)

# Punctuation that survives libpq connection strings, URLs in .pgpass-less tools, shells and YAML
# without quoting surprises (no quotes, backslash, '@', ':', '/', '%', '{', '}', '#', '$').
PASSWORD_SYMBOLS = "-_.!*+=~^"
PASSWORD_CLASSES = (string.ascii_uppercase, string.ascii_lowercase, string.digits, PASSWORD_SYMBOLS)


def validate_vault_name(name: str) -> str:
    if not isinstance(name, str) or not VAULT_NAME_RE.match(name):
        raise AzureInputError(f"name: {name!r} is not a valid Key Vault name; Azure allows 3-24 characters: letters, digits "
                              "and hyphens, starting with a letter, ending with a letter or digit, no consecutive hyphens")
    return name


def validate_secret_name(name: str) -> str:
    if not isinstance(name, str) or not SECRET_NAME_RE.match(name):
        raise AzureInputError(f"name: {name!r} is not a valid secret name; Key Vault allows 1-127 letters, digits and hyphens")
    return name


def generate_password(length: int = 32) -> str:
    """A random password with all four character classes (Azure's rules need three of four, 8-128 chars)."""
    if not 8 <= length <= 128:
        raise AzureInputError(f"length: {length} is out of range; Azure passwords have 8-128 characters")
    alphabet = "".join(PASSWORD_CLASSES)
    while True:
        candidate = "".join(secrets.choice(alphabet) for _index in range(length))
        # A letter first: some tools treat a leading '-' or '=' specially.
        if candidate[0].isalpha() and all(any(c in cls for c in candidate) for cls in PASSWORD_CLASSES):
            return candidate


def password_problems(password: str, login: str | None = None) -> list[str]:
    """Why Azure Database for PostgreSQL would reject this administrator password (empty: fine)."""
    problems = []
    if not 8 <= len(password) <= 128:
        problems.append(f"it has {len(password)} characters (8-128 required)")
    classes = sum(any(c in cls for c in password) for cls in (string.ascii_uppercase, string.ascii_lowercase, string.digits))
    classes += any(not c.isalnum() for c in password)
    if classes < 3:
        problems.append("it uses fewer than three of: upper-case, lower-case, digits, non-alphanumeric")
    if login and login.lower() in password.lower():
        problems.append("it contains the login name")
    return problems


def subnet_id(value: str, subscription_id: str | None, resource_group: str, what: str) -> str:
    """A subnet resource id from an id, or from `<vnet>/<subnet>` in the given subscription and group
    (returned unchanged while the subscription is not known yet: only its shape is checked)."""
    value = (value or "").strip()
    short = re.match(r"^([^/]+)/([^/]+)$", value)
    if short:
        if not subscription_id:
            return value
        return (f"/subscriptions/{subscription_id}/resourceGroups/{resource_group}/providers/Microsoft.Network"
                f"/virtualNetworks/{short.group(1)}/subnets/{short.group(2)}")
    if not SUBNET_ID_RE.match(value):
        raise AzureInputError(f"{what}: {value!r} is neither a subnet resource id (/subscriptions/<id>/resourceGroups/<rg>/"
                              "providers/Microsoft.Network/virtualNetworks/<vnet>/subnets/<name>) nor <vnet>/<subnet>")
    return value


def normalize_network_acls(acls: dict | None, subscription_id: str | None = None, resource_group: str = "") -> dict | None:
    """The module's network_acls option as Azure's networkAcls (subnet ids lower-cased, as Azure returns them)."""
    if acls is None:
        return None
    subnets = [subnet_id(entry, subscription_id, resource_group, "network_acls.virtual_network_subnet_ids").lower()
               for entry in acls.get("virtual_network_subnet_ids") or []]
    return {
        "defaultAction": acls.get("default_action") or "Deny",
        "bypass": acls.get("bypass") or "AzureServices",
        "ipRules": [{"value": ip} for ip in sorted(set(acls.get("ip_rules") or []))],
        "virtualNetworkRules": [{"id": s, "ignoreMissingVnetServiceEndpoint": bool(acls.get("ignore_missing_vnet_service_endpoint"))}
                                for s in sorted(set(subnets))],
    }


def _acls_view(acls: dict | None) -> dict:
    acls = acls or {}
    return {
        "default_action": acls.get("defaultAction", "Allow"),
        "bypass": acls.get("bypass", "AzureServices"),
        "ip_rules": sorted(r.get("value") for r in acls.get("ipRules") or []),
        "virtual_network_subnet_ids": sorted((r.get("id") or "").lower() for r in acls.get("virtualNetworkRules") or []),
    }


def desired_properties(spec: dict, tenant_id: str, subscription_id: str | None = None) -> dict:
    """properties for a new vault from the module's options."""
    props = {
        "tenantId": tenant_id,
        "sku": {"family": "A", "name": spec["sku"]},
        "enableRbacAuthorization": spec["enable_rbac_authorization"],
        "enableSoftDelete": True,
        "softDeleteRetentionInDays": spec["soft_delete_retention_days"],
        "publicNetworkAccess": spec["public_network_access"],
    }
    if spec["enable_purge_protection"]:
        props["enablePurgeProtection"] = True  # Azure refuses an explicit false on some API versions
    acls = normalize_network_acls(spec.get("network_acls"), subscription_id, spec.get("resource_group", ""))
    if acls is not None:
        props["networkAcls"] = acls
    return props


def vault_view(doc: dict | None) -> dict:
    """What the module returns (and diffs): snake_case, only what the module manages."""
    if not doc:
        return {}
    props = doc.get("properties") or {}
    sku = props.get("sku") or doc.get("sku") or {}
    return {
        "id": doc.get("id"),
        "name": doc.get("name"),
        "location": doc.get("location"),
        "vault_uri": props.get("vaultUri"),
        "tenant_id": props.get("tenantId"),
        "sku": (sku.get("name") or "").lower(),
        "enable_rbac_authorization": bool(props.get("enableRbacAuthorization")),
        "soft_delete_retention_days": props.get("softDeleteRetentionInDays", 90),
        "enable_purge_protection": bool(props.get("enablePurgeProtection")),
        "public_network_access": props.get("publicNetworkAccess", "Enabled"),
        "network_acls": _acls_view(props.get("networkAcls")),
        "tags": dict(doc.get("tags") or {}),
        "provisioning_state": props.get("provisioningState"),
    }


MANAGED = ("sku", "enable_rbac_authorization", "soft_delete_retention_days", "enable_purge_protection",
           "public_network_access", "network_acls", "tags")


def plan_vault(existing: dict | None, spec: dict, tenant_id: str, subscription_id: str | None = None) -> dict:
    """Decide create / update for a vault.

    Returns changed, create, properties (for a create), patch (for an update: properties + tags),
    before/after (the managed view) and the wanted tags.
    """
    wanted_props = desired_properties(spec, tenant_id, subscription_id)
    current = vault_view(existing)
    tags = merge_tags(current.get("tags"), spec.get("tags"), spec.get("purge_tags", True))
    wanted = dict(current) if existing else {}
    wanted.update({
        "sku": spec["sku"], "enable_rbac_authorization": spec["enable_rbac_authorization"],
        "soft_delete_retention_days": spec["soft_delete_retention_days"],
        "enable_purge_protection": spec["enable_purge_protection"] or bool(current.get("enable_purge_protection")),
        "public_network_access": spec["public_network_access"], "tags": tags,
    })
    if "networkAcls" in wanted_props:
        wanted["network_acls"] = _acls_view(wanted_props["networkAcls"])
    elif not existing:
        wanted["network_acls"] = _acls_view(None)
    before = {k: current[k] for k in MANAGED if k in current}
    after = {k: wanted[k] for k in MANAGED if k in wanted}
    if existing is None:
        return {"changed": True, "create": True, "properties": wanted_props, "tags": tags, "before": {}, "after": after}
    if current["soft_delete_retention_days"] != spec["soft_delete_retention_days"]:
        raise AzureInputError(f"soft_delete_retention_days: the vault has {current['soft_delete_retention_days']} days; "
                              "Azure sets the retention once, at creation, and it cannot be changed")
    if current["enable_purge_protection"] and not spec["enable_purge_protection"]:
        raise AzureInputError("enable_purge_protection: the vault has purge protection, which Azure never turns off again; "
                              "set enable_purge_protection=true")
    patch_props = {}
    if before.get("sku") != after["sku"]:
        patch_props["sku"] = wanted_props["sku"]
    if before["enable_rbac_authorization"] != after["enable_rbac_authorization"]:
        patch_props["enableRbacAuthorization"] = after["enable_rbac_authorization"]
    if before["enable_purge_protection"] != after["enable_purge_protection"]:
        patch_props["enablePurgeProtection"] = True
    if before["public_network_access"] != after["public_network_access"]:
        patch_props["publicNetworkAccess"] = after["public_network_access"]
    if "networkAcls" in wanted_props and before["network_acls"] != after["network_acls"]:
        patch_props["networkAcls"] = wanted_props["networkAcls"]
    patch = {}
    if patch_props:
        patch["properties"] = patch_props
    if before["tags"] != tags:
        patch["tags"] = tags
    return {"changed": bool(patch), "create": False, "patch": patch, "tags": tags, "before": before, "after": after}


def secret_view(bundle: dict | None, vault_uri: str) -> dict:
    """A secret's metadata (never its value) from the SDK's KeyVaultSecret/SecretProperties fields."""
    if not bundle:
        return {}
    return {
        "name": bundle.get("name"),
        "id": bundle.get("id"),
        "version": bundle.get("version"),
        "vault_uri": vault_uri,
        "enabled": bundle.get("enabled"),
        "content_type": bundle.get("content_type"),
        "tags": dict(bundle.get("tags") or {}),
        "created_on": bundle.get("created_on"),
        "updated_on": bundle.get("updated_on"),
    }


def plan_secret(existing: dict | None, existing_value: str | None, spec: dict) -> dict:
    """Decide what to do with a secret. Never a new version of an existing secret unless spec['rotate'],
    or spec['force'] with a value that differs.

    Returns action: create | new_version | update_properties | none, and warning (or None).
    """
    if existing is None:
        return {"action": "create", "warning": None}
    value = spec.get("value")
    if spec.get("rotate"):
        return {"action": "new_version", "warning": None}
    warning = None
    if value is not None and value != existing_value:
        if spec.get("force"):
            return {"action": "new_version", "warning": None}
        warning = (f"secret {spec['name']} exists with a different value; it was left unchanged "
                   "(force=true sets the given value, rotate=true makes a new one)")
    tags = merge_tags(existing.get("tags"), spec.get("tags"), spec.get("purge_tags", True))
    content_type = spec.get("content_type")
    if tags != dict(existing.get("tags") or {}) or (content_type is not None and content_type != existing.get("content_type")):
        return {"action": "update_properties", "warning": warning, "tags": tags}
    return {"action": "none", "warning": warning}
