"""postgresql_flexible_server through ansible-playbook against the emulator backed by a local PostgreSQL."""
from __future__ import annotations

import uuid

import psycopg
import pytest
from azure_play import arm_id, resource, task

LOCATION = "westeurope"
ZONE = "privatelink.postgres.database.azure.com"
PASSWORD = "Pw-7x!Qz-" + uuid.uuid4().hex[:8]   # Azure: no three consecutive letters or digits of the login
LOGIN = "modtestadmin"  # not the roles' psqladmin: one local cluster backs every emulated server


@pytest.fixture(scope="module")
def net(ansible):
    """A group with a VNet (a delegated and a plain subnet) and the PostgreSQL private DNS zone."""
    rg = f"rg-pg-{uuid.uuid4().hex[:6]}"
    subnets = [{"name": "db", "address_prefix": "10.0.2.0/24", "delegations": ["Microsoft.DBforPostgreSQL/flexibleServers"]},
               {"name": "plain", "address_prefix": "10.0.3.0/24"}]
    run = ansible.play([
        task("group", "resource_group", name=rg, location=LOCATION),
        task("vnet", "virtual_network", resource_group=rg, name="vnet", location=LOCATION,
             address_prefixes=["10.0.0.0/16"], subnets=subnets),
    ])
    assert run.rc == 0, run.stdout[-3000:]
    return rg


def server_task(rg, name, title="server", **extra):
    args = dict(resource_group=rg, name=name, location=LOCATION, version="15", sku_name="B_Standard_B1ms", tier="Burstable",
                storage_size_gb=32, delegated_subnet_id="vnet/db", private_dns_zone_id=ZONE,
                administrator_login=LOGIN, administrator_login_password=PASSWORD,
                databases=[{"name": "mod_db_one"}], parameters={"require_secure_transport": True, "pgaudit.log": "ddl,role"},
                tags={"Deployment": "test"})
    args.update(extra)
    return task(title, "postgresql_flexible_server", **args)


def server_writes(emu, since):
    """Writes to the PostgreSQL RP (the POST getPrivateDnsZoneSuffix is a read)."""
    return [r for r in emu.requests(since=since) if r["method"] in ("PUT", "PATCH", "DELETE", "POST")
            and "DBforPostgreSQL" in r["path"] and not r["path"].lower().endswith("/getprivatednszonesuffix")]


def test_undelegated_subnet_then_missing_zone_fail_clearly_and_create_nothing(ansible, emu, net):
    name = f"psql-bad-{uuid.uuid4().hex[:6]}"
    mark = emu.request_count()
    run = ansible.play([server_task(net, name, delegated_subnet_id="vnet/plain")])
    msg = run.result("server")["msg"]
    assert "not delegated to Microsoft.DBforPostgreSQL/flexibleServers" in msg and "/subnets/plain" in msg
    run = ansible.play([server_task(net, name)])  # the zone does not exist yet in this group
    msg = run.result("server")["msg"]
    assert "private DNS zone" in msg and "does not exist" in msg and ZONE in msg
    assert not server_writes(emu, mark)
    assert PASSWORD not in run.stdout + run.stderr


