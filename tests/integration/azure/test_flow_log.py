"""flow_log through real ansible-playbook runs, with the contract's steps (test_contract.py): a bad value refused before
any request, check mode writing nothing, create, a re-run writing nothing, a change, delete.

Its own emulator: the flow log needs a storage account and the emulator of this branch serves no Microsoft.Storage, so
the account's document is written into that emulator's state (stopped, written, started again). Once the storage
module and its provider are merged, this belongs in CONTRACTS.
"""
from __future__ import annotations

import json

import pytest
from azure_play import Runner, task
from emulator import OWNER_CONFIG, Emulator

GROUP, LOCATION = "rg-flowlog", "westeurope"


@pytest.fixture(scope="module")
def env(tmp_path_factory):
    state_dir = tmp_path_factory.mktemp("arm-emulator-flow-log")
    emu = Emulator(state_dir, config=OWNER_CONFIG).start()
    try:
        group = f"/subscriptions/{emu.subscription_id}/resourceGroups/{GROUP}"
        state = json.loads((state_dir / "state.json").read_text())
        for name, location in (("stflowlog", LOCATION), ("stflowlogeus", "eastus")):
            doc = {"id": f"{group}/providers/Microsoft.Storage/storageAccounts/{name}", "name": name, "location": location,
                   "type": "Microsoft.Storage/storageAccounts", "kind": "StorageV2", "properties": {"provisioningState": "Succeeded"}}
            state["resources"][doc["id"].lower()] = doc
        state["resources"][group.lower()] = {"id": group, "name": GROUP, "type": "Microsoft.Resources/resourceGroups",
                                             "location": LOCATION, "properties": {"provisioningState": "Succeeded"}}
        emu.stop()
        (state_dir / "state.json").write_text(json.dumps(state))
        emu.start()
        yield emu, Runner(emu.awx_env()), group
    finally:
        emu.stop()


def writes(emu, since):
    return [r for r in emu.requests(since=since) if r["method"] in ("PUT", "PATCH", "DELETE", "POST") and "/_emulator/" not in r["path"]
            and "token" not in r["path"]]


def test_flow_log_contract_and_the_watcher_it_creates(env):
    emu, ansible, group = env
    assert ansible.play([task("vnet", "virtual_network", resource_group=GROUP, name="vnet-fl", location=LOCATION,
                              address_prefixes=["10.30.0.0/16"])]).rc == 0
    args = {"name": "fl-test", "resource_group": GROUP, "target_resource_id": "vnet-fl", "storage_account_id": "stflowlog",
            "tags": {"a": "1"}}
    watcher = f"/subscriptions/{emu.subscription_id}/resourceGroups/NetworkWatcherRG/providers/Microsoft.Network/networkWatchers/NetworkWatcher_westeurope"
    stored = f"{watcher}/flowLogs/fl-test".lower()

    def state():
        return emu.admin("GET", "state")["resources"]

    mark = emu.request_count()
    run = ansible.play([task("flow", "flow_log", **{**args, "target_resource_id": f"{group}/providers/Microsoft.Network/networkSecurityGroups/nsg"})])
    assert run.rc != 0 and "NSG flow logs can no longer be created" in run.result("flow")["msg"]
    assert emu.requests(since=mark) == [], "a bad value reached the emulator"

    mark = emu.request_count()
    run = ansible.play([task("flow", "flow_log", **args)], check=True, diff=True)
    result = run.result("flow")
    assert run.rc == 0 and result["changed"] and result["network_watcher"]["created"], run.stdout[-3000:]
    assert result["flow_log"]["target_resource_id"].lower().endswith("/virtualnetworks/vnet-fl")
    assert not writes(emu, mark) and stored not in state() and watcher.lower() not in state(), "check mode wrote"

    run = ansible.play([task("flow", "flow_log", **args)], diff=True)
    result = run.result("flow")
    assert run.rc == 0 and result["changed"] and result["network_watcher"]["name"] == "NetworkWatcher_westeurope", run.stdout[-3000:]
    doc = state()[stored]
    assert doc["properties"]["format"] == {"type": "JSON", "version": 2} and doc["properties"]["storageId"].endswith("/stflowlog")
    assert watcher.lower() in state()   # the region had no watcher: created where Azure would have put it

    mark = emu.request_count()
    run = ansible.play([task("flow", "flow_log", **args)])
    assert run.rc == 0 and run.result("flow")["changed"] is False and not writes(emu, mark), run.stdout[-3000:]

    mark = emu.request_count()
    run = ansible.play([task("flow", "flow_log", **{**args, "format_version": 1})], check=True, diff=True)
    result = run.result("flow")
    assert result["changed"] and result["diff"]["before"]["format_version"] == 2 and result["diff"]["after"]["format_version"] == 1
    assert not writes(emu, mark)
    assert ansible.play([task("flow", "flow_log", **{**args, "format_version": 1})]).rc == 0
    assert state()[stored]["properties"]["format"]["version"] == 1

    # A storage account that does not exist (yet): skipped with a warning naming it, nothing written.
    mark = emu.request_count()
    run = ansible.play([task("flow", "flow_log", **{**args, "name": "fl-other", "storage_account_id": "stmissing", "when_storage_missing": "skip"})])
    assert run.rc == 0 and run.result("flow").get("skipped") and "stmissing" in run.stdout and not writes(emu, mark), run.stdout[-3000:]

    gone = {"name": "fl-test", "resource_group": GROUP, "target_resource_id": "vnet-fl", "state": "absent"}
    run = ansible.play([task("flow", "flow_log", **gone)])
    assert run.rc == 0 and run.result("flow")["changed"] and stored not in state()
    mark = emu.request_count()
    run = ansible.play([task("flow", "flow_log", **gone)])
    assert run.rc == 0 and run.result("flow")["changed"] is False and not writes(emu, mark)


