"""PostgreSQL Flexible Servers in the emulator, driven by azure-mgmt-postgresqlflexibleservers: VNet
validation with Azure-style codes, 202 long-running writes, databases, parameters and restarts.
(The local PostgreSQL backing is exercised end to end in tests/integration/azure; a backing that refuses, here.)"""
from __future__ import annotations

import json
import socket

import pytest
from azure.core.exceptions import HttpResponseError, ResourceNotFoundError
from azure.mgmt.postgresqlflexibleservers import PostgreSQLManagementClient

ZONE = "privatelink.postgres.database.azure.com"


@pytest.fixture
def pg(emu, credential):
    return PostgreSQLManagementClient(credential, emu.subscription_id, **emu.client_kwargs())


@pytest.fixture
def vnet(network, group):
    body = {"location": "westeurope", "properties": {
        "addressSpace": {"addressPrefixes": ["10.0.0.0/16"]},
        "subnets": [{"name": "db", "properties": {"addressPrefix": "10.0.2.0/24", "delegations": [
            {"name": "pg", "properties": {"serviceName": "Microsoft.DBforPostgreSQL/flexibleServers"}}]}},
            {"name": "plain", "properties": {"addressPrefix": "10.0.3.0/24"}}]}}
    return network.virtual_networks.begin_create_or_update(group, "vnet", body).result()


def server_body(subnet_id, zone_id, **props):
    properties = {"administratorLogin": "psqladmin", "administratorLoginPassword": "Emulat0r-Test-Pw", "version": "15",
                  "storage": {"storageSizeGB": 32}, "backup": {"backupRetentionDays": 7, "geoRedundantBackup": "Disabled"},
                  "network": {"delegatedSubnetResourceId": subnet_id, "privateDnsZoneArmResourceId": zone_id},
                  "highAvailability": {"mode": "Disabled"}}
    properties.update(props)
    return {"location": "westeurope", "sku": {"name": "Standard_B1ms", "tier": "Burstable"}, "properties": properties}


def test_vnet_integration_is_validated_before_create(emu, pg, vnet, privatedns, group):
    subnets = {s.name: s.id for s in vnet.properties.subnets}
    zone_id = f"/subscriptions/{emu.subscription_id}/resourceGroups/{group}/providers/Microsoft.Network/privateDnsZones/{ZONE}"
    with pytest.raises(HttpResponseError) as err:
        pg.servers.begin_create_or_update(group, "psql-nodeleg", server_body(subnets["plain"], zone_id)).result()
    assert err.value.error.code == "SubnetNotDelegatedToFlexibleServer"
    with pytest.raises(HttpResponseError) as err:
        pg.servers.begin_create_or_update(group, "psql-nozone", server_body(subnets["db"], zone_id)).result()
    assert err.value.error.code == "PrivateDnsZoneNotFound"
    # Azure's codes and messages (docs/emulator.md): no zone for a delegated subnet; a version not offered
    with pytest.raises(HttpResponseError, match="Parameter 'PrivateDnsZoneArmResourceId' must be specified") as err:
        pg.servers.begin_create_or_update(group, "psql-nozoneid", server_body(subnets["db"], None)).result()
    assert err.value.error.code == "MissingRequiredParameter"
    with pytest.raises(HttpResponseError, match=r"The value of the 'Version' should be in: \[12,13,14,15,16,17\]") as err:
        pg.servers.begin_create_or_update(group, "psql-v10", server_body(subnets["db"], zone_id, version="10")).result()
    assert err.value.error.code == "ParameterOutOfRange"
    with pytest.raises(HttpResponseError, match="Invalid value given for parameter serverName") as err:
        pg.servers.begin_create_or_update(group, "psql_underscore", server_body(subnets["db"], zone_id)).result()
    assert err.value.error.code == "InvalidParameterValue"
    with pytest.raises(HttpResponseError, match="PasswordNotComplex"):
        pg.servers.begin_create_or_update(group, "psql-weak", server_body(subnets["db"], zone_id,
                                                                          administratorLoginPassword="alllowercase")).result()
    # Part of the login (three consecutive alphanumerics of it, in any case): refused as Azure's rule has it.
    with pytest.raises(HttpResponseError, match="all or part of the login name") as err:
        pg.servers.begin_create_or_update(group, "psql-part", server_body(subnets["db"], zone_id,
                                                                          administratorLoginPassword="Xy-9!ADm.q")).result()
    assert err.value.error.code == "PasswordNotComplex"
    with pytest.raises(ResourceNotFoundError):
        pg.servers.get(group, "psql-nodeleg")