def test_server_check_mode_create_idempotence_databases_parameters(ansible, emu, net, local_pg):
    run = ansible.play([task("zone", "private_dns_zone", resource_group=net, name=ZONE)])
    assert run.rc == 0
    name = f"psql-mod-{uuid.uuid4().hex[:6]}"
    mark = emu.request_count()
    run = ansible.play([server_task(net, name)], check=True, diff=True)
    result = run.result("server")
    assert run.rc == 0 and result["changed"] is True and result["server"]["fqdn"] == f"{name}.postgres.database.azure.com"
    assert not server_writes(emu, mark)

    run = ansible.play([server_task(net, name)], diff=True, verbosity=3)
    result = run.result("server")
    assert run.rc == 0 and result["changed"] is True, run.stdout[-3000:]
    assert PASSWORD not in run.stdout + run.stderr
    server = result["server"]
    assert (server["sku_name"], server["tier"], server["storage_size_gb"], server["version"]) == ("Standard_B1ms", "Burstable", 32, "15")
    assert server["delegated_subnet_id"].endswith("/virtualNetworks/vnet/subnets/db")
    assert "mod_db_one" in result["databases"]
    assert result["parameters"] == {"pgaudit.log": "ddl,role", "require_secure_transport": "on"}
    stored = resource(emu, arm_id(emu, net, f"Microsoft.DBforPostgreSQL/flexibleServers/{name}"))
    assert stored["properties"]["network"]["publicNetworkAccess"] == "Disabled"
    assert stored["_configurations"]["pgaudit.log"]["value"] == "ddl,role"
    assert "administratorLoginPassword" not in stored["properties"]

    # The server's admin and database are real on the local PostgreSQL, reached by the FQDN over TLS.
    conn_info = result["connection"]
    assert conn_info["host"] == server["fqdn"] and conn_info["hostaddr"] == "127.0.0.1" and conn_info["port"] == local_pg.port
    with psycopg.connect(host=conn_info["host"], hostaddr=conn_info["hostaddr"], port=conn_info["port"], user=LOGIN,
                         password=PASSWORD, dbname="mod_db_one", sslmode="require") as conn:
        row = conn.execute("SELECT rolsuper, rolcreaterole, rolcreatedb, ssl FROM pg_roles, pg_stat_ssl "
                           "WHERE rolname = current_user AND pid = pg_backend_pid()").fetchone()
    assert row == (False, True, True, True)

    mark = emu.request_count()
    run = ansible.play([server_task(net, name)])
    assert run.result("server")["changed"] is False
    assert not server_writes(emu, mark), "a second run wrote (the password must not be re-sent)"

    # A static parameter is reported as waiting for a restart, and the restart clears it.
    run = ansible.play([server_task(net, name, parameters={"shared_preload_libraries": "pgaudit,pg_stat_statements"})])
    result = run.result("server")
    assert result["changed"] is True and result["restart_required"] == ["shared_preload_libraries"]
    assert any("restart" in w for w in result.get("warnings", []))
    run = ansible.play([server_task(net, name, parameters={"shared_preload_libraries": "pg_stat_statements, PGAUDIT"},
                                    restart=True)])
    result = run.result("server")
    assert result["changed"] is True and result["restarted"] is True and result["restart_required"] == []
    stored = resource(emu, arm_id(emu, net, f"Microsoft.DBforPostgreSQL/flexibleServers/{name}"))
    assert stored["_configurations"]["shared_preload_libraries"]["isConfigPendingRestart"] is False

    run = ansible.play([server_task(net, name, storage_size_gb=64, backup_retention_days=14,
                                    databases=[{"name": "mod_db_two"}], purge_databases=True)], diff=True)
    result = run.result("server")
    assert result["changed"] and result["server"]["storage_size_gb"] == 64 and result["server"]["backup_retention_days"] == 14
    assert "mod_db_two" in result["databases"] and "mod_db_one" not in result["databases"]
    assert result["diff"]["before"]["databases"] != result["diff"]["after"]["databases"]

    mark = emu.request_count()
    run = ansible.play([server_task(net, name, storage_size_gb=32, geo_redundant_backup=True)])
    msg = run.result("server")["msg"]
    assert "geo_redundant_backup" in msg and "never shrink" in msg
    assert not server_writes(emu, mark)

    run = ansible.play([task("gone", "postgresql_flexible_server", resource_group=net, name=name, state="absent")])
    assert run.result("gone")["changed"] is True
    assert resource(emu, arm_id(emu, net, f"Microsoft.DBforPostgreSQL/flexibleServers/{name}")) is None
    with psycopg.connect(**local_pg.conninfo()) as conn:
        assert conn.execute("SELECT count(*) FROM pg_roles WHERE rolname = %s", (LOGIN,)).fetchone() == (0,)
        assert conn.execute("SELECT count(*) FROM pg_database WHERE datname = 'mod_db_two'").fetchone() == (0,)


