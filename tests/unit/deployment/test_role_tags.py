"""Each role's extra tags under the plan's, against the smallest limits of what the role writes (before any role runs)."""
from __future__ import annotations

from ansible_collections.complianceflow.infra.plugins.module_utils._deployment.role_tags import ROLE_TAG_RULES, role_tag_problems

PLAN_TAGS = {f"plan{n}": "x" for n in range(9)}   # a deployment's computed tags: 9
SIX = {f"extra{n}": "y" for n in range(6)}
SEVEN = dict(SIX, extra6="y")


def test_fifteen_tags_pass_on_every_role():
    assert role_tag_problems({role: SIX for role in ROLE_TAG_RULES}, PLAN_TAGS) == []


def test_a_sixteenth_tag_is_refused_where_the_role_writes_a_type_of_fifteen_only():
    problems = role_tag_problems({role: SEVEN for role in ROLE_TAG_RULES}, PLAN_TAGS)
    assert [p.split(":", 1)[0] for p in problems] == [
        "api_management_extra_tags", "event_hubs_extra_tags", "key_vault_extra_tags", "network_extra_tags"]
    network = next(p for p in problems if p.startswith("network_extra_tags"))
    assert network == ("network_extra_tags: tags: a private DNS zone would have 16 tags; Azure allows at most 15 per private "
                       "DNS zone (9 from the plan, 7 extra; role network)")
    assert "Key Vault secret would have 16 tags" in next(p for p in problems if p.startswith("key_vault_extra_tags"))


def test_an_extra_tag_the_plan_also_sets_is_counted_once():
    assert role_tag_problems({"network": dict(SIX, plan0="other")}, PLAN_TAGS) == []


def test_zone_writing_roles_refuse_tag_names_a_private_dns_zone_drops():
    problems = role_tag_problems({"network": {"Cost Center": "1"}, "event_hubs": {"team:name": "a"},
                                  "redis": {"Cost Center": "1"}}, PLAN_TAGS)
    assert len(problems) == 2
    assert problems[0].startswith("event_hubs_extra_tags: tags: 'team:name' cannot be tag names of a private DNS zone")
    assert problems[1].startswith("network_extra_tags: tags: 'Cost Center' cannot be tag names of a private DNS zone")


def test_a_storage_tag_name_over_128_characters_and_a_long_value_are_named():
    problems = role_tag_problems({"storage": {"k" * 129: "v"}, "redis": {"note": "v" * 257}}, PLAN_TAGS)
    assert problems[0].startswith("redis_extra_tags: tags: the value of 'note' has 257 characters; Azure allows at most 256")
    assert problems[1].startswith(f"storage_extra_tags: tags: key {'k' * 129!r} is invalid; a tag key of a storage account has 1-128")


def test_roles_whose_tags_are_not_the_deployments_are_not_checked():
    assert role_tag_problems({"tenant_server": SEVEN, "nonexistent": SEVEN}, dict(PLAN_TAGS, more="x" * 300)) == []
