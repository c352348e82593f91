"""The reachability verdict of a VNet-only server, with injected name resolution and TCP connect (no network:
the 10.x addresses here are data; a connector that is called records the call and never opens a socket)."""
from __future__ import annotations

import errno
import socket

import pytest
from ansible_collections.complianceflow.infra.plugins.module_utils._pg.reachability import (
    ReachabilityError,
    check,
    classify,
    resolve,
    tcp_connect,
)

HOST = "psql-cf-westeu-dev-1.postgres.database.azure.com"
ZONE = "westeu-dev-1.private.postgres.database.azure.com"
MGMT = "snet-cf-westeu-dev-1-mgmt (10.30.10.0/24) in vnet-cf-westeu-dev-1"
DB = "snet-cf-westeu-dev-1-db (10.30.2.0/24)"
WHERE = dict(zone=ZONE, management_subnet=MGMT, database_subnet=DB)


def answers(*addresses):
    def resolver(host, port):
        assert (host, port) == (HOST, 5432)
        return list(addresses)
    return resolver


def fails(code, text):
    def resolver(host, port):
        raise socket.gaierror(code, text)
    return resolver


class Connector:
    """Records every connect; the outcome per address is given (None: connects)."""

    def __init__(self, **outcomes):
        self.outcomes = {k.replace("_", "."): v for k, v in outcomes.items()}
        self.calls = []

    def __call__(self, address, port, timeout):
        self.calls.append((address, port, timeout))
        outcome = self.outcomes.get(address)
        if outcome is not None:
            raise outcome


def never(address, port, timeout):
    raise AssertionError(f"no connection may be attempted here (tried {address}:{port})")


@pytest.mark.parametrize("address, kind", [("10.30.2.4", "private"), ("172.16.0.1", "private"), ("192.168.1.9", "private"),
                                           ("fd12:3456::4", "private"), ("127.0.0.1", "loopback"), ("::1", "loopback"),
                                           ("127.8.9.10", "loopback"), ("::ffff:10.0.0.1", "private"),
                                           ("20.50.2.10", "public"), ("172.32.0.1", "public"), ("169.254.1.1", "public"),
                                           ("100.64.0.1", "public")])
def test_classify(address, kind):
    assert classify(address) == kind


def test_private_answer_and_open_port_is_reachable():
    connector = Connector()
    verdict = check(HOST, 5432, resolver=answers("10.30.2.4"), connector=connector, timeout=3, **WHERE)
    assert verdict["reachable"] is True and verdict["problem"] is None
    assert (verdict["address"], verdict["kind"], verdict["source"]) == ("10.30.2.4", "private", "dns")
    assert connector.calls == [("10.30.2.4", 5432, 3)]


def test_no_such_name_names_the_zone_and_where_to_run():
    verdict = check(HOST, 5432, resolver=fails(socket.EAI_NONAME, "Name or service not known"), connector=never, **WHERE)
    assert verdict["reachable"] is False and verdict["problem"] == "not_found"
    msg = verdict["msg"]
    assert HOST in msg and "does not resolve" in msg and ZONE in msg
    assert "management subnet snet-cf-westeu-dev-1-mgmt (10.30.10.0/24)" in msg
    assert "peered or hub network" in msg and "virtual network link" in msg and "168.63.129.16" in msg


def test_a_dns_server_that_does_not_answer_is_not_called_a_missing_name():
    verdict = check(HOST, 5432, resolver=fails(socket.EAI_AGAIN, "Temporary failure in name resolution"), connector=never, **WHERE)
    assert verdict["problem"] == "dns_failed" and "Temporary failure" in verdict["msg"] and ZONE in verdict["msg"]


def test_a_public_answer_means_public_dns_and_nothing_is_connected():
    verdict = check(HOST, 5432, resolver=answers("20.50.2.10"), connector=never, **WHERE)
    assert verdict["problem"] == "public_address" and verdict["addresses"] == ["20.50.2.10"]
    msg = verdict["msg"]
    assert "20.50.2.10" in msg and "through public DNS" in msg and ZONE in msg and "management subnet" in msg


@pytest.mark.parametrize("error, problem, text", [
    (ConnectionRefusedError(errno.ECONNREFUSED, "Connection refused"), "refused", "connection refused"),
    (socket.timeout("timed out"), "timeout", "no answer within 2 s"),
    (TimeoutError(errno.ETIMEDOUT, "Connection timed out"), "timeout", "no answer within 2 s"),
    (OSError(errno.EHOSTUNREACH, "No route to host"), "unreachable", "No route to host"),
])
def test_a_private_address_whose_port_does_not_open_names_host_address_port_and_the_nsg(error, problem, text):
    connector = Connector(**{"10_30_2_4": error})
    verdict = check(HOST, 5432, resolver=answers("10.30.2.4"), connector=connector, timeout=2, **WHERE)
    assert verdict["reachable"] is False and verdict["problem"] == problem and verdict["address"] == "10.30.2.4"
    msg = verdict["msg"]
    assert HOST in msg and "10.30.2.4:5432" in msg and text in msg
    assert "NSG of the database subnet snet-cf-westeu-dev-1-db (10.30.2.0/24) admits 5432/tcp only" in msg
    assert "management subnet snet-cf-westeu-dev-1-mgmt" in msg


def test_every_private_address_is_tried_in_order_and_public_ones_never():
    connector = Connector(**{"10_30_2_4": ConnectionRefusedError(errno.ECONNREFUSED, "refused")})
    verdict = check(HOST, 5432, resolver=answers("20.1.1.1", "10.30.2.4", "10.30.2.5"), connector=connector, **WHERE)
    assert verdict["reachable"] is True and verdict["address"] == "10.30.2.5"
    assert [c[0] for c in connector.calls] == ["10.30.2.4", "10.30.2.5"]