def test_bad_input_fails_before_any_call(ansible, emu, net):
    mark = emu.request_count()
    run = ansible.play([server_task(net, "psql-input", administrator_login_password="short")])
    msg = run.result("server")["msg"]
    assert "administrator_login_password does not meet Azure's rules" in msg and "short" not in msg
    run = ansible.play([server_task(net, "psql-input", sku_name="GP_Standard_D4s_v3")])
    assert "belongs to another tier" in run.result("server")["msg"]
    run = ansible.play([server_task(net, "psql-input", high_availability="ZoneRedundant")])
    assert "Burstable" in run.result("server")["msg"]
    assert not [r for r in emu.requests(since=mark) if "DBforPostgreSQL" in r["path"]]


def test_a_new_servers_password_holding_part_of_the_login_is_refused_before_any_write(ansible, emu, net):
    """Azure's create would fail minutes later; refused once the server is known to be new (an existing server's
    password is not sent, so it is not held to the rule: see test_key_vault_and_postgresql_plans)."""
    mark = emu.request_count()
    part_of_login = "Xy-9!" + LOGIN[1:4].upper() + ".q"
    run = ansible.play([server_task(net, "psql-part", administrator_login_password=part_of_login)])
    msg = run.result("server")["msg"]
    assert "part of it" in msg and part_of_login not in msg and "Traceback" not in run.stdout
    assert not [r for r in emu.requests(since=mark) if "DBforPostgreSQL" in r["path"] and r["method"] != "GET"]


def test_creation_is_bounded_by_timeout(ansible, emu, net):
    run = ansible.play([task("zone", "private_dns_zone", resource_group=net, name=ZONE)])
    assert run.rc == 0
    emu.set_latency({"Microsoft.DBforPostgreSQL/flexibleServers": 30})
    try:
        run = ansible.play([server_task(net, f"psql-slow-{uuid.uuid4().hex[:6]}", administrator_login="slowadmin",
                                        databases=None, parameters=None, timeout=2)])
    finally:
        emu.set_latency({}, replace=True)
    result = run.result("server")
    assert result["failed"] and "timed out after 2 s" in result["msg"] and "Traceback" not in run.stdout


def test_databases_and_parameters_are_written_one_at_a_time_and_busy_answers_retried(ansible, emu, net):
    """Azure runs one operation per server; the emulator refuses a second one with 409 ServerIsBusy. Writes
    started together (the old behaviour) failed here; one at a time they pass, and a busy server is waited for."""
    run = ansible.play([task("zone", "private_dns_zone", resource_group=net, name=ZONE)])
    assert run.rc == 0
    name = f"psql-serial-{uuid.uuid4().hex[:6]}"
    run = ansible.play([server_task(net, name, administrator_login="serialadmin", databases=None, parameters=None)])
    assert run.rc == 0, run.stdout[-3000:]
    emu.set_latency({"Microsoft.DBforPostgreSQL/flexibleServers/databases": 1, "Microsoft.DBforPostgreSQL/flexibleServers/configurations": 1})
    try:
        mark = emu.request_count()
        run = ansible.play([server_task(net, name, administrator_login="serialadmin", databases=[{"name": "serial_a"}, {"name": "serial_b"}],
                                        parameters={"pgaudit.log": "ddl,role", "log_connections": "off"})])
        assert run.rc == 0, run.stdout[-3000:]
        assert not [r for r in emu.requests(since=mark) if r["status"] == 409], "a write was sent while another ran"
        # An update started without waiting keeps the server busy: the next task's database write is refused
        # with 409 ServerIsBusy, and retried until the server is free. 15 s: under load (two workers, a loaded
        # machine) the second task's first request came more than 3 s after the update started.
        emu.set_latency({"Microsoft.DBforPostgreSQL/flexibleServers": 15})
        mark = emu.request_count()
        run = ansible.play([task("busy", "postgresql_flexible_server", resource_group=net, name=name, backup_retention_days=9, wait=False),
                            task("db", "postgresql_flexible_server", resource_group=net, name=name, databases=[{"name": "serial_c"}])])
        busy = [r for r in emu.requests(since=mark) if r["status"] == 409]
    finally:
        emu.set_latency({}, replace=True)
    assert run.rc == 0, run.stdout[-3000:]
    assert busy and busy[0]["error_code"] == "ServerIsBusy" and "retrying in 5 s" in run.stdout
    assert "serial_c" in run.result("db")["databases"]


