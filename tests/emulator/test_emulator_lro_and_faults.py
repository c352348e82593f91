"""Long-running operations the SDK pollers follow, and injected faults the SDK must survive."""
from __future__ import annotations

import pytest
from azure.core.exceptions import HttpResponseError
from azure.mgmt.network import models as nm

VNET = "Microsoft.Network/virtualNetworks"


def _vnet() -> nm.VirtualNetwork:
    return nm.VirtualNetwork(location="westeurope", address_space=nm.AddressSpace(address_prefixes=["10.40.0.0/16"]),
                             subnets=[nm.Subnet(name="a", address_prefix="10.40.0.0/24")])


def test_without_latency_a_put_completes_in_its_first_response(emu, network, group):
    since = emu.request_count()
    network.virtual_networks.begin_create_or_update(group, "vnet-fast", _vnet()).result()
    writes = emu.requests(since, resource_type=VNET)
    assert [(e["method"], e["status"]) for e in writes] == [("PUT", 201)]
    assert not emu.requests(since, operation="Microsoft.Network/locations/operations/read")


def test_with_latency_the_poller_follows_azure_async_operation(emu, network, group):
    emu.set_latency({VNET: 0.3})
    since = emu.request_count()
    poller = network.virtual_networks.begin_create_or_update(group, "vnet-slow", _vnet())
    assert not poller.done()
    during = network.virtual_networks.get(group, "vnet-slow")
    assert during.provisioning_state == "Updating"
    assert during.subnets[0].provisioning_state == "Updating"
    result = poller.result()
    assert result.provisioning_state == "Succeeded" and result.subnets[0].provisioning_state == "Succeeded"
    put = emu.requests(since, method="PUT")[0]
    assert put["status"] == 201 and put["async_operation"]
    statuses = emu.requests(since, operation="Microsoft.Network/locations/operations/read")
    assert statuses, "the poller read the operation status"


def test_a_429_with_retry_after_is_retried_by_azure_core(emu, network, group):
    emu.add_fault(status=429, retry_after=1, count=1, method="PUT", resource_type=VNET, name="vnet-429")
    since = emu.request_count()
    vnet = network.virtual_networks.begin_create_or_update(group, "vnet-429", _vnet()).result()
    assert vnet.provisioning_state == "Succeeded"
    puts = emu.requests(since, method="PUT", resource_type=VNET)
    assert [e["status"] for e in puts] == [429, 201]
    assert puts[0]["error_code"] == "TooManyRequests"


def test_500s_are_retried_until_the_fault_is_used_up(emu, credential, network, group):
    from azure.mgmt.network import NetworkManagementClient
    # A short backoff keeps the test quick; the retry itself is azure-core's RetryPolicy.
    quick = NetworkManagementClient(credential, emu.subscription_id, retry_backoff_factor=0.05, **emu.client_kwargs())
    network.virtual_networks.begin_create_or_update(group, "vnet-500", _vnet()).result()
    emu.add_fault(status=500, count=2, method="GET", name="vnet-500")
    since = emu.request_count()
    assert quick.virtual_networks.get(group, "vnet-500").name == "vnet-500"
    assert [e["status"] for e in emu.requests(since, method="GET", resource_type=VNET)] == [500, 500, 200]


def test_an_operation_that_ends_failed_raises_with_its_error_code(emu, network, group):
    emu.add_fault(kind="fail_operation", code="InternalServerError", message="Allocation failed in westeurope.",
                  method="PUT", resource_type=VNET, name="vnet-fail")
    poller = network.virtual_networks.begin_create_or_update(group, "vnet-fail", _vnet())
    with pytest.raises(HttpResponseError) as err:
        poller.result()
    assert err.value.error.code == "InternalServerError"
    assert "Allocation failed in westeurope." in str(err.value)
    assert poller.status() == "Failed"
    assert network.virtual_networks.get(group, "vnet-fail").provisioning_state == "Failed"


def test_a_failed_delete_leaves_the_resource(emu, network, group):
    network.virtual_networks.begin_create_or_update(group, "vnet-keep", _vnet()).result()
    emu.add_fault(kind="fail_operation", code="Conflict", message="Another operation is in progress.",
                  method="DELETE", name="vnet-keep")
    with pytest.raises(HttpResponseError) as err:
        network.virtual_networks.begin_delete(group, "vnet-keep").result()
    assert err.value.error.code == "Conflict"
    assert network.virtual_networks.get(group, "vnet-keep").name == "vnet-keep"


def test_admin_api_rejects_a_bad_fault_with_a_clear_message(emu):
    from emulator import EmulatorError
    with pytest.raises(EmulatorError, match="fault kind 'explode'"):
        emu.add_fault(kind="explode")
    with pytest.raises(EmulatorError, match="unknown fault keys"):
        emu.add_fault(status=429, resource="x")


def test_an_operation_held_by_work_lost_in_a_restart_fails_instead_of_succeeding(tmp_path):
    """A per-server create waits for its cluster (a thread of the emulator); if the emulator stops first, the create
    must end Failed with the hold's error on the next start, not Succeeded on a half-made cluster."""
    from arm_emulator.state import State  # pylint: disable=import-outside-toplevel

    class Pending:
        error = None

        @staticmethod
        def done():
            return False

    server = "/subscriptions/s/resourceGroups/rg/providers/Microsoft.DBforPostgreSQL/flexibleServers/psql-a"
    before = State(tmp_path)
    before.resources[server.lower()] = {"id": server, "properties": {"provisioningState": "Creating"}}
    before.add_hold(server, Pending(), interrupted={"code": "EmulatorLocalPostgresUnavailable", "status": 500,
                                                    "message": "lost"})
    op = before.start_operation(kind="put", resource_ids=[server], namespace="Microsoft.DBforPostgreSQL",
                                location="westeurope", delay=0, failure=None)
    before.settle_operations()
    assert before.operations[op["id"]]["status"] == "InProgress"  # the hold is not done: still waiting
    before.close()   # the emulator stops (its state written)

    after = State(tmp_path)  # the emulator started again: the thread behind the hold is gone
    after.settle_operations()
    assert after.operations[op["id"]]["status"] == "Failed"
    assert after.operations[op["id"]]["error"]["code"] == "EmulatorLocalPostgresUnavailable"
    assert after.pending_holds == {}
