# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Filter complianceflow.infra.tenant_server_plan: thin wrapper over module_utils._deployment.tenant_server."""

from __future__ import annotations

DOCUMENTATION = r"""
name: tenant_server_plan
short_description: The Tier-3 facts of one tenant's dedicated PostgreSQL server in a deployment
version_added: 1.1.0
author: ComplianceFlow Platform Team (@complianceflow)
description:
  - Takes a regional deployment's plan (filter M(complianceflow.infra.deployment) or module deployment_info) and a tenant
    slug, and returns the names, sizing, databases, Key Vault, key, identity and tags of the tenant's dedicated server
    (docs/tenant-servers.md).
  - A bad slug fails first, with the valid rule (3-40 characters a-z, 0-9 and -, starting with a letter and not ending
    with -). A global deployment fails, since Tier 3 sits in a regional deployment.
  - Names longer than Azure allows (a server name has at most 63 characters) are shortened deterministically. The slug
    is cut and a 6-character hash of the whole slug appended.
positional: _input, tenant
options:
  _input:
    description: The deployment plan dict.
    type: dict
    required: true
  tenant:
    description: The tenant slug, for example C(acme).
    type: string
    required: true
  sizing:
    description: Overrides of the deployment's server sizing (keys of the plan's C(sizing.postgresql)).
    type: dict
  naming_seed:
    description: Seed of the tenant vault's name hash (globally unique vault names).
    type: string
    default: complianceflow
"""

EXAMPLES = r"""
- name: Facts of acme's server in this deployment
  ansible.builtin.set_fact:
    acme_server: "{{ deployment_plan | complianceflow.infra.tenant_server_plan('acme') }}"
"""

RETURN = r"""
_value:
  description:
    - C(tenant), C(deployment), C(resource_group), C(location), C(server_name), C(identity_name), C(key_vault_name),
      C(key_name), C(key_type), C(key_size), C(role), C(role_id), C(delegated_subnet), C(private_dns_zone),
      C(deployment_key_vault), C(admin_login), C(admin_password_secret), C(sizing), C(databases), C(tags) and
      C(geo_backup) (C(location), C(key_vault_name), C(key_name), C(identity_name); null without geo-redundant backup),
      and C(summary) (lines for a playbook's output).
  type: dict
  sample:
    server_name: psql-cf-westeu-dev-1-tenant-acme
    identity_name: id-cf-westeu-dev-1-tenant-acme
    key_vault_name: kv-acme-1x2y3z
    key_name: postgresql-cmk
    tags: {tier: "3", tenant: acme}
"""

from ansible.errors import AnsibleFilterError

from ansible_collections.complianceflow.infra.plugins.module_utils._deployment.tenant_server import (
    TenantServerError,
    tenant_server_plan,
)


def tenant_server_plan_filter(deployment_plan, tenant, sizing=None, naming_seed="complianceflow"):
    try:
        return tenant_server_plan(deployment_plan, tenant, sizing=sizing, naming_seed=naming_seed)
    except TenantServerError as exc:
        raise AnsibleFilterError(str(exc)) from None


class FilterModule:
    def filters(self):
        return {"tenant_server_plan": tenant_server_plan_filter}
