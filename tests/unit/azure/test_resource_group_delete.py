"""resource_group's refusal to delete a group that holds a locked retention policy: which containers count."""
from __future__ import annotations

from ansible_collections.complianceflow.infra.plugins.module_utils._azure.resource_group import locked_containers


def container(name, state=None, days=2556):
    props = {"publicAccess": "None", "hasImmutabilityPolicy": state is not None}
    if state is not None:
        props["immutabilityPolicy"] = {"etag": '"1"', "properties": {"immutabilityPeriodSinceCreationInDays": days, "state": state}}
    return {"name": name, "properties": props}


def test_only_locked_policies_count_each_named_with_its_account_and_period():
    accounts = {"stcfa": [container("audit", "Locked"), container("flowlogs"), container("drafts", "Unlocked")],
                "stcfb": [container("audit", "Locked", days=2922)], "stcfc": []}
    assert locked_containers(accounts) == ["stcfa/audit (2556 days)", "stcfb/audit (2922 days)"]


def test_no_account_or_no_policy_refuses_nothing():
    assert locked_containers({}) == []
    assert locked_containers({"stcfa": [container("audit", "Unlocked"), {"name": "bare"}]}) == []
