# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The tags each role of a deployment writes, checked before any role runs. PRIVATE to the collection.

Each role writes its resources with ``<role>_extra_tags`` under the plan's tags (``extra | combine(plan.tags)``). The plan
checks its own tags against the smallest limits of the deployment's resources, but a role's extra tags are added on
top, and a role's first resource may take them (a VNet: 50 tags) where its later one refuses them (a private DNS zone:
15). Checked only when that later write comes, the run would stop half-way through the role. Here each role's
combined tags are checked against the smallest limits of every resource type the role writes with them, from the
same rules the modules apply (module_utils/_azure/values.py, which names Azure's sources).
"""

from __future__ import annotations

from dataclasses import dataclass

from ansible_collections.complianceflow.infra.plugins.module_utils._azure.values import (
    API_MANAGEMENT_MAX_TAGS, KEY_VAULT_OBJECT_MAX_TAGS, PRIVATE_DNS_ZONE_MAX_TAGS, STORAGE_ACCOUNT_MAX_TAG_KEY,
    AzureInputError, check_dns_zone_tag_names, validate_tags)


@dataclass(frozen=True)
class TagRule:
    """The smallest tag limits among what a role writes, and which of its resources sets them."""

    max_count: int = 50
    max_key: int = 512
    dns_zone_names: bool = False
    what: str = "resource"


# Every role whose resources take <role>_extra_tags combined with deployment_plan.tags (not tenant_server: its tags
# come from its own plan), with the smallest limits of what it writes.
ROLE_TAG_RULES = {
    "network": TagRule(PRIVATE_DNS_ZONE_MAX_TAGS, dns_zone_names=True, what="private DNS zone"),
    "event_hubs": TagRule(PRIVATE_DNS_ZONE_MAX_TAGS, dns_zone_names=True, what="private DNS zone"),
    "api_management": TagRule(API_MANAGEMENT_MAX_TAGS, what="API Management service"),
    "key_vault": TagRule(KEY_VAULT_OBJECT_MAX_TAGS, what="Key Vault secret"),
    "storage": TagRule(max_key=STORAGE_ACCOUNT_MAX_TAG_KEY, what="storage account"),
    **{role: TagRule() for role in ("resource_group", "log_analytics", "container_registry", "container_apps_environment",
                                    "application_insights", "bastion", "identity", "private_endpoints", "redis",
                                    "postgresql_server")},
}


def role_tag_problems(extra_tags: dict[str, dict], plan_tags: dict) -> list[str]:
    """One line per role (by short name) whose extra tags, under the plan's tags, one of its resources would refuse."""
    problems = []
    for role, extra in sorted(extra_tags.items()):
        rule = ROLE_TAG_RULES.get(role)
        if rule is None or not extra:
            continue
        combined = dict(extra, **plan_tags)   # the roles' `extra | combine(plan.tags)`: the plan's tags win
        try:
            validate_tags(combined, rule.max_count, rule.max_key, rule.what)
            if rule.dns_zone_names:
                check_dns_zone_tag_names(combined, rule.what)
        except AzureInputError as err:
            added = len(set(extra) - set(plan_tags))
            problems.append(f"{role}_extra_tags: {err} ({len(plan_tags)} from the plan, {added} extra; role {role})")
    return problems
