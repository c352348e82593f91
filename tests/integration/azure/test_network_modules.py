"""virtual_network, network_security_group, private_dns_zone end to end against the emulator."""
from __future__ import annotations

import datetime
import uuid

import pytest
from azure_play import arm_id, resource, task

RULES = [{"name": "allow-postgresql-from-apps", "priority": 100, "protocol": "Tcp",
          "source_address_prefixes": ["10.10.1.0/24"], "destination_port_ranges": ["5432"]},
         {"name": "deny-all-inbound", "priority": 4096, "access": "Deny"}]
SUBNETS = [{"name": "apps", "address_prefix": "10.10.1.0/24", "delegations": ["Microsoft.App/environments"]},
           {"name": "db", "address_prefix": "10.10.2.0/24", "delegations": ["Microsoft.DBforPostgreSQL/flexibleServers"],
            "network_security_group": "nsg-db"}]
ZONE = "privatelink.postgres.database.azure.com"


def stack(rg, vnet_args=None, subnets=None, tags=None):
    vnet = dict({"resource_group": rg, "name": "vnet", "location": "westeurope", "address_prefixes": ["10.10.0.0/16"],
                 "subnets": subnets or SUBNETS}, **(vnet_args or {}))
    if tags is not None:
        vnet["tags"] = tags
    return [
        task("group", "resource_group", name=rg, location="westeurope"),
        task("nsg", "network_security_group", resource_group=rg, name="nsg-db", location="westeurope", rules=RULES),
        task("vnet", "virtual_network", **vnet),
        task("zone", "private_dns_zone", resource_group=rg, name=ZONE, virtual_network_links=[{"name": "link", "virtual_network": "vnet"}]),
    ]


@pytest.fixture(scope="module")
def built(ansible, emu):
    """One stack for this file: the tests run in order and the destructive ones come last."""
    rg = f"rg-test-net-{uuid.uuid4().hex[:6]}"
    run = ansible.play(stack(rg, tags={"Deployment": "westeu-dev-1"}))
    assert run.rc == 0, run.stdout[-3000:] + run.stderr[-3000:]
    yield rg
    ansible.play([task("group", "resource_group", name=rg, state="absent")])


def test_create_then_rerun_changes_nothing(ansible, emu, built):
    vnet = resource(emu, arm_id(emu, built, "Microsoft.Network/virtualNetworks/vnet"))
    subnets = {s["name"]: s["properties"] for s in vnet["properties"]["subnets"]}
    assert subnets["apps"]["delegations"][0]["properties"]["serviceName"] == "Microsoft.App/environments"
    assert subnets["db"]["networkSecurityGroup"]["id"].lower() == arm_id(emu, built, "Microsoft.Network/networkSecurityGroups/nsg-db").lower()
    nsg = resource(emu, arm_id(emu, built, "Microsoft.Network/networkSecurityGroups/nsg-db"))
    assert sorted(r["name"] for r in nsg["properties"]["securityRules"]) == ["allow-postgresql-from-apps", "deny-all-inbound"]
    link = resource(emu, arm_id(emu, built, f"Microsoft.Network/privateDnsZones/{ZONE}/virtualNetworkLinks/link"))
    assert link["properties"]["virtualNetwork"]["id"].lower() == arm_id(emu, built, "Microsoft.Network/virtualNetworks/vnet").lower()

    mark = emu.request_count()
    run = ansible.play(stack(built, tags={"Deployment": "westeu-dev-1"}))
    assert run.rc == 0 and run.total("changed") == 0, run.stdout[-3000:]
    assert not [r for r in emu.requests(since=mark) if r["method"] in ("PUT", "PATCH", "DELETE")]