def test_a_new_server_is_restarted_so_that_pgaudit_is_loaded_from_the_first_deploy(ansible, emu, net):
    run = ansible.play([task("zone", "private_dns_zone", resource_group=net, name=ZONE)])
    assert run.rc == 0
    name = f"psql-audit-{uuid.uuid4().hex[:6]}"
    mark = emu.request_count()
    run = ansible.play([server_task(net, name, administrator_login="auditadmin", databases=None,
                                    parameters={"shared_preload_libraries": "pgaudit,pg_stat_statements", "pgaudit.log": "ddl,role,write"})])
    result = run.result("server")
    assert run.rc == 0 and result["restarted"] is True and result["restart_required"] == [], run.stdout[-3000:]
    assert [r for r in emu.requests(since=mark) if r["method"] == "POST" and r["path"].lower().endswith(f"/{name}/restart")]
    stored = resource(emu, arm_id(emu, net, f"Microsoft.DBforPostgreSQL/flexibleServers/{name}"))["_configurations"]
    assert "pgaudit" in stored["shared_preload_libraries"]["value"] and not stored["shared_preload_libraries"]["isConfigPendingRestart"]


def test_a_new_server_writes_only_the_parameters_azure_did_not_give_it(ansible, emu, net):
    """require_secure_transport is on on a new server (Azure's default): written, it would be one more operation in the
    server's one-at-a-time queue. Only pgaudit.log is written, and being dynamic it needs no restart."""
    run = ansible.play([task("zone", "private_dns_zone", resource_group=net, name=ZONE)])
    assert run.rc == 0
    name = f"psql-dflt-{uuid.uuid4().hex[:6]}"
    mark = emu.request_count()
    run = ansible.play([server_task(net, name, administrator_login="dfltadmin", databases=None,
                                    parameters={"require_secure_transport": "ON", "pgaudit.log": "ddl,role"})])
    result = run.result("server")
    assert run.rc == 0 and result["changed"] is True, run.stdout[-3000:]
    assert result["parameters"] == {"pgaudit.log": "ddl,role", "require_secure_transport": "ON"}
    writes = [(r["method"], r["path"].rsplit("/", 1)[-1]) for r in server_writes(emu, mark)]
    assert writes == [("PUT", name), ("PATCH", "pgaudit.log")] and result["restarted"] is False, writes
    again = ansible.play([server_task(net, name, administrator_login="dfltadmin", databases=None,
                                      parameters={"require_secure_transport": "ON", "pgaudit.log": "ddl,role"})])
    assert again.rc == 0 and again.result("server")["changed"] is False


AUDIT_CLASSES = "read,write,ddl,role"


def test_pgaudit_is_active_after_the_first_deploy(ansible, emu, net, local_pg):
    """Allow-listed, loaded (restart), pgaudit.log with explicit classes, the extension created in the tier's
    database: the backing PostgreSQL has the extension, SHOW pgaudit.log answers the classes and a write is audited."""
    run = ansible.play([task("zone", "private_dns_zone", resource_group=net, name=ZONE)])
    assert run.rc == 0
    name, database, login = f"psql-pga-{uuid.uuid4().hex[:6]}", f"pga_{uuid.uuid4().hex[:6]}", "pgaadmin"
    run = ansible.play([server_task(net, name, administrator_login=login, databases=[{"name": database}],
                                    parameters={"azure.extensions": "PGAUDIT,PGCRYPTO", "pgaudit.log": AUDIT_CLASSES,
                                                "shared_preload_libraries": "pgaudit,pg_stat_statements"})])
    assert run.rc == 0 and run.result("server")["restarted"] is True, run.stdout[-3000:]
    connection = run.result("server")["connection"]
    login_args = dict(login_host=connection["hostaddr"], login_port=connection["port"], login_user=login,
                      login_password=PASSWORD, ssl_mode="require")
    run = ansible.play([task("tier", "postgresql_tier", databases=[{"name": database}], extensions=["pgaudit"], **login_args)])
    assert run.rc == 0 and run.result("tier")["databases"][0]["extensions_created"] == ["pgaudit"], run.stdout[-3000:]

    with psycopg.connect(host=connection["hostaddr"], port=connection["port"], user=login, password=PASSWORD,
                         dbname=database, sslmode="require", autocommit=True) as conn:
        assert conn.execute("SELECT extname FROM pg_extension WHERE extname = 'pgaudit'").fetchone() == ("pgaudit",)
        assert conn.execute("SHOW pgaudit.log").fetchone() == (AUDIT_CLASSES,)
        conn.execute(f'SET ROLE "{database}_owner"')
        conn.execute("CREATE TABLE audited (id int)")
        conn.execute("INSERT INTO audited VALUES (1)")
    log = (local_pg.data_dir / "server.log").read_text(encoding="utf-8", errors="replace")
    assert ",WRITE,INSERT,,,INSERT INTO audited VALUES (1)," in log
    assert ",DDL,CREATE TABLE,TABLE,public.audited,CREATE TABLE audited" in log  # type and name: the extension's event triggers


