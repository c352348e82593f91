"""location_capacity_info through ansible-playbook against the emulator: the PostgreSQL size a location offers, and the
quota left there for the servers, VNets and NSGs a deployment creates; read only."""
from __future__ import annotations

import pytest
from azure_play import task

PROD = {"sku_name": "GP_Standard_D4s_v3", "version": "15", "high_availability": "ZoneRedundant", "geo_redundant_backup": True}


@pytest.fixture
def capacity(emu):
    yield emu
    emu.set_capacity(limits={"VirtualNetworks": 50, "NetworkSecurityGroups": 100, "cores": 100, "family": 100,
                             "standardDSv3Family": 100}, withheld_skus={"westeurope": []})


def writes(emu, since):
    return [r for r in emu.requests(since=since) if r["method"] != "GET" and r["path"].lower().startswith("/subscriptions/")]


def test_a_location_with_room_reports_no_problem(ansible, emu, capacity):
    mark = emu.request_count()
    run = ansible.play([task("cap", "location_capacity_info", location="West Europe", postgresql=PROD,
                             network={"virtual_networks": 1, "network_security_groups": 6})], check=True)
    result = run.result("cap")
    assert run.rc == 0 and result["changed"] is False and result["exists"] is True, run.stdout[-3000:]
    assert result["problems"] == [] and result["location"] == "westeurope"
    assert result["postgresql"]["offered"] is True
    assert result["postgresql"]["sku"] == {"name": "Standard_D4s_v3", "tier": "GeneralPurpose", "v_cores": 4,
                                           "supported_ha_modes": ["SameZone", "ZoneRedundant"]}
    rows = {r["name"]: r for r in result["usages"]}
    assert rows["VirtualNetworks"]["needed"] == 1 and rows["NetworkSecurityGroups"]["needed"] == 6
    assert rows["cores"]["needed"] == 4 and rows["standardDSv3Family"]["needed"] == 4
    assert any("standby" in note for note in result["notes"])        # HA: only the primary counted
    assert not writes(emu, mark)
    apis = {r["api_version"] for r in emu.requests(since=mark) if "/locations/westeurope/" in r["path"]}
    assert apis == {"2026-03-01", "2026-10-01"}


def test_every_shortfall_is_reported_at_once(ansible, emu, capacity):
    emu.set_capacity(limits={"VirtualNetworks": 0, "standardDSv3Family": 2})
    run = ansible.play([task("cap", "location_capacity_info", location="westeurope", postgresql=PROD,
                             network={"virtual_networks": 1, "network_security_groups": 6})])
    problems = run.result("cap")["problems"]
    assert run.rc == 0 and len(problems) == 2, problems
    assert "Virtual Networks" in problems[0] and "needs 1 more" in problems[0] and "request a higher limit" in problems[0]
    assert "standardDSv3Family" in problems[1] and "needs 4 more" in problems[1]

    emu.set_capacity(withheld_skus={"westeurope": ["Standard_D4s_v3"]})
    run = ansible.play([task("cap", "location_capacity_info", location="westeurope", postgresql=PROD)])
    result = run.result("cap")
    (problem,) = result["problems"]
    assert "PostgreSQL size Standard_D4s_v3 (GeneralPurpose) is not offered in westeurope" in problem
    assert "Standard_D2s_v3" in problem and "Service and subscription limits" in problem
    assert result["postgresql"]["offered"] is False and result["usages"] == []   # nothing to count against a quota


def test_bad_values_fail_before_any_call(ansible, emu):
    bad = {"nothing": ({"location": "westeurope"}, "give postgresql, network or both"),
           "size": ({"location": "westeurope", "postgresql": {"sku_name": "Huge"}}, "'Huge' is not a size of a known tier"),
           "where": ({"location": "west/europe", "network": {"virtual_networks": 1}}, "is not an Azure location name")}
    mark = emu.request_count()
    run = ansible.play([dict(task(title, "location_capacity_info", **args), ignore_errors=True) for title, (args, _m) in bad.items()])
    for title, (_args, message) in bad.items():
        assert run.result(title)["failed"] and message in run.result(title)["msg"], run.result(title)
    assert not [r for r in emu.requests(since=mark) if r["path"].lower().startswith("/subscriptions/")]