def test_check_mode_and_diff_on_a_subnet_change_write_nothing(ansible, emu, built):
    changed = [SUBNETS[0], dict(SUBNETS[1], service_endpoints=["Microsoft.Storage"])]
    mark = emu.request_count()
    run = ansible.play([task("vnet", "virtual_network", resource_group=built, name="vnet", subnets=changed)], check=True, diff=True)
    result = run.result("vnet")
    assert result["changed"] is True
    db_before = next(s for s in result["diff"]["before"]["subnets"] if s["name"] == "db")
    db_after = next(s for s in result["diff"]["after"]["subnets"] if s["name"] == "db")
    assert db_before["service_endpoints"] == [] and db_after["service_endpoints"] == ["Microsoft.Storage"]
    assert not [r for r in emu.requests(since=mark) if r["method"] in ("PUT", "PATCH", "DELETE")]
    vnet = resource(emu, arm_id(emu, built, "Microsoft.Network/virtualNetworks/vnet"))
    assert all(not s["properties"].get("serviceEndpoints") for s in vnet["properties"]["subnets"])


def test_tag_change_updates_only_tags(ansible, emu, built):
    mark = emu.request_count()
    run = ansible.play([task("vnet", "virtual_network", resource_group=built, name="vnet", tags={"Deployment": "westeu-dev-1", "Owner": "DevOps"})])
    assert run.result("vnet")["changed"] is True
    writes = [(r["method"], r["operation"]) for r in emu.requests(since=mark) if r["method"] in ("PUT", "PATCH", "DELETE")]
    assert writes == [("PATCH", "Microsoft.Network/virtualNetworks/write")]
    vnet = resource(emu, arm_id(emu, built, "Microsoft.Network/virtualNetworks/vnet"))
    assert vnet["tags"] == {"Deployment": "westeu-dev-1", "Owner": "DevOps"}
    assert len(vnet["properties"]["subnets"]) == 2


def test_subnet_outside_the_address_space(ansible, emu, built):
    outside = [{"name": "stray", "address_prefix": "10.99.1.0/24"}]
    mark = emu.request_count()
    run = ansible.play([task("vnet", "virtual_network", resource_group=built, name="vnet", address_prefixes=["10.10.0.0/16"], subnets=outside)])
    assert run.result("vnet")["msg"] == "subnets[stray].address_prefix: 10.99.1.0/24 is outside the address space 10.10.0.0/16"
    assert emu.requests(since=mark) == []  # refused before any call
    # Without address_prefixes in the task only Azure knows the space: its own error comes back.
    run = ansible.play([task("vnet", "virtual_network", resource_group=built, name="vnet", subnets=outside)])
    result = run.result("vnet")
    assert result["failed"] is True
    assert result["msg"].startswith("update virtual network vnet failed (HTTP 400): NetcfgSubnetRangeOutsideVnet: ")
    assert "x-ms-request-id: " in result["msg"] and result["azure_error"]["code"] == "NetcfgSubnetRangeOutsideVnet"
    tracebacks = [line for line in (run.stdout + run.stderr).splitlines() if "Traceback (most recent call last)" in line]
    assert tracebacks == []


def test_azures_per_type_limits_fail_before_any_call(ansible, emu, built):
    """A VNet name over 64 characters, a zone tag name Azure would drop, a zone's 16th tag: each the module's own error,
    with no request sent (the task's play goes on past each failure)."""
    mark = emu.request_count()
    tasks = [dict(task("long", "virtual_network", resource_group=built, name="v" * 65, location="westeurope",
                       address_prefixes=["10.50.0.0/16"]), ignore_errors=True),
             dict(task("spaced", "private_dns_zone", resource_group=built, name="example.internal", tags={"Cost Center": "x"}),
                  ignore_errors=True),
             dict(task("many", "private_dns_zone", resource_group=built, name="example.internal",
                       tags={f"Tag{i}": "x" for i in range(16)}), ignore_errors=True)]
    run = ansible.play(tasks)
    assert "is not a valid name; Azure allows 2-64 characters" in run.result("long")["msg"]
    assert "'Cost Center' cannot be tag names of a private DNS zone" in run.result("spaced")["msg"]
    assert "a private DNS zone would have 16 tags; Azure allows at most 15" in run.result("many")["msg"]
    assert emu.requests(since=mark) == []


