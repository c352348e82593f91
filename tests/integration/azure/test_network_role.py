"""Role network as deploy.yml runs it: the VNet and the zones only started (network_wait=false), the zones' links
started by a task that waits for the VNet itself (tasks_from=dns_links), the VNet and the zones awaited later
(tasks_from=wait). Against the emulator, with the VNet's create slowed down so that the order shows."""
from __future__ import annotations

import datetime

DEPLOYMENT = "northeu-prod-1"   # no other test of this session writes it
GROUP = f"rg-cf-{DEPLOYMENT}"
VNET = f"vnet-cf-{DEPLOYMENT}"
VNET_SECONDS = 2
PLAN = {"deployment_plan": f"{{{{ '{DEPLOYMENT}' | complianceflow.infra.deployment }}}}"}


def _epoch(iso: str) -> float:
    return datetime.datetime.fromisoformat(iso.replace("Z", "+00:00")).timestamp()


def _role(tasks_from: str = "main", **role_vars) -> dict:
    include = {"name": "complianceflow.infra.network", "tasks_from": tasks_from}
    return {"name": f"network {tasks_from}", "ansible.builtin.include_role": include, "vars": role_vars}


def _deploy_yml_order(when_started_var: str) -> list:
    group = {"name": "group", "complianceflow.infra.resource_group": {"name": GROUP, "location": "northeurope"}}
    returned = {"name": "the network role returned", "ansible.builtin.set_fact": {when_started_var: "{{ now(utc=true).timestamp() }}"}}
    return [group, _role(network_dns_links=False, network_wait=False), returned,
            _role("dns_links", network_dns_zones_wait=False), _role("wait"), _role("dns_zones_wait")]


def _results(run, name: str) -> list:
    return [host for play in run.data.get("plays", []) for t in play.get("tasks", []) if t["task"]["name"].endswith(name)
            for host in t["hosts"].values()]


def test_links_written_the_moment_the_vnet_is_done_then_awaited_later(ansible, emu):
    emu.set_latency({"Microsoft.Network/virtualNetworks": VNET_SECONDS})
    mark = emu.request_count()
    try:
        run = ansible.play(_deploy_yml_order("network_role_returned"), vars_=PLAN)
    finally:
        emu.set_latency({}, replace=True)
    try:
        assert run.rc == 0, run.stdout[-4000:] + run.stderr[-2000:]
        log = emu.requests(since=mark)
        vnet_put = next(_epoch(r["time"]) for r in log if r["method"] == "PUT" and r.get("name") == VNET)
        link_puts = [_epoch(r["time"]) for r in log if r["method"] == "PUT" and "/virtualNetworkLinks/" in r["path"]]
        (returned,) = _results(run, "the network role returned")
        # The role returned with the VNet still being created; no link was written before the VNet was done.
        assert float(returned["ansible_facts"]["network_role_returned"]) < vnet_put + VNET_SECONDS
        assert link_puts and min(link_puts) >= vnet_put + VNET_SECONDS
        (links,) = _results(run, "Start the links of the private DNS zones to the virtual network")
        assert len(links["results"]) == len(link_puts) and all(item["changed"] for item in links["results"])
        in_role, waited = _results(run, "Virtual network and private DNS zones done")   # main's (skipped), wait's
        assert in_role.get("skipped") is True
        assert waited["changed"] is False and not waited.get("skipped") and not waited.get("failed"), waited
    finally:
        ansible.play([{"name": "gone", "complianceflow.infra.resource_group": {"name": GROUP, "state": "absent"}}])


def test_a_failed_vnet_fails_the_links_task_before_any_link_is_written(ansible, emu):
    emu.add_fault(kind="fail_operation", name=VNET, code="InternalServerError", message="Allocation failed.")
    mark = emu.request_count()
    run = ansible.play(_deploy_yml_order("unused"), vars_=PLAN)
    try:
        assert run.rc != 0
        (links,) = _results(run, "Start the links of the private DNS zones to the virtual network")
        for item in links["results"]:   # each zone's call: none writes its link to the failed VNet
            assert item["failed"] is True
            assert item["msg"].startswith(f"after_operations: create virtual network {VNET} ended Failed: "
                                          "InternalServerError Allocation failed."), item["msg"]
        assert not [r for r in emu.requests(since=mark) if "/virtualNetworkLinks/" in r["path"] and r["method"] == "PUT"]
    finally:
        ansible.play([{"name": "gone", "complianceflow.infra.resource_group": {"name": GROUP, "state": "absent"}}])
