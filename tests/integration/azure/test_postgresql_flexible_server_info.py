"""postgresql_flexible_server_info through ansible-playbook against the emulator backed by a local PostgreSQL."""
from __future__ import annotations

import uuid

import psycopg
from azure_play import task
# net is a fixture of that module, used here by name.
from test_postgresql_flexible_server import PASSWORD, ZONE, net, server_task  # noqa: F401 pylint: disable=unused-import

INFO_LOGIN = "infoadmin"  # its own login: roles are cluster-wide in the backing PostgreSQL


def info_task(rg, name, title="info"):
    return task(title, "postgresql_flexible_server_info", resource_group=rg, name=name)


def emulator_writes(emu, since):
    """Writes to ARM (the token endpoint's POSTs are sign-ins, not writes)."""
    return [r for r in emu.requests(since=since) if r["method"] != "GET" and r["path"].lower().startswith("/subscriptions/")]


def test_info_reads_what_the_main_module_returned_and_a_missing_server_is_not_an_error(ansible, emu, net, local_pg):  # noqa: F811
    run = ansible.play([task("zone", "private_dns_zone", resource_group=net, name=ZONE)])
    assert run.rc == 0
    name = f"psql-info-{uuid.uuid4().hex[:6]}"

    mark = emu.request_count()
    run = ansible.play([info_task(net, name)], check=True)
    result = run.result("info")
    assert run.rc == 0 and result["changed"] is False and result["exists"] is False
    assert (result["server"], result["connection"], result["databases"], result["parameters"]) == ({}, {}, [], {})
    assert not emulator_writes(emu, mark)

    run = ansible.play([server_task(net, name, administrator_login=INFO_LOGIN, parameters={"pgaudit.log": "ddl,role"})])
    created = run.result("server")
    assert run.rc == 0 and created["changed"] is True, run.stdout[-3000:]

    mark = emu.request_count()
    run = ansible.play([info_task(net, name)], check=True, diff=True)
    result = run.result("info")
    assert run.rc == 0 and result["changed"] is False and result["exists"] is True
    assert result["server"] == created["server"]
    assert result["connection"] == created["connection"] and result["connection"]["hostaddr"] == "127.0.0.1"
    assert result["databases"] == created["databases"] and "mod_db_one" in result["databases"]
    assert result["parameters"] == {"pgaudit.log": "ddl,role"} and result["restart_required"] == []
    assert "diff" not in result
    assert not emulator_writes(emu, mark)
    assert PASSWORD not in run.stdout + run.stderr

    # The connection is usable as returned.
    conn_info = result["connection"]
    with psycopg.connect(host=conn_info["host"], hostaddr=conn_info["hostaddr"], port=conn_info["port"], user=conn_info["user"],
                         password=PASSWORD, dbname="mod_db_one", sslmode=conn_info["sslmode"]) as conn:
        assert conn.execute("SELECT current_user").fetchone() == (INFO_LOGIN,)

    run = ansible.play([task("gone", "postgresql_flexible_server", resource_group=net, name=name, state="absent"),
                        info_task(net, name, "after")])
    assert run.result("gone")["changed"] is True and run.result("after")["exists"] is False


def test_info_in_a_missing_resource_group_is_exists_false(ansible, emu):
    mark = emu.request_count()
    run = ansible.play([info_task(f"rg-none-{uuid.uuid4().hex[:6]}", "psql-nowhere")])
    result = run.result("info")
    assert run.rc == 0 and result["changed"] is False and result["exists"] is False and result["server"] == {}
    assert not emulator_writes(emu, mark)


def test_info_bad_name_fails_before_any_call(ansible, emu):
    mark = emu.request_count()
    run = ansible.play([info_task("rg-x", "PSQL_Bad")])
    result = run.result("info")
    assert result["failed"] and "'PSQL_Bad' is not a valid server name" in result["msg"]
    assert not [r for r in emu.requests(since=mark) if "DBforPostgreSQL" in r["path"]]


def test_info_is_in_the_azure_action_group(ansible, emu, net):  # noqa: F811
    """module_defaults for group/complianceflow.infra.azure reach it (the deploy and teardown playbooks set auth there)."""
    bad = {"group/complianceflow.infra.azure": {"timeout": 0}}
    run = ansible.play([info_task(net, "psql-nowhere")], module_defaults=bad)
    assert run.result("info")["failed"] and "timeout=0" in run.result("info")["msg"]
    run = ansible.play([info_task(net, "psql-nowhere")])
    assert run.result("info")["exists"] is False
