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
