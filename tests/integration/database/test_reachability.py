"""postgresql_reachability and the check of role postgresql_server, through ansible-playbook, against loopback only:
a listening port, a closed port, a name under .invalid (RFC 6761: never resolves). This machine has no route to the
plan's 10.x networks; no test connects to one (the unit tests inject the connector for private addresses)."""
from __future__ import annotations

import json
import socket

import pytest
from ansible_run import run_playbook
from pg import JSON_CALLBACK_ENV, run_module

FQDN = "psql-cf-westeu-dev-1.postgres.database.azure.com"
ZONE = "westeu-dev-1.private.postgres.database.azure.com"


@pytest.fixture()
def listening():
    """A port on 127.0.0.1 that accepts connections (the backlog answers the handshake; nothing is read)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen(8)
        yield sock.getsockname()[1]


@pytest.fixture()
def closed():
    """A port on 127.0.0.1 that nothing listens on (bound, then released)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return port


def test_module_loopback_listening_port_passes_in_check_mode_too(listening):
    for check in (False, True):
        run, res = run_module("postgresql_reachability", {"host": FQDN, "hostaddr": "127.0.0.1", "port": listening}, check=check)
        assert run.rc == 0 and res["changed"] is False and res["reachable"] is True, res
        assert (res["address"], res["kind"], res["source"], res["problem"]) == ("127.0.0.1", "loopback", "hostaddr", None)


def test_module_closed_port_names_host_address_and_port(closed):
    run, res = run_module("postgresql_reachability", {"host": FQDN, "hostaddr": "127.0.0.1", "port": closed,
                                                      "private_dns_zone": ZONE, "database_subnet": "snet-db (10.30.2.0/24)"})
    assert run.rc != 0 and res["problem"] == "refused", res
    assert FQDN in res["msg"] and f"127.0.0.1:{closed}" in res["msg"] and "connection refused" in res["msg"]
    assert "snet-db (10.30.2.0/24) admits" in res["msg"] and ZONE in res["msg"]


def test_module_unresolvable_name_names_the_zone_and_the_management_subnet():
    run, res = run_module("postgresql_reachability", {"host": "psql-reach-test.invalid", "private_dns_zone": ZONE,
                                                      "management_subnet": "snet-mgmt (10.30.10.0/24)"}, check=True)
    assert run.rc != 0 and res["problem"] == "not_found" and res["source"] == "dns", res
    assert "psql-reach-test.invalid does not resolve" in res["msg"] and ZONE in res["msg"]
    assert "management subnet snet-mgmt (10.30.10.0/24)" in res["msg"] and "peered or hub network" in res["msg"]


def test_module_takes_pghostaddr_from_the_environment_like_libpq(listening):
    play = ("- hosts: localhost\n  gather_facts: false\n  connection: local\n  tasks:\n"
            "    - name: under test\n"
            f"      complianceflow.infra.postgresql_reachability: {json.dumps({'host': FQDN, 'port': listening})}\n"
            "      environment: {PGHOSTADDR: 127.0.0.1}\n")
    run = run_playbook(play, env=JSON_CALLBACK_ENV)
    res = run.result("under test")
    assert run.rc == 0 and res["source"] == "hostaddr" and res["address"] == "127.0.0.1", res


def test_module_refuses_a_hostaddr_that_is_not_an_address():
    run, res = run_module("postgresql_reachability", {"host": FQDN, "hostaddr": "jump.example.invalid"})
    assert run.rc != 0 and "not an IP address" in res["msg"]


def test_module_refuses_a_port_outside_the_tcp_range():
    run, res = run_module("postgresql_reachability", {"host": FQDN, "hostaddr": "127.0.0.1", "port": 70000})
    assert run.rc != 0 and "port must be 1 to 65535, not 70000" in res["msg"] and "Traceback" not in run.stdout


# --- role postgresql_server: the check after the connection facts ---------------------------------------------------

def _role_play(connection: dict, **variables) -> str:
    """The role's connection step as deploy.yml, seed.yml and teardown.yml reach it (after the server task or its find),
    with the server's result given: no Azure needed."""
    facts = {"postgresql_server_result": {"connection": connection, "server": {}}, "postgresql_server_admin_secret": {},
             **variables}
    return ("- hosts: localhost\n  gather_facts: false\n  connection: local\n"
            "  vars:\n    deployment_plan: \"{{ 'westeu-dev-1' | complianceflow.infra.deployment }}\"\n"
            f"    role_facts: {json.dumps(facts)}\n"
            "  tasks:\n"
            "    - name: Given facts\n      ansible.builtin.set_fact: {postgresql_server_result: '{{ role_facts.postgresql_server_result }}',"
            " postgresql_server_admin_secret: '{{ role_facts.postgresql_server_admin_secret }}'}\n"
            "    - name: Connection step\n      ansible.builtin.import_role: {name: complianceflow.infra.postgresql_server,"
            " tasks_from: connection}\n"
            + "".join(f"      vars: {{{k}: {json.dumps(v)}}}\n" for k, v in variables.items()))


CHECK = "complianceflow.infra.postgresql_server : Check this controller reaches the server (private DNS answer, open port)"


def test_role_fails_before_any_database_step_when_the_port_is_closed_in_check_mode_too(closed):
    connection = {"host": FQDN, "port": closed, "user": "psqladmin", "hostaddr": "127.0.0.1"}
    for check in (False, True):
        run = run_playbook(_role_play(connection), check=check, env=JSON_CALLBACK_ENV)
        res = run.result(CHECK)
        assert run.rc != 0 and res["problem"] == "refused", run.stdout[-3000:]
        assert f"127.0.0.1:{closed}" in res["msg"] and ZONE in res["msg"]
        assert "management subnet snet-cf-westeu-dev-1-mgmt (10." in res["msg"] and "database subnet snet-cf-westeu-dev-1-db (10." in res["msg"]


def test_role_passes_a_listening_loopback_and_a_name_that_does_not_resolve_fails(listening):
    run = run_playbook(_role_play({"host": FQDN, "port": listening, "user": "psqladmin", "hostaddr": "127.0.0.1"}),
                       env=JSON_CALLBACK_ENV)
    assert run.rc == 0 and run.result(CHECK)["kind"] == "loopback", run.stdout[-3000:]
    run = run_playbook(_role_play({"host": "psql-cf-westeu-dev-1.invalid", "port": listening, "user": "psqladmin"}),
                       env=JSON_CALLBACK_ENV)
    res = run.result(CHECK)
    assert run.rc != 0 and res["problem"] == "not_found" and ZONE in res["msg"], run.stdout[-3000:]


def test_role_check_is_skipped_when_told(closed):
    run = run_playbook(_role_play({"host": FQDN, "port": closed, "user": "psqladmin", "hostaddr": "127.0.0.1"},
                                  postgresql_server_check_reachability=False), env=JSON_CALLBACK_ENV)
    assert run.rc == 0 and run.result(CHECK).get("skipped") is True, run.stdout[-3000:]
