"""resource_group end to end: create, no-change re-run, check mode, diff, tags-only PATCH, absent twice."""
from __future__ import annotations

from azure_play import arm_id, resource, task


def rg_task(rg, **args):
    return task("group", "resource_group", name=rg, **args)


def test_create_rerun_check_diff_tags_and_absent(ansible, emu, rg_name):
    rid = arm_id(emu, rg_name)
    run = ansible.play([rg_task(rg_name, location="westeurope", tags={"Deployment": "westeu-dev-1", "Instance": 1})])
    assert run.rc == 0, run.stdout + run.stderr
    assert run.result("group")["changed"] is True
    assert resource(emu, rid)["tags"] == {"Deployment": "westeu-dev-1", "Instance": "1"}

    run = ansible.play([rg_task(rg_name, location="westeurope", tags={"Deployment": "westeu-dev-1", "Instance": 1})])
    assert run.result("group")["changed"] is False

    # check mode on a change: reported, diffed, not written
    mark = emu.request_count()
    run = ansible.play([rg_task(rg_name, tags={"Deployment": "westeu-dev-1", "Owner": "DevOps"})], check=True, diff=True)
    result = run.result("group")
    assert result["changed"] is True
    assert result["diff"]["before"]["tags"] == {"Deployment": "westeu-dev-1", "Instance": "1"}
    assert result["diff"]["after"]["tags"] == {"Deployment": "westeu-dev-1", "Owner": "DevOps"}
    assert resource(emu, rid)["tags"] == {"Deployment": "westeu-dev-1", "Instance": "1"}
    assert not [r for r in emu.requests(since=mark) if r["method"] in ("PUT", "PATCH", "DELETE") and r.get("name") == rg_name]

    # merge without purge, sent as a PATCH of the tags only
    mark = emu.request_count()
    run = ansible.play([rg_task(rg_name, tags={"Owner": "DevOps"}, purge_tags=False)])
    assert run.result("group")["changed"] is True
    writes = [r["method"] for r in emu.requests(since=mark) if r["method"] in ("PUT", "PATCH") and r.get("name") == rg_name]
    assert writes == ["PATCH"]
    assert resource(emu, rid)["tags"] == {"Deployment": "westeu-dev-1", "Instance": "1", "Owner": "DevOps"}
    assert resource(emu, rid)["location"] == "westeurope"

    run = ansible.play([rg_task(rg_name, state="absent")], diff=True)
    assert run.result("group")["changed"] is True
    assert run.result("group")["diff"]["after"] == {}
    assert resource(emu, rid) is None
    run = ansible.play([rg_task(rg_name, state="absent")])
    assert run.rc == 0 and run.result("group")["changed"] is False


def test_location_change_and_missing_location_fail_clearly(ansible, emu, rg_name):
    run = ansible.play([rg_task(rg_name)])
    assert run.rc != 0
    assert run.result("group")["msg"] == f"resource group '{rg_name}' does not exist: location is needed to create it"
    ansible.play([rg_task(rg_name, location="westeurope")])
    run = ansible.play([rg_task(rg_name, location="northeurope")])
    assert "a resource group cannot move to northeurope" in run.result("group")["msg"]
    ansible.play([rg_task(rg_name, state="absent")])


def test_bad_name_fails_before_any_call(ansible, emu):
    mark = emu.request_count()
    run = ansible.play([rg_task("rg-bad.", location="westeurope")])
    assert run.rc != 0
    assert "name: 'rg-bad.' is not a valid name" in run.result("group")["msg"]
    assert emu.requests(since=mark) == []