def test_a_zone_outside_the_services_domain_is_refused_before_any_write(ansible, emu, net):
    """Azure accepts the create, then fails it minutes later (PrivateDnsZoneNameNotValid); the module asks the
    service's suffix first and fails before any write."""
    run = ansible.play([task("zone", "private_dns_zone", resource_group=net, name="db.example.internal")])
    assert run.rc == 0
    mark = emu.request_count()
    run = ansible.play([server_task(net, f"psql-zone-{uuid.uuid4().hex[:6]}", administrator_login="zoneadmin",
                                    private_dns_zone_id="db.example.internal")])
    msg = run.result("server")["msg"]
    assert "does not end with .postgres.database.azure.com" in msg and "private.postgres.database.azure.com" in msg
    assert not server_writes(emu, mark)


# --- an existing server: only the options given are compared ------------------------------------------------------

@pytest.fixture(scope="module")
def existing(ansible, net):
    """One server created with the full option set (its own login: roles are cluster-wide in the backing PostgreSQL)."""
    run = ansible.play([task("zone", "private_dns_zone", resource_group=net, name=ZONE)])
    assert run.rc == 0
    name = f"psql-cmp-{uuid.uuid4().hex[:6]}"
    run = ansible.play([server_task(net, name, administrator_login="cmpadmin", parameters=None)])
    assert run.rc == 0 and run.result("server")["changed"] is True, run.stdout[-3000:]
    return {"rg": net, "name": name, "created": run.result("server")}


def bare_task(existing, title="bare", **args):
    return task(title, "postgresql_flexible_server", resource_group=existing["rg"], name=existing["name"], **args)


def test_existing_server_with_name_and_group_only_is_ok_unchanged_and_not_written(ansible, emu, existing):
    mark = emu.request_count()
    run = ansible.play([bare_task(existing, state="present")], diff=True)
    result = run.result("bare")
    assert run.rc == 0 and result["changed"] is False, run.stdout[-3000:]
    assert result["diff"] == {"before": {"server": {}}, "after": {"server": {}}}
    assert result["server"] == existing["created"]["server"]
    assert result["connection"] == existing["created"]["connection"]
    assert "mod_db_one" in result["databases"]
    assert not server_writes(emu, mark)


