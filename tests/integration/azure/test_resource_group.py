"""resource_group beyond the contract test: tags merged without purge, location rules."""
from __future__ import annotations

from azure_play import arm_id, resource, task


def rg_task(rg, **args):
    return task("group", "resource_group", name=rg, **args)


def test_tags_merged_without_purge_are_a_patch_of_the_tags_only(ansible, emu, rg_name):
    """The rest of the contract (check mode, diff, re-run, absent) is in test_contract.py."""
    rid = arm_id(emu, rg_name)
    run = ansible.play([rg_task(rg_name, location="westeurope", tags={"Deployment": "westeu-dev-1", "Instance": 1})])
    assert run.rc == 0 and resource(emu, rid)["tags"] == {"Deployment": "westeu-dev-1", "Instance": "1"}, run.stdout[-2000:]
    mark = emu.request_count()
    run = ansible.play([rg_task(rg_name, tags={"Owner": "DevOps"}, purge_tags=False)])
    assert run.result("group")["changed"] is True
    writes = [r["method"] for r in emu.requests(since=mark) if r["method"] in ("PUT", "PATCH") and r.get("name") == rg_name]
    assert writes == ["PATCH"]
    assert resource(emu, rid)["tags"] == {"Deployment": "westeu-dev-1", "Instance": "1", "Owner": "DevOps"}
    assert resource(emu, rid)["location"] == "westeurope"
    ansible.play([rg_task(rg_name, state="absent")])


def test_location_change_and_missing_location_fail_clearly(ansible, emu, rg_name):
    run = ansible.play([rg_task(rg_name)])
    assert run.rc != 0
    assert run.result("group")["msg"] == f"resource group '{rg_name}' does not exist: location is needed to create it"
    ansible.play([rg_task(rg_name, location="westeurope")])
    run = ansible.play([rg_task(rg_name, location="northeurope")])
    assert "a resource group cannot move to northeurope" in run.result("group")["msg"]
    ansible.play([rg_task(rg_name, state="absent")])


def test_a_group_holding_a_locked_retention_policy_is_not_deleted_and_says_why(ansible, emu, rg_name):
    """Azure would delete the rest of the group and keep the account (ResourceGroupDeletionBlocked): refused up front."""
    account = f"stlk{rg_name[8:]}"
    audit = {"name": "audit", "immutability_period_days": 2556}
    storage = dict(resource_group=rg_name, name=account, location="westeurope", sku="Standard_LRS", kind="StorageV2",
                   allow_blob_public_access=False, allow_shared_key_access=False, public_network_access="Disabled")
    run = ansible.play([rg_task(rg_name, location="westeurope"),
                        task("workspace", "log_analytics_workspace", resource_group=rg_name, name=f"log-{rg_name[8:]}",
                             location="westeurope"),
                        task("unlocked", "storage_account", **storage, containers=[audit]),
                        task("locked", "storage_account", **storage, containers=[{**audit, "immutability_locked": True}])])
    assert run.rc == 0, run.stdout[-3000:]
    group, mark = arm_id(emu, rg_name), emu.request_count()
    for check in (True, False):
        run = ansible.play([rg_task(rg_name, state="absent")], check=check)
        assert run.rc != 0 and run.result("group")["msg"] == (
            f"resource group {rg_name} holds blob containers with a locked immutability policy: {account}/audit (2556 days). "
            "Azure keeps such a storage account until every blob in it is past its retention, deletes the rest of the group "
            "and fails the delete (ResourceGroupDeletionBlocked); nothing was deleted. Keep the group (teardown without "
            "teardown_delete_audit), or delete the container first once no blob in it is under retention"), run.stdout[-3000:]
    assert [r for r in emu.requests(since=mark) if r["method"] == "DELETE"] == []
    assert resource(emu, group) is not None and resource(emu, f"{group}/providers/Microsoft.OperationalInsights/workspaces/log-{rg_name[8:]}")