def test_server_lifecycle_databases_parameters_restart(emu, pg, vnet, privatedns, group, network):
    zone = privatedns.private_zones.begin_create_or_update(group, ZONE, {"location": "global"}).result()
    subnet_id = next(s.id for s in vnet.properties.subnets if s.name == "db")
    since = emu.request_count()
    server = pg.servers.begin_create_or_update(group, "psql-life", server_body(subnet_id, zone.id)).result()
    puts = emu.requests(since, method="PUT", resource_type="Microsoft.DBforPostgreSQL/flexibleServers")
    assert [e["status"] for e in puts] == [202]  # the RP answers every write as a long-running operation
    props = server.as_dict()["properties"]
    assert props["fullyQualifiedDomainName"] == "psql-life.postgres.database.azure.com" and props["state"] == "Ready"
    assert "administratorLoginPassword" not in props and "emulatorLocalEndpoint" not in props  # no local backing here
    with pytest.raises(HttpResponseError, match="InUseSubnetCannotBeDeleted"):
        network.subnets.begin_delete(group, "vnet", "db").result()

    pg.databases.begin_create(group, "psql-life", "user_service", {"properties": {"charset": "UTF8"}}).result()
    assert {d.name for d in pg.databases.list_by_server(group, "psql-life")} == {
        "postgres", "azure_maintenance", "azure_sys", "user_service"}
    pg.databases.begin_delete(group, "psql-life", "user_service").result()
    assert "user_service" not in {d.name for d in pg.databases.list_by_server(group, "psql-life")}

    with pytest.raises(HttpResponseError, match="InvalidParameterValue"):
        pg.configurations.begin_update(group, "psql-life", "azure.extensions", {"properties": {"value": "NOT_AN_EXT"}}).result()
    config = pg.configurations.begin_update(group, "psql-life", "shared_preload_libraries",
                                            {"properties": {"value": "pgaudit,pg_stat_statements", "source": "user-override"}}).result()
    assert config.properties.is_config_pending_restart is True
    pg.servers.begin_restart(group, "psql-life").result()
    assert pg.configurations.get(group, "psql-life", "shared_preload_libraries").properties.is_config_pending_restart is False

    # geoRedundantBackup is read-only in a PATCH (BackupForPatch, 2025-08-01 and the SDK 3.0.0): the spec check answers
    # first; a PUT of the existing server may carry it (create mutability) and meets the provider's own rule
    with pytest.raises(HttpResponseError) as err:
        pg.servers.begin_update(group, "psql-life", {"properties": {"backup": {"geoRedundantBackup": "Enabled"}}}).result()
    assert err.value.error.code == "InvalidRequestContent"
    assert [d.target for d in err.value.error.details] == ["properties.backup.geoRedundantBackup"]
    with pytest.raises(HttpResponseError, match="GeoRedundantBackupCannotBeChanged"):
        pg.servers.begin_create_or_update(group, "psql-life", server_body(
            subnet_id, zone.id, backup={"backupRetentionDays": 7, "geoRedundantBackup": "Enabled"})).result()
    # A new password has the create's rules (part of the login here).
    with pytest.raises(HttpResponseError, match="PasswordNotComplex"):
        pg.servers.begin_update(group, "psql-life", {"properties": {"administratorLoginPassword": "Kq-7!sql.x"}}).result()
    updated = pg.servers.begin_update(group, "psql-life", {"properties": {"storage": {"storageSizeGB": 64}}}).result()
    assert updated.properties.storage.storage_size_gb == 64
    pg.servers.begin_delete(group, "psql-life").result()
    with pytest.raises(ResourceNotFoundError):
        pg.servers.get(group, "psql-life")
    network.subnets.begin_delete(group, "vnet", "db").result()  # free again