def test_one_changed_option_is_the_only_change_and_the_second_run_is_unchanged(ansible, emu, existing):
    server_id = arm_id(emu, existing["rg"], f"Microsoft.DBforPostgreSQL/flexibleServers/{existing['name']}")
    tags_before = resource(emu, server_id)["tags"]
    mark = emu.request_count()
    run = ansible.play([bare_task(existing, backup_retention_days=14)], diff=True)
    result = run.result("bare")
    assert run.rc == 0 and result["changed"] is True, run.stdout[-3000:]
    assert result["diff"] == {"before": {"server": {"backup_retention_days": 7}}, "after": {"server": {"backup_retention_days": 14}}}
    writes = server_writes(emu, mark)
    assert [(w["method"], w["path"].rsplit("/", 1)[-1]) for w in writes] == [("PATCH", existing["name"])]
    stored = resource(emu, server_id)
    assert stored["properties"]["backup"]["backupRetentionDays"] == 14 and stored["tags"] == tags_before
    mark = emu.request_count()
    run = ansible.play([bare_task(existing, backup_retention_days=14)])
    assert run.result("bare")["changed"] is False and not server_writes(emu, mark)

    # The role's full option set with one tag more: the diff differs in the tags only (databases listed, unchanged).
    full = server_task(existing["rg"], existing["name"], administrator_login="cmpadmin", parameters=None, backup_retention_days=14,
                       tags={"Deployment": "test", "Owner": "platform"})
    run = ansible.play([full], diff=True)
    result = run.result("server")
    assert result["changed"] is True, run.stdout[-3000:]
    before, after = result["diff"]["before"], result["diff"]["after"]
    assert {k for k in after["server"] if before["server"].get(k) != after["server"][k]} == {"tags"}
    assert before["databases"] == after["databases"] and "parameters" not in after
    assert resource(emu, server_id)["tags"] == {"Deployment": "test", "Owner": "platform"}
    mark = emu.request_count()
    assert ansible.play([full]).result("server")["changed"] is False and not server_writes(emu, mark)


def test_missing_server_without_create_options_fails_before_any_write_naming_them(ansible, emu, net):
    name = f"psql-none-{uuid.uuid4().hex[:6]}"
    mark = emu.request_count()
    run = ansible.play([task("bare", "postgresql_flexible_server", resource_group=net, name=name, backup_retention_days=14)])
    result = run.result("bare")
    assert result["failed"] and f"server {name} does not exist" in result["msg"]
    for option in ("location", "version", "sku_name", "delegated_subnet_id", "private_dns_zone_id", "administrator_login",
                   "administrator_login_password"):
        assert option in result["msg"]
    # Only what is missing is named.
    run = ansible.play([server_task(net, name, sku_name=None, administrator_login_password=None)])
    msg = run.result("server")["msg"]
    assert msg.endswith("also give: sku_name, administrator_login_password") and "Traceback" not in run.stdout
    assert not server_writes(emu, mark)
    assert resource(emu, arm_id(emu, net, f"Microsoft.DBforPostgreSQL/flexibleServers/{name}")) is None


def test_a_misspelt_parameter_fails_the_start_call_before_the_server_change_is_started(ansible, emu, existing):
    """wait=false starts the server's own change (deploy.yml's order), whose parameters a later task writes: a name the
    server lacks is refused before the start, since the change could not be undone (storage never shrinks)."""
    server_id = arm_id(emu, existing["rg"], f"Microsoft.DBforPostgreSQL/flexibleServers/{existing['name']}")
    retention = resource(emu, server_id)["properties"]["backup"]["backupRetentionDays"]
    mark = emu.request_count()
    run = ansible.play([bare_task(existing, backup_retention_days=retention + 1, wait=False,
                                  parameters={"require_secure_transport": "on", "pgaudit.logg": "ddl"})])
    result = run.result("bare")
    assert result.get("failed") and "the server has no parameter(s) pgaudit.logg" in result["msg"], run.stdout[-3000:]
    assert not server_writes(emu, mark)
    assert resource(emu, server_id)["properties"]["backup"]["backupRetentionDays"] == retention

    # Names it has are only checked: the change is started, and no parameter is written by this call.
    run = ansible.play([bare_task(existing, backup_retention_days=retention + 1, wait=False,
                                  parameters={"pgaudit.log": "ddl,role,write"})], diff=True)
    result = run.result("bare")
    assert run.rc == 0 and result["changed"] is True, run.stdout[-3000:]
    assert "parameters" not in result["diff"]["after"] and result["parameters"] == {}
    assert [(w["method"], w["path"].rsplit("/", 1)[-1]) for w in server_writes(emu, mark)] == [("PATCH", existing["name"])]
    run = ansible.play([task("wait", "operation_wait", operations=[result])])
    assert run.rc == 0, run.stdout[-3000:]
