# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Tier 3 of the seed ("Per-Tenant Databases"): the facts of one tenant's dedicated PostgreSQL server in one regional
deployment. Pure: no Ansible, no call. PRIVATE to the collection.

`tenant_server_plan(deployment_plan, tenant_slug)` reads the deployment's plan (build_plan) and returns:

- `server_name`: `psql-cf-<deployment>-tenant-<tenant>`. Flexible Server names have 3-63 characters, lowercase
  letters, digits and hyphens, and neither start nor end with a hyphen (learn.microsoft.com azure/azure-resource-manager/
  management/resource-name-rules, Microsoft.DBforPostgreSQL flexibleServers; the same rule as naming.py's
  postgresql_server). A tenant slug has up to 40 characters (gdpr.SLUG_RE) and the longest deployment name 21
  (`australiaeast-prod-99`), so the full form can reach 77 characters. When it exceeds 63 the slug is cut to what fits
  beside a `-<6 base-36 characters of sha256("<deployment>:<slug>")>` tail, hyphens at the cut removed:
  deterministic, still starting with the slug's first characters, and two slugs that share a prefix still differ
  (the hash covers the whole slug). Every resource also carries the tags `tier: "3"` and `tenant: <slug>`, so the
  full slug is never lost.
- `identity_name`: `id-cf-<deployment>-tenant-<tenant>` (user-assigned identities: 3-128 characters, alphanumerics,
  hyphens and underscores, starting with a letter or a digit: resource-name-rules, Microsoft.ManagedIdentity); the
  longest is 75 characters, so never shortened.
- `key_vault_name`: a vault per tenant, `kv-<slug, cut>-<6 base-36 characters of sha256("<seed>:<deployment>:<slug>")>`,
  at most 24 characters, letters, digits and single hyphens, starting with a letter and ending with a letter or a
  digit (resource-name-rules, Microsoft.KeyVault vaults; globally unique, so the deployment's naming seed is in the
  hash). Why a vault of its own and not the deployment's: revoking a tenant's key (disabling it, or removing the
  identity's role) must touch nothing else, the tenant's key officers get a role on their vault only, and a vault's
  purge protection and RBAC are properties of the whole vault. The vault has RBAC (the permission model Learn
  prefers for CMK), soft delete and purge protection (required: concepts-data-encryption "Requirements").
- `key_name` (`postgresql-cmk`), RSA of `key_size` 3072 (Learn: RSA or RSA-HSM of 2048, 3072 or 4096 bits).
- `resource_group`, `location`, `delegated_subnet` and `private_dns_zone`: the deployment's, as its Tier-2 server
  (the seed places Tier 3 in the deployment; the database subnet is delegated to Flexible Servers).
- `sizing`: the deployment's server sizing (SIZING, with the inventory's overrides), unless `sizing` is given.
- `databases`: every Tier-2 service database of the deployment (plan `databases`). All eight hold tenant rows
  (each table of their baseline migrations has tenant_id; roles/database_schema), so a tenant's server needs all of
  them; the Tier-1 databases (tenant_registry, master_data, global_config) stay in the global deployment.