def test_a_change_keeps_the_record_types_and_filter_set_elsewhere(env):
    """A flow log changes only by PUT, which replaces it: a retention change keeps what the module does not manage
    (module_utils/_azure/carry.py), here the record types and filter someone set outside the collection."""
    from azure.mgmt.resource.resources import ResourceManagementClient  # pylint: disable=import-outside-toplevel

    emu, ansible, group = env
    assert ansible.play([task("vnet", "virtual_network", resource_group=GROUP, name="vnet-keep", location=LOCATION,
                              address_prefixes=["10.31.0.0/16"])]).rc == 0
    args = {"name": "fl-keep", "resource_group": GROUP, "target_resource_id": "vnet-keep", "storage_account_id": "stflowlog"}
    assert ansible.play([task("flow", "flow_log", **args, retention_days=0)]).rc == 0
    fid = (f"/subscriptions/{emu.subscription_id}/resourceGroups/NetworkWatcherRG/providers/Microsoft.Network/networkWatchers/"
           "NetworkWatcher_westeurope/flowLogs/fl-keep")
    stored = emu.admin("GET", "state")["resources"][fid.lower()]
    client = ResourceManagementClient(emu.credential(), emu.subscription_id, **emu.client_kwargs())
    props = {key: stored["properties"][key] for key in ("targetResourceId", "storageId", "enabled", "format", "retentionPolicy",
                                                        "flowAnalyticsConfiguration")}
    client.resources.begin_create_or_update_by_id(fid, api_version="2026-03-01", parameters={
        "location": LOCATION, "properties": dict(props, recordTypes="B,E", enabledFilteringCriteria="dstport == 5432")}).result()
    run = ansible.play([task("flow", "flow_log", **args, retention_days=30)])
    assert run.rc == 0 and run.result("flow")["changed"] is True, run.stdout[-3000:]
    after = emu.admin("GET", "state")["resources"][fid.lower()]["properties"]
    assert after["retentionPolicy"] == {"days": 30, "enabled": True}
    assert (after["recordTypes"], after["enabledFilteringCriteria"]) == ("B,E", "dstport == 5432")


def test_a_watcher_group_made_meanwhile_in_another_region_is_used(env):
    """deploy.yml deploys several regions side by side, and each flow log makes its region's watcher (and NetworkWatcherRG)
    where none exists: another region's run can make the group between this run's read and its write. Azure then refuses
    this run's create as 409 InvalidResourceGroupLocation (the group exists in the other run's region); the module goes on
    with the group as it is. The race is played here exactly: the group exists in westeurope, and the emulator answers
    this run's one read of it with 404, as Azure did a moment before the other run's create."""
    from azure.mgmt.resource.resources import ResourceManagementClient  # pylint: disable=import-outside-toplevel

    emu, ansible, group = env
    client = ResourceManagementClient(emu.credential(), emu.subscription_id, **emu.client_kwargs())
    client.resource_groups.create_or_update("NetworkWatcherRG", {"location": LOCATION})   # the other run's (or an earlier test's)
    assert ansible.play([task("vnet", "virtual_network", resource_group=GROUP, name="vnet-eus", location="eastus",
                              address_prefixes=["10.32.0.0/16"])]).rc == 0
    emu.add_fault(status=404, count=1, method="GET", resource_type="Microsoft.Resources/resourceGroups", name="NetworkWatcherRG",
                  code="ResourceGroupNotFound", message="Resource group 'NetworkWatcherRG' could not be found.")
    mark = emu.request_count()
    run = ansible.play([task("flow", "flow_log", name="fl-eus", resource_group=GROUP, target_resource_id="vnet-eus",
                             storage_account_id="stflowlogeus")])
    emu.clear_faults()
    result = run.result("flow")
    assert run.rc == 0 and result["changed"], run.stdout[-3000:]
    assert result["network_watcher"] == {"id": f"/subscriptions/{emu.subscription_id}/resourceGroups/NetworkWatcherRG/providers/"
                                               "Microsoft.Network/networkWatchers/NetworkWatcher_eastus",
                                         "name": "NetworkWatcher_eastus", "resource_group": "NetworkWatcherRG", "created": True}
    refused = [r for r in emu.requests(since=mark) if r["method"] == "PUT" and r["path"].lower().endswith("/resourcegroups/networkwatcherrg")]
    assert [r["status"] for r in refused] == [409], "the race was not played: the group's create was not refused"
    resources = emu.admin("GET", "state")["resources"]
    assert resources[f"/subscriptions/{emu.subscription_id}/resourcegroups/networkwatcherrg"]["location"] == LOCATION
    assert f"{result['network_watcher']['id']}/flowLogs/fl-eus".lower() in resources