def test_the_service_suffix_and_a_zone_outside_it_failing_in_the_operation(emu, pg, vnet, privatedns, group):
    assert pg.private_dns_zone_suffix.get() == "private.postgres.database.azure.com"
    zone = privatedns.private_zones.begin_create_or_update(group, "db.example.internal", {"location": "global"}).result()
    subnet_id = next(s.id for s in vnet.properties.subnets if s.name == "db")
    poller = pg.servers.begin_create_or_update(group, "psql-badzone", server_body(subnet_id, zone.id))   # accepted ...
    with pytest.raises(HttpResponseError) as err:   # ... then the operation fails, as Azure reports it
        poller.result()
    assert "PrivateDnsZoneNameNotValid" in str(err.value)


def test_public_access_with_vnet_integration_is_refused_not_silently_turned_off(emu, pg, vnet, privatedns, group):
    zone = privatedns.private_zones.begin_create_or_update(group, ZONE, {"location": "global"}).result()
    subnet_id = next(s.id for s in vnet.properties.subnets if s.name == "db")
    body = server_body(subnet_id, zone.id)
    body["properties"]["network"]["publicNetworkAccess"] = "Enabled"
    with pytest.raises(HttpResponseError) as err:
        pg.servers.begin_create_or_update(group, "psql-public", body).result()
    assert err.value.error.code == "ConflictingPublicNetworkAccessAndVirtualNetworkConfiguration"


def test_a_local_postgresql_that_refuses_ends_the_operations_failed_not_their_requests(
        emu, pg, vnet, privatedns, group, network, tmp_path):
    """With one local PostgreSQL for every server (local-postgres.json, the tests' mode), the administrator role, a
    database and a parameter are made during their long-running operations: the write is answered 202 at once, and a
    cluster that refuses the emulator ends the operation Failed with the emulator's own code, naming where it connected
    and never a password."""
    with socket.socket() as probe:   # a loopback port with nothing listening on it
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    platform_password = tmp_path / "platform.password"
    platform_password.write_text("Platform-Secret-4\n", encoding="utf-8")
    config_file = emu.state_dir / "local-postgres.json"
    config_file.write_text(json.dumps({"host": "127.0.0.1", "port": port, "user": "bootstrap", "password": "Bootstrap-Secret-3",
                                       "platform_user": "platform", "platform_password_file": str(platform_password)}),
                           encoding="utf-8")
    zone = privatedns.private_zones.begin_create_or_update(group, ZONE, {"location": "global"}).result()
    subnet_id = next(s.id for s in vnet.properties.subnets if s.name == "db")
    secrets = ("Bootstrap-Secret-3", "Platform-Secret-4", "Emulat0r-Test-Pw")
    try:
        writes = [("create", lambda: pg.servers.begin_create_or_update(group, "psql-refused", server_body(subnet_id, zone.id))),
                  ("database", lambda: pg.databases.begin_create(group, "psql-refused", "user_service", {"properties": {}})),
                  ("parameter", lambda: pg.configurations.begin_update(group, "psql-refused", "pgaudit.log", {
                      "properties": {"value": "ddl", "source": "user-override"}}))]
        for what, start in writes:
            since = emu.request_count()
            poller = start()
            answered = [e["status"] for e in emu.requests(since) if e["method"] in ("PUT", "PATCH")]
            assert answered == [202], (what, answered)
            with pytest.raises(HttpResponseError) as err:
                poller.result()
            assert err.value.error.code == "EmulatorLocalPostgresUnavailable", what
            assert f"127.0.0.1:{port} refused the emulator" in err.value.error.message, what
            assert not any(secret in str(err.value) for secret in secrets), what
    finally:
        config_file.unlink()
        pg.servers.begin_delete(group, "psql-refused").result()
        network.subnets.begin_delete(group, "vnet", "db").result()