def test_unlisted_subnet_kept_unless_purged_and_nsg_rules_likewise(ansible, emu, built):
    run = ansible.play([task("vnet", "virtual_network", resource_group=built, name="vnet", subnets=[SUBNETS[1]])])
    assert run.result("vnet")["changed"] is False
    run = ansible.play([task("vnet", "virtual_network", resource_group=built, name="vnet", subnets=[SUBNETS[1]], purge_subnets=True)], diff=True)
    result = run.result("vnet")
    assert result["changed"] is True and [s["name"] for s in result["virtual_network"]["subnets"]] == ["db"]
    assert [s["name"] for s in result["diff"]["before"]["subnets"]] == ["db", "apps"]
    run = ansible.play([task("nsg", "network_security_group", resource_group=built, name="nsg-db", rules=RULES[1:], purge_rules=True)])
    assert [r["name"] for r in run.result("nsg")["network_security_group"]["rules"]] == ["deny-all-inbound"]


def test_absent_deletes_and_a_second_absent_is_a_no_op(ansible, emu, built):
    tasks = [task("zone", "private_dns_zone", resource_group=built, name=ZONE, state="absent"),
             task("vnet", "virtual_network", resource_group=built, name="vnet", state="absent")]
    run = ansible.play(tasks)
    assert run.result("zone")["changed"] is True and run.result("vnet")["changed"] is True
    assert resource(emu, arm_id(emu, built, "Microsoft.Network/virtualNetworks/vnet")) is None
    assert resource(emu, arm_id(emu, built, f"Microsoft.Network/privateDnsZones/{ZONE}")) is None
    run = ansible.play(tasks)
    assert run.rc == 0 and run.total("changed") == 0


def _epoch(iso: str) -> float:
    return datetime.datetime.fromisoformat(iso.replace("Z", "+00:00")).timestamp()


def test_zones_and_nsgs_started_then_awaited_together(ansible, emu, rg_name):
    """wait=false: a new zone's create and an NSG's are handed back and awaited by one operation_wait, then the VNet's
    likewise; the zone's next run starts its links (children), which operation_wait takes from the registered result's
    operations."""
    emu.set_latency({"Microsoft.Network/privateDnsZones": 2, "Microsoft.Network/privateDnsZones/virtualNetworkLinks": 2,
                     "Microsoft.Network/networkSecurityGroups": 2, "Microsoft.Network/virtualNetworks": 2})
    zone = dict(resource_group=rg_name, name=ZONE, wait=False)
    linked = dict(zone, virtual_network_links=[{"name": "link", "virtual_network": "vnet"}])
    try:
        run = ansible.play([
            task("group", "resource_group", name=rg_name, location="westeurope"),
            dict(task("zone", "private_dns_zone", **zone), register="zone_started"),
            dict(task("nsg", "network_security_group", resource_group=rg_name, name="nsg-db", location="westeurope",
                      rules=RULES, wait=False), register="nsg_started"),
            task("both done", "operation_wait", operations=["{{ zone_started }}", "{{ nsg_started }}"]),
            dict(task("vnet predicted", "virtual_network", resource_group=rg_name, name="vnet", location="westeurope",
                      address_prefixes=["10.10.0.0/16"], subnets=SUBNETS, wait=False), check_mode=True),
            dict(task("vnet", "virtual_network", resource_group=rg_name, name="vnet", location="westeurope",
                      address_prefixes=["10.10.0.0/16"], subnets=SUBNETS, wait=False), register="vnet_started"),
            task("vnet done", "operation_wait", operations=["{{ vnet_started }}"]),
            dict(task("links", "private_dns_zone", **linked), register="links_started"),
            task("links done", "operation_wait", operations=["{{ links_started }}"]),
        ], diff=True)
    finally:
        emu.set_latency({}, replace=True)
    assert run.rc == 0, run.stdout[-3000:]
    assert run.result("zone")["operation"]["what"] == f"create private DNS zone {ZONE}"
    assert run.result("nsg")["operation"]["what"] == "create network security group nsg-db"
    assert [op["status"] for op in run.result("both done")["operations"]] == ["Succeeded", "Succeeded"]
    # Each start hands on when Azure said to poll (its Retry-After), the ARM-path zone's and the SDK-path NSG's alike;
    # operation_wait's first poll of each comes no sooner.
    for started in ("zone", "nsg"):
        token = run.result(started)["operation"]
        first_poll = min(_epoch(r["time"]) for r in emu.requests() if token["status_url"].split("?")[0].endswith(r["path"]))
        assert isinstance(token["poll_after"], float) and first_poll >= token["poll_after"] - 0.01, (started, token)
    predicted = run.result("vnet predicted")
    assert predicted["changed"] is True and "operation" not in predicted   # check mode starts nothing
    assert run.result("vnet")["operation"]["what"] == "create virtual network vnet" and run.result("vnet")["changed"]
    assert run.result("vnet")["diff"]["after"]["address_prefixes"] == ["10.10.0.0/16"]   # a started write shows its diff
    assert run.result("vnet done")["operations"][0]["status"] == "Succeeded"
    vnet = resource(emu, arm_id(emu, rg_name, "Microsoft.Network/virtualNetworks/vnet"))
    assert vnet["properties"]["provisioningState"] == "Succeeded" and len(vnet["properties"]["subnets"]) == 2
    assert [op["status"] for op in run.result("links done")["operations"]] == ["Succeeded"]
    link = resource(emu, arm_id(emu, rg_name, f"Microsoft.Network/privateDnsZones/{ZONE}/virtualNetworkLinks/link"))
    assert link["properties"]["provisioningState"] == "Succeeded"
    again = ansible.play([dict(task("links", "private_dns_zone", **linked), register="links_started"),
                          task("vnet", "virtual_network", resource_group=rg_name, name="vnet", location="westeurope",
                               address_prefixes=["10.10.0.0/16"], subnets=SUBNETS, wait=False)])
    assert again.result("links")["changed"] is False and "operations" not in again.result("links")
    assert again.result("vnet")["changed"] is False and "operation" not in again.result("vnet")
    ansible.play([task("group", "resource_group", name=rg_name, state="absent")])


