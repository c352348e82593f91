"""A wrong subscription id fails the Azure modules instead of reading as "the resource does not exist".

ARM answers a wrong or inaccessible subscription with 404 SubscriptionNotFound; a missing resource
group is 404 ResourceGroupNotFound and still means "missing".
"""
from __future__ import annotations

import pytest
from azure_play import task

WRONG = "0bad0bad-1111-2222-3333-444444444444"
WRITES = ("PUT", "PATCH", "DELETE")


def arm_writes(emu, since):
    return [r for r in emu.requests(since=since) if r["method"] in WRITES and r["path"].lower().startswith("/subscriptions/")]


def assert_names_the_subscription(run, title):
    result = run.result(title)
    assert run.rc != 0 and result.get("failed") is True, run.stdout[-3000:]
    msg = result["msg"]
    assert WRONG in msg and "SubscriptionNotFound" in msg, msg
    assert "subscription_id option (or AZURE_SUBSCRIPTION_ID)" in msg and "role assignments" in msg, msg
    assert result["azure_error"]["code"] == "SubscriptionNotFound" and result["azure_error"]["status_code"] == 404
    assert "Traceback" not in run.stdout + run.stderr


@pytest.mark.parametrize("args,check", [
    ({"location": "westeurope"}, False),
    ({"location": "westeurope"}, True),
    ({"state": "absent"}, False),
], ids=["present", "present-check", "absent"])
def test_resource_group_with_a_wrong_subscription_fails_naming_it(ansible, emu, rg_name, args, check):
    mark = emu.request_count()
    run = ansible.play([task("group", "resource_group", name=rg_name, subscription_id=WRONG, **args)], check=check)
    assert_names_the_subscription(run, "group")
    assert [r["error_code"] for r in emu.requests(since=mark, method="GET") if WRONG in r["path"]] == ["SubscriptionNotFound"]
    assert not arm_writes(emu, mark)


def test_server_info_with_a_wrong_subscription_fails_naming_it(ansible, emu, rg_name):
    mark = emu.request_count()
    run = ansible.play([task("info", "postgresql_flexible_server_info", resource_group=rg_name, name="psql-x", subscription_id=WRONG)])
    assert_names_the_subscription(run, "info")
    assert "get PostgreSQL server psql-x failed (HTTP 404)" in run.result("info")["msg"]
    assert not arm_writes(emu, mark)


def test_right_subscription_and_missing_group_still_read_as_missing(ansible, emu, rg_name):
    mark = emu.request_count()
    run = ansible.play([task("group", "resource_group", name=rg_name, location="westeurope", subscription_id=emu.subscription_id),
                        task("info", "postgresql_flexible_server_info", resource_group=rg_name, name="psql-x",
                             subscription_id=emu.subscription_id)], check=True)
    assert run.rc == 0, run.stdout[-3000:]
    assert run.result("group")["changed"] is True  # would create
    assert run.result("info")["exists"] is False
    codes = {r["error_code"] for r in emu.requests(since=mark, method="GET") if "/subscriptions/" in r["path"]}
    assert codes == {"ResourceGroupNotFound"}
    assert not arm_writes(emu, mark)


def test_the_error_code_is_compared_without_case(ansible, emu, rg_name):
    # An ARM front end that spells the code in another case (injected here) is still a wrong subscription.
    emu.add_fault(status=404, code="subscriptionnotfound", message=f"The subscription '{emu.subscription_id}' could not be found.",
                  method="GET", name=rg_name)
    mark = emu.request_count()
    run = ansible.play([task("group", "resource_group", name=rg_name, location="westeurope")], check=True)
    result = run.result("group")
    assert run.rc != 0 and f"subscription_id {emu.subscription_id} does not exist" in result["msg"], result
    assert not arm_writes(emu, mark)
