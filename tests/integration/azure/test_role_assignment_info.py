"""role_assignment_info through ansible-playbook against the emulator: the roles a principal holds at a scope (inherited
ones too) and the operations they grant, read only."""
from __future__ import annotations

import uuid

from azure_play import arm_id, task
from test_resource_provider import fresh_subscription

DEPLOY = ["Microsoft.Resources/subscriptions/resourceGroups/write", "Microsoft.Network/virtualNetworks/write",
          "Microsoft.Authorization/roleAssignments/write", "Microsoft.Network/register/action"]


def writes(emu, since):
    return [r for r in emu.requests(since=since) if r["method"] in ("PUT", "PATCH", "DELETE", "POST")
            and r["path"].lower().startswith("/subscriptions/")]


def test_the_owner_of_the_subscription_may_do_everything_at_a_group_not_created_yet(ansible, emu):
    rg = f"rg-rai-{uuid.uuid4().hex[:6]}"
    mark = emu.request_count()
    run = ansible.play([task("info", "role_assignment_info", scope=arm_id(emu, rg), actions=DEPLOY)], check=True)
    result = run.result("info")
    assert run.rc == 0 and result["changed"] is False, run.stdout[-3000:]
    assert result["exists"] is False and result["listed_at"] == f"/subscriptions/{emu.subscription_id}"
    assert result["principal"]["object_id"] == emu.object_id and result["principal"]["principal_type"] == "ServicePrincipal"
    assert "Owner" in result["roles"] and result["missing_actions"] == []
    assert result["permissions"] == {action: True for action in DEPLOY}
    assert "Owner" in result["granted_through"]["Microsoft.Authorization/roleAssignments/write"]
    assert not writes(emu, mark)
    lists = [r for r in emu.requests(since=mark) if r["path"].endswith("/roleAssignments")]
    assert [r["status"] for r in lists] == [404, 200]   # the group (missing), then the subscription


def test_contributor_on_a_group_cannot_assign_roles_or_register_providers(ansible, emu):
    sub = fresh_subscription(emu)                        # a subscription where the identity has no role yet
    rg = f"rg-rai-{uuid.uuid4().hex[:6]}"
    group = f"/subscriptions/{sub}/resourceGroups/{rg}"
    run = ansible.play([task("info", "role_assignment_info", subscription_id=sub, actions=DEPLOY)])
    result = run.result("info")
    assert run.rc == 0 and result["exists"] is True and result["role_assignments"] == [] and result["roles"] == []
    assert result["missing_actions"] == DEPLOY

    emu.grant("Owner", scope=f"/subscriptions/{sub}")
    assert ansible.play([task("group", "resource_group", name=rg, location="westeurope", subscription_id=sub)]).rc == 0
    emu.grant("Contributor", scope=group)
    emu.grant("Reader", scope=f"/subscriptions/{sub}", client_id="someone-else")
    run = ansible.play([task("info", "role_assignment_info", scope=group, subscription_id=sub, actions=DEPLOY),
                        task("sub", "role_assignment_info", subscription_id=sub, actions=DEPLOY,
                             principal_id=emu.object_id)])
    at_group, at_sub = run.result("info"), run.result("sub")
    assert at_group["exists"] is True and at_group["roles"] == ["Contributor", "Owner"]
    assert at_group["granted_through"]["Microsoft.Authorization/roleAssignments/write"] == ["Owner"]
    assert at_group["granted_through"]["Microsoft.Network/virtualNetworks/write"] == ["Contributor", "Owner"]
    assert at_sub["roles"] == ["Owner"]                # the group's Contributor is below the subscription; the Reader is another's
    assert {a["principal_id"] for a in at_group["role_assignments"]} == {emu.object_id}


def test_contributor_alone_lacks_role_assignment_and_keeps_registration(ansible, emu):
    sub = fresh_subscription(emu)
    emu.grant("Contributor", scope=f"/subscriptions/{sub}")
    run = ansible.play([task("info", "role_assignment_info", subscription_id=sub, actions=DEPLOY)])
    result = run.result("info")
    assert result["roles"] == ["Contributor"]
    assert result["missing_actions"] == ["Microsoft.Authorization/roleAssignments/write"]   # notActions Microsoft.Authorization/*/Write
    emu.grant("Role Based Access Control Administrator", scope=f"/subscriptions/{sub}")
    run = ansible.play([task("info", "role_assignment_info", subscription_id=sub, actions=DEPLOY)])
    assert run.result("info")["missing_actions"] == []


def test_bad_values_fail_before_any_call(ansible, emu):
    bad = {"scope": ({"scope": "/subscriptions/x/resourceGroups/rg/extra"}, "is not an Azure resource id"),
           "action": ({"actions": ["write everything"]}, "is not an Azure operation"),
           "principal": ({"principal_id": "app-name"}, "is not an object id")}
    mark = emu.request_count()
    run = ansible.play([dict(task(title, "role_assignment_info", **args), ignore_errors=True) for title, (args, _msg) in bad.items()])
    for title, (_args, message) in bad.items():
        assert run.result(title)["failed"] and message in run.result(title)["msg"], run.result(title)
    assert not [r for r in emu.requests(since=mark) if r["path"].lower().startswith("/subscriptions/")]
