"""The resource contract (test_contract.py) of the data tier's modules, and operation_wait on a server create started
without waiting. A file of its own so that pytest's two workers share the contracts."""
from __future__ import annotations

import uuid

import pytest
from azure_play import arm_id, resource, task
from test_contract import CONTRACTS, DATA_TIER, check_contract, network_tasks


@pytest.mark.parametrize("kind", DATA_TIER)
def test_resource_contract(ansible, emu, kind):
    check_contract(ansible, emu, kind)


def test_a_create_started_without_waiting_is_awaited_by_operation_wait(ansible, emu):
    rg, name = f"rg-ct-{uuid.uuid4().hex[:8]}", f"psql-wait-{uuid.uuid4().hex[:6]}"
    assert ansible.play(network_tasks(rg)).rc == 0
    args = dict(CONTRACTS["postgresql_flexible_server"].create(rg, name[5:]), wait=False)
    emu.set_latency({"Microsoft.DBforPostgreSQL/flexibleServers": 3})
    try:
        mark = emu.request_count()
        run = ansible.play([{"name": "start", "complianceflow.infra.postgresql_flexible_server": args, "register": "started"},
                            {"name": "wait", "complianceflow.infra.operation_wait": {"operations": ["{{ started }}", {"changed": False}]}}])
    finally:
        emu.set_latency({"Microsoft.DBforPostgreSQL/flexibleServers": 0})
    started, waited = run.result("start"), run.result("wait")
    assert run.rc == 0, run.stdout[-3000:]
    assert started["changed"] is True and started["operation"]["method"] == "PUT"
    assert started["operation"]["resource_id"].lower().endswith(f"/flexibleservers/{name}")
    assert waited["changed"] is False and waited["operations"] == [
        {"what": f"create PostgreSQL server {name}", "resource_id": started["operation"]["resource_id"], "status": "Succeeded"}]
    polls = [r for r in emu.requests(since=mark) if "/operations/" in r["path"].lower()]
    assert polls, "nothing polled the operation"
    assert resource(emu, arm_id(emu, rg, f"Microsoft.DBforPostgreSQL/flexibleServers/{name}"))["properties"]["state"] == "Ready"
    assert ansible.play([task("cleanup", "resource_group", name=rg, state="absent")]).rc == 0


def test_operation_wait_refuses_a_polling_url_on_another_host(ansible, emu):
    token = {"what": "create x", "method": "PUT", "resource_id": f"/subscriptions/{emu.subscription_id}/resourceGroups/rg/x",
             "api_version": "1", "status_url": "https://attacker.example/ops/1", "result_url": None, "done": False}
    mark = emu.request_count()
    run = ansible.play([task("wait", "operation_wait", operations=[token])])
    assert run.rc != 0 and "refusing to send the Azure token to 'https://attacker.example/ops/1'" in run.result("wait")["msg"]
    assert not [r for r in emu.requests(since=mark) if "/ops/" in r["path"]]