def test_loopback_is_accepted_and_its_port_still_checked():
    """An SSH tunnel's local end, or the sandbox (its servers are the local cluster): accepted, and the port is checked."""
    open_port = check(HOST, 5432, hostaddr="127.0.0.1", connector=Connector(), resolver=never, **WHERE)
    assert open_port["reachable"] is True and open_port["kind"] == "loopback" and open_port["source"] == "hostaddr"
    closed = check(HOST, 5432, hostaddr="127.0.0.1", resolver=never,
                   connector=Connector(**{"127_0_0_1": ConnectionRefusedError(errno.ECONNREFUSED, "refused")}), **WHERE)
    assert closed["problem"] == "refused" and "127.0.0.1:5432" in closed["msg"]


def test_hostaddr_replaces_the_name_lookup_as_in_libpq():
    connector = Connector()
    verdict = check(HOST, 5432, hostaddr="10.30.2.4", resolver=never, connector=connector, **WHERE)
    assert verdict["reachable"] is True and verdict["source"] == "hostaddr" and connector.calls == [("10.30.2.4", 5432, 5.0)]
    public = check(HOST, 5432, hostaddr="20.50.2.10", resolver=never, connector=never, **WHERE)
    assert public["problem"] == "public_address" and "hostaddr" in public["msg"] and "no public endpoint" in public["msg"]
    with pytest.raises(ReachabilityError, match="not an IP address"):
        check(HOST, 5432, hostaddr="jump.example.com", resolver=never, connector=never)


def test_messages_without_the_plan_facts_still_say_where_to_run():
    verdict = check(HOST, 5432, resolver=fails(socket.EAI_NONAME, "Name or service not known"), connector=never)
    assert "the server's private DNS zone" in verdict["msg"] and "the deployment's management subnet," in verdict["msg"]


def test_no_data_for_the_name_counts_as_a_missing_name():
    if not hasattr(socket, "EAI_NODATA"):
        pytest.skip("this libc has no EAI_NODATA")
    verdict = check(HOST, 5432, resolver=fails(socket.EAI_NODATA, "No address associated with hostname"), connector=never, **WHERE)
    assert verdict["problem"] == "not_found" and "does not resolve" in verdict["msg"]


def test_an_empty_answer_is_no_private_address():
    verdict = check(HOST, 5432, resolver=answers(), connector=never, **WHERE)
    assert verdict["problem"] == "public_address" and verdict["addresses"] == [] and "answered nothing" in verdict["msg"]


def test_when_every_private_address_fails_all_are_named_and_the_first_is_reported():
    connector = Connector(**{"10_30_2_4": ConnectionRefusedError(errno.ECONNREFUSED, "refused"),
                             "10_30_2_5": OSError(errno.ENETUNREACH, "Network is unreachable")})
    verdict = check(HOST, 5432, resolver=answers("10.30.2.4", "10.30.2.5"), connector=connector, **WHERE)
    assert verdict["reachable"] is False and (verdict["address"], verdict["problem"]) == ("10.30.2.4", "refused")
    assert "10.30.2.4:5432: connection refused; 10.30.2.5:5432: Network is unreachable" in verdict["msg"]


def test_an_oserror_with_etimedout_is_a_timeout():
    connector = Connector(**{"10_30_2_4": OSError(errno.ETIMEDOUT, "Connection timed out")})
    verdict = check(HOST, 5432, resolver=answers("10.30.2.4"), connector=connector, **WHERE)
    assert verdict["problem"] == "timeout"


def test_hostaddr_list_and_ipv6_zone_are_libpq_forms():
    connector = Connector(**{"127_0_0_1": ConnectionRefusedError(errno.ECONNREFUSED, "refused")})
    verdict = check(HOST, 5432, hostaddr=" 127.0.0.1, ::1 ", resolver=never, connector=connector)
    assert verdict["addresses"] == ["127.0.0.1", "::1"] and verdict["address"] == "::1" and verdict["reachable"] is True
    assert classify("fe80::1%eth0") == "public" and classify("fd00::1%eth0") == "private"


def test_every_failure_says_how_to_skip_the_check():
    verdict = check(HOST, 5432, resolver=answers("20.50.2.10"), connector=never)
    assert "postgresql_server_check_reachability: false" in verdict["msg"]


# --- the socket defaults, on loopback only (the sandbox's network) -------------------------------------------------

def test_resolve_returns_getaddrinfo_order_without_repeats():
    assert resolve("127.0.0.1", 5432) == ["127.0.0.1"]
    with pytest.raises(socket.gaierror):
        resolve("psql-reach-unit.invalid", 5432)   # RFC 6761: never resolves


def test_tcp_connect_opens_a_listening_loopback_port_and_raises_on_a_closed_one():
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as server:
        server.bind(("127.0.0.1", 0))
        server.listen(1)
        tcp_connect("127.0.0.1", server.getsockname()[1], 2)
        port = server.getsockname()[1]
    with pytest.raises(ConnectionRefusedError):
        tcp_connect("127.0.0.1", port, 2)


def test_check_with_the_real_defaults_against_loopback():
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as server:
        server.bind(("127.0.0.1", 0))
        server.listen(1)
        port = server.getsockname()[1]
        verdict = check("127.0.0.1", port, timeout=2)
    assert verdict["reachable"] is True and verdict["kind"] == "loopback" and verdict["source"] == "dns"
    closed = check("127.0.0.1", port, timeout=2)
    assert closed["problem"] == "refused" and f"127.0.0.1:{port}" in closed["msg"]