- `geo_backup`: when the sizing has geo-redundant backup (prod), Azure requires the backup's key in a vault of the
  region the geo-redundant backup is stored in (the paired region) and a different user-assigned identity for it
  (concepts-data-encryption, "Using data encryption with customer managed keys and geo-redundant business continuity
  features"). Paired regions: learn.microsoft.com azure/reliability/cross-region-replication-azure. None otherwise.
- `admin_login`, `admin_password_secret`: the administrator's password is a secret of the DEPLOYMENT's vault,
  `postgresql-tenant-<slug>-admin-password` (secret names: 1-127 letters, digits, hyphens).
- `tags`: the deployment's tags plus `tier: "3"` and `tenant: <slug>` (teardown finds Tier-3 resources by them).
- `role`: the built-in role the identity gets on the vault, "Key Vault Crypto Service Encryption User"
  (e147488a-f6f5-4113-8e2d-b22465e65bf6; Learn's built-in roles table).
- `summary`: one line per fact (plan_summary_lines), what playbooks/tenant_server.yml prints.
"""

from __future__ import annotations

import hashlib
import re

from ansible_collections.complianceflow.infra.plugins.module_utils._azure.values import reserved_name_problem

SLUG_RE = re.compile(r"^[a-z][a-z0-9-]{1,38}[a-z0-9]$")   # gdpr.SLUG_RE: the registry's CHECK tenants_slug_check
SLUG_RULE = "3-40 characters a-z, 0-9 and -, starting with a letter and not ending with -"
SERVER_MAX = 63
VAULT_MAX = 24
IDENTITY_MAX = 128
HASH_LENGTH = 6
KEY_NAME = "postgresql-cmk"
GEO_KEY_NAME = "postgresql-cmk-geo"
KEY_TYPE = "RSA"
KEY_SIZE = 3072
KEY_SIZES = (2048, 3072, 4096)
ADMIN_LOGIN = "psqladmin"
CRYPTO_ROLE = "Key Vault Crypto Service Encryption User"
CRYPTO_ROLE_ID = "e147488a-f6f5-4113-8e2d-b22465e65bf6"
# Azure's region pairs (learn.microsoft.com azure/reliability/cross-region-replication-azure) for the regions of the
# seed: where a geo-redundant backup of a server in the key's region is stored.
PAIRED_LOCATIONS = {
    "westeurope": "northeurope", "northeurope": "westeurope", "eastus": "westus", "westus": "eastus",
    "uksouth": "ukwest", "australiaeast": "australiasoutheast",
}


class TenantServerError(ValueError):
    """A bad tenant slug or deployment plan (the message says what is valid)."""


def check_slug(value) -> str:
    if not isinstance(value, str) or not SLUG_RE.match(value):
        raise TenantServerError(f"invalid tenant slug {value!r}: use {SLUG_RULE} (e.g. acme)")
    return value


def _hash(text: str) -> str:
    number = int.from_bytes(hashlib.sha256(text.encode("utf-8")).digest(), "big")
    out = ""
    for _position in range(HASH_LENGTH):
        number, rest = divmod(number, 36)
        out += "0123456789abcdefghijklmnopqrstuvwxyz"[rest]
    return out


def _fit(prefix: str, slug: str, limit: int, hash_of: str) -> str:
    """`prefix + slug` when it fits in `limit`, else `prefix + slug cut + '-' + hash` (no hyphen at the cut)."""
    full = prefix + slug
    if len(full) <= limit:
        return full
    room = limit - len(prefix) - 1 - HASH_LENGTH
    return prefix + slug[:room].rstrip("-") + "-" + _hash(hash_of)


def server_name(deployment: str, slug: str) -> str:
    return _fit(f"psql-cf-{deployment}-tenant-", slug, SERVER_MAX, f"{deployment}:{slug}")


def identity_name(deployment: str, slug: str, suffix: str = "") -> str:
    return f"id-cf-{deployment}-tenant-{slug}{suffix}"


def key_vault_name(deployment: str, slug: str, seed: str, suffix: str = "") -> str:
    """kv-<slug cut>-<hash>: always hashed (globally unique names), single hyphens only."""
    compact = re.sub(r"-+", "-", slug)
    room = VAULT_MAX - len("kv-") - 1 - HASH_LENGTH
    return f"kv-{compact[:room].rstrip('-')}-{_hash(f'{seed}:{deployment}:{slug}{suffix}')}"


def tenant_server_plan(deployment_plan, tenant_slug, sizing: dict | None = None, naming_seed: str = "complianceflow") -> dict:
    """The Tier-3 facts of `tenant_slug` in the regional deployment `deployment_plan` (the dict of build_plan)."""
    slug = check_slug(tenant_slug)
    if not isinstance(deployment_plan, dict) or "names" not in deployment_plan or "name" not in deployment_plan:
        raise TenantServerError("deployment_plan: expected the plan dict of a deployment (filter complianceflow.infra.deployment)")
    if deployment_plan.get("scope") != "regional":
        raise TenantServerError(f"deployment {deployment_plan.get('name')!r} is {deployment_plan.get('scope')}: a tenant's "
                                "server (Tier 3) sits in a regional deployment ({region}-{env}-{instance}), next to its Tier-2 server")
    dep, names = deployment_plan["name"], deployment_plan["names"]
    size = dict(deployment_plan["sizing"]["postgresql"])
    if sizing:
        unknown = sorted(set(sizing) - set(size))
        if unknown:
            raise TenantServerError(f"sizing: unknown key(s) {', '.join(unknown)}; valid keys are {', '.join(sorted(size))}")
        size.update(sizing)
    if "storage_size_gb" not in size and "storage_mb" in size:
        size["storage_size_gb"] = size["storage_mb"] // 1024
    location = deployment_plan["location"]
    tags = dict(deployment_plan.get("tags") or {}, tier="3", tenant=slug)
    plan = {
        "tenant": slug,
        "deployment": dep,
        "resource_group": names["resource_group"],
        "location": location,
        "server_name": server_name(dep, slug),
        "identity_name": identity_name(dep, slug),
        "key_vault_name": key_vault_name(dep, slug, naming_seed),
        "key_name": KEY_NAME,
        "key_type": KEY_TYPE,
        "key_size": KEY_SIZE,
        "role": CRYPTO_ROLE,
        "role_id": CRYPTO_ROLE_ID,
        "delegated_subnet": f"{names['virtual_network']}/{names['subnets']['database']}",
        "private_dns_zone": deployment_plan["private_dns_zones"]["postgresql"],
        "deployment_key_vault": names["key_vault"],
        "admin_login": ADMIN_LOGIN,
        "admin_password_secret": f"postgresql-tenant-{slug}-admin-password",
        "sizing": size,
        "databases": list(deployment_plan.get("databases") or []),
        "tags": tags,
        "geo_backup": None,
    }
    if size.get("geo_redundant_backup"):
        paired = PAIRED_LOCATIONS.get(location)
        if paired is None:
            raise TenantServerError(f"location {location!r} has no known paired region for the geo-redundant backup key; "
                                    f"known: {', '.join(sorted(PAIRED_LOCATIONS))}")
        plan["geo_backup"] = {
            "location": paired,
            "key_vault_name": key_vault_name(dep, slug, naming_seed, ":geo"),
            "key_name": GEO_KEY_NAME,
            "identity_name": identity_name(dep, slug, "-geo"),
        }
    _check_reserved(plan)
    plan["summary"] = plan_summary_lines(plan)
    return plan


def _check_reserved(plan: dict) -> None:
    """The server's and vaults' names carry the slug and are DNS names: Azure refuses one holding a reserved word
    (values.reserved_name_problem), at the create; refused here, before any call."""
    named = [("server", plan["server_name"]), ("Key Vault", plan["key_vault_name"])]
    if plan["geo_backup"]:
        named.append(("geo-backup Key Vault", plan["geo_backup"]["key_vault_name"]))
    for what, name in named:
        problem = reserved_name_problem(name)
        if problem:
            raise TenantServerError(f"tenant slug {plan['tenant']!r} makes the {what} name {name!r}, which Azure refuses "
                                    f"(ReservedResourceName): {problem}. Give the tenant another slug")


def plan_summary_lines(plan: dict) -> list[str]:
    """One line per fact, for a playbook's summary."""
    lines = [f"tenant {plan['tenant']} (Tier 3) in {plan['deployment']}: server {plan['server_name']} "
             f"({plan['sizing']['sku_name']}, {plan['sizing']['storage_size_gb']} GB) in {plan['delegated_subnet']}",
             f"  customer key {plan['key_name']} (RSA {plan['key_size']}) in vault {plan['key_vault_name']}, identity "
             f"{plan['identity_name']} with {plan['role']}",
             f"  databases: {', '.join(plan['databases'])}; admin password: secret {plan['admin_password_secret']} "
             f"in {plan['deployment_key_vault']}"]
    if plan["geo_backup"]:
        geo = plan["geo_backup"]
        lines.append(f"  geo-backup key {geo['key_name']} in vault {geo['key_vault_name']} ({geo['location']}), "
                     f"identity {geo['identity_name']}")
    return lines