def test_after_operations_holds_a_write_until_what_it_needs_has_succeeded(ansible, emu, rg_name):
    """A VNet whose subnet names an NSG still being created waits for the NSG's operation (after_operations) in its own
    task and writes only once it has succeeded; an NSG whose create failed fails the VNet's task with Azure's code,
    before the VNet is written."""
    emu.set_latency({"Microsoft.Network/networkSecurityGroups": 2})
    emu.add_fault(kind="fail_operation", name="nsg-failing", code="InternalServerError", message="Allocation failed.")
    vnet = dict(resource_group=rg_name, location="westeurope", address_prefixes=["10.10.0.0/16"])
    try:
        mark = emu.request_count()
        run = ansible.play([
            task("group", "resource_group", name=rg_name, location="westeurope"),
            dict(task("nsg", "network_security_group", resource_group=rg_name, name="nsg-db", location="westeurope",
                      rules=RULES, wait=False), register="nsg_started"),
            dict(task("failing", "network_security_group", resource_group=rg_name, name="nsg-failing", location="westeurope",
                      wait=False), register="failing_started"),
            task("vnet", "virtual_network", name="vnet", subnets=SUBNETS, after_operations=["{{ nsg_started }}"], **vnet),
            dict(task("vnet after a failure", "virtual_network", name="vnet-never", after_operations=["{{ failing_started }}"],
                      **vnet), ignore_errors=True),
        ])
    finally:
        emu.set_latency({}, replace=True)
    assert run.result("vnet")["changed"] is True, run.stdout[-3000:]
    log = emu.requests(since=mark)
    nsg_status_url = run.result("nsg")["operation"]["status_url"].split("?")[0]
    nsg_done = max(_epoch(r["time"]) for r in log if nsg_status_url.endswith(r["path"]))
    vnet_put = next(_epoch(r["time"]) for r in log if r["method"] == "PUT" and r.get("name") == "vnet")
    assert vnet_put >= nsg_done   # the NSG's last poll (Succeeded) came first
    failed = run.result("vnet after a failure")
    assert failed["failed"] is True
    assert failed["msg"] == ("after_operations: create network security group nsg-failing ended Failed: InternalServerError "
                             "Allocation failed.; nothing of virtual network vnet-never was written")
    assert not [r for r in log if r.get("name") == "vnet-never"]   # not even read
    ansible.play([task("group", "resource_group", name=rg_name, state="absent")])
