# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Filter complianceflow.infra.resource_names: thin wrapper over module_utils._deployment.naming."""

from __future__ import annotations

DOCUMENTATION = r"""
name: resource_names
short_description: Azure resource names of a ComplianceFlow deployment
version_added: 1.0.0
author: ComplianceFlow Platform Team (@complianceflow)
description:
  - Takes a deployment name (C(global-{env}) or C({region}-{env}-{instance})) and returns the names of every resource of
    that deployment, valid under Azure's naming rules for each resource type.
  - Needs no CIDR registry, so it works for any valid deployment name, allocated or not.
  - An invalid name fails with a message that names the bad value and the valid form (for example C(westeu-test-1) points
    to C(westeu-dev-1)).
  - The Key Vault name is C(kv-cf-{deployment}-{suffix}); when that exceeds 24 characters it is compacted to
    C(kv-cf-{short region}-{env}-{instance}-{suffix}), see docs/deployment-model.md.
positional: _input
options:
  _input:
    description: The deployment name, for example C(westeu-prod-1) or C(global-dev).
    type: string
    required: true
  naming_seed:
    description: Seed of the Key Vault suffix (the first 4 base-36 characters of C(sha256("<naming_seed>:<deployment>"))).
    type: string
    default: complianceflow
  key_vault_suffix:
    description: Explicit Key Vault suffix (4 lowercase letters or digits); takes precedence over O(naming_seed).
    type: string
"""

EXAMPLES = r"""
- name: Names of westeu-prod-1
  ansible.builtin.debug:
    msg: "{{ 'westeu-prod-1' | complianceflow.infra.resource_names }}"

- name: The storage account of a deployment that has no CIDR yet
  ansible.builtin.debug:
    msg: "{{ ('westeu-prod-7' | complianceflow.infra.resource_names).storage_account }}"   # stcfwesteuprod7

- name: A fixed Key Vault suffix
  ansible.builtin.debug:
    msg: "{{ ('northeu-prod-1' | complianceflow.infra.resource_names(key_vault_suffix='ab12')).key_vault }}"  # kv-cf-neu-prod-1-ab12
"""

RETURN = r"""
_value:
  description:
    - Resource names. Keys C(resource_group), C(audit_resource_group), C(virtual_network), C(postgresql_server), C(redis_cache), C(key_vault),
      C(storage_account), C(container_registry), C(log_analytics_workspace), C(application_insights),
      C(event_hubs_namespace), C(container_apps_environment), C(api_management), C(budget) are strings.
    - C(subnets) and C(network_security_groups) map the subnet keys (container_apps, database, redis, storage,
      api_management in prod only, management) to names; C(private_endpoints) and C(private_dns_zone_links) map the
      private link keys (postgresql, redis, storage_blob, key_vault) to names.
  type: dict
  sample:
    resource_group: rg-cf-westeu-prod-1
    virtual_network: vnet-cf-westeu-prod-1
    subnets: {container_apps: snet-cf-westeu-prod-1-apps, database: snet-cf-westeu-prod-1-db}
    key_vault: kv-cf-westeu-prod-1-io7q
    storage_account: stcfwesteuprod1
    container_registry: acrcfwesteuprod1
"""

from ansible.errors import AnsibleFilterError

from ansible_collections.complianceflow.infra.plugins.module_utils._deployment.naming import (
    DEFAULT_NAMING_SEED,
    DeploymentError,
    resource_names,
)


def resource_names_filter(name, naming_seed=DEFAULT_NAMING_SEED, key_vault_suffix=None):
    try:
        return resource_names(name, naming_seed=naming_seed, suffix=key_vault_suffix)
    except DeploymentError as exc:
        raise AnsibleFilterError(str(exc)) from None


class FilterModule:
    def filters(self):
        return {"resource_names": resource_names_filter}
