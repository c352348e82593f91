"""Flexible server, database and configuration bodies checked against the derived 2026-10-01 excerpt.

specs/Microsoft.DBforPostgreSQL/2026-10-01/openapi.json is derived (tools/derive_postgresql_spec.py) from the published
2025-08-01 spec and the azure-mgmt-postgresqlflexibleservers 3.0.0 models; specs/README.md says how. Each refusal is
asserted at 2026-10-01 (code and JSON path in `details`, which only the spec check gives) and the same body is then
sent at an api-version the validator has no operations for (2024-08-01): the provider accepts it, so the refusal is
the spec check's and each test fails with the validator off. What passes (extensible enums, the properties the SDK
adds, the SDK's own bodies) is asserted on the validator directly or through the SDK.
Rules and sources: docs/emulator.md, "Request bodies checked against the spec".
"""
from __future__ import annotations

import uuid

import pytest
from azure.core.exceptions import HttpResponseError

PG = "2026-10-01"
UNCHECKED = "2024-08-01"   # no vendored operations for it: bodies reach the provider as they are
SERVER_TYPE = "Microsoft.DBforPostgreSQL/flexibleServers"


def _server_id(emu, group, name=None):
    name = name or f"pg-{uuid.uuid4().hex[:8]}"
    return f"/subscriptions/{emu.subscription_id}/resourceGroups/{group}/providers/{SERVER_TYPE}/{name}"


def _server(**props):
    properties = {"administratorLogin": "psqladmin", "administratorLoginPassword": "Emulat0r-Test-Pw", "version": "16",
                  "storage": {"storageSizeGB": 32, "autoGrow": "Disabled"},
                  "backup": {"backupRetentionDays": 7, "geoRedundantBackup": "Disabled"},
                  "highAvailability": {"mode": "Disabled"}, "createMode": "Create"}
    properties.update(props)
    return {"location": "westeurope", "sku": {"name": "Standard_B1ms", "tier": "Burstable"}, "properties": properties}


def _call(resources, method):
    return resources.resources.begin_create_or_update_by_id if method == "put" else resources.resources.begin_update_by_id


def _refused_then_accepted(resources, resource_id, body, target, method="put"):
    """Refused at 2026-10-01 by the spec check; the same body at an unchecked api-version is accepted."""
    with pytest.raises(HttpResponseError) as info:
        _call(resources, method)(resource_id, api_version=PG, parameters=body).result()
    assert info.value.status_code == 400
    assert info.value.error.code == "InvalidRequestContent", info.value.message
    assert target in [d.target for d in info.value.error.details], info.value.message
    assert _call(resources, method)(resource_id, api_version=UNCHECKED, parameters=body).result() is not None
    return info.value


@pytest.fixture
def server_id(emu, resources, group):
    """An existing server (created with a valid 2026-10-01 body)."""
    rid = _server_id(emu, group)
    resources.resources.begin_create_or_update_by_id(rid, api_version=PG, parameters=_server()).result()
    return rid


def test_the_three_resource_types_are_checked_at_2026_10_01():
    from tools.arm_emulator.openapi import Validator  # pylint: disable=import-outside-toplevel
    validator = Validator()
    base = f"/subscriptions/s/resourceGroups/rg/providers/{SERVER_TYPE}/pg"
    calls = (("PUT", base), ("PATCH", base), ("PUT", base + "/databases/db"), ("PUT", base + "/configurations/work_mem"),
             ("PATCH", base + "/configurations/work_mem"))
    found = {(m, p): validator.find(m, p, PG) for m, p in calls}
    assert {k: op.schema["$ref"].split("/")[-1] for k, op in found.items()} == {
        ("PUT", base): "Server", ("PATCH", base): "ServerForPatch", ("PUT", base + "/databases/db"): "Database",
        ("PUT", base + "/configurations/work_mem"): "ConfigurationForUpdate",
        ("PATCH", base + "/configurations/work_mem"): "ConfigurationForUpdate"}
    assert {op.namespace for op in found.values()} == {"microsoft.dbforpostgresql"}
    # the 2025-08-01 excerpt holds definitions only: nothing is checked at that api-version
    assert validator.find("PUT", base, "2025-08-01") is None and validator.find("PUT", base, UNCHECKED) is None


def test_the_excerpt_is_what_the_generator_derives():
    """The vendored 2026-10-01 file is reproducible from its two sources (tools/derive_postgresql_spec.py)."""
    from tools import derive_postgresql_spec  # pylint: disable=import-outside-toplevel
    assert derive_postgresql_spec.TARGET.read_text(encoding="utf-8") == derive_postgresql_spec.derive()


def test_missing_required_properties_are_refused(emu, resources, group):
    # UserAssignedIdentity.type is required (2025-08-01 and the SDK agree)
    _refused_then_accepted(resources, _server_id(emu, group), dict(_server(), identity={"userAssignedIdentities": {}}),
                           "identity.type")


def test_wrong_types_are_refused(emu, resources, group):
    _refused_then_accepted(resources, _server_id(emu, group), _server(storage={"storageSizeGB": "32"}),
                           "properties.storage.storageSizeGB")


def test_patterns_are_refused(emu, resources, group, server_id):
    # DatabaseProperties.charset: ^[a-zA-Z]+\w*$ (2025-08-01)
    _refused_then_accepted(resources, server_id + "/databases/app", {"properties": {"charset": "UTF-8", "collation": "en_US.utf8"}},
                           "properties.charset")


def test_unknown_properties_are_refused(emu, resources, group, server_id):
    error = _refused_then_accepted(resources, _server_id(emu, group), _server(futureSetting=True), "properties.futureSetting")
    assert "Could not find member 'futureSetting'" in error.message
    _refused_then_accepted(resources, server_id + "/configurations/log_connections",
                           {"properties": {"value": "off", "source": "user-override", "scope": "session"}},
                           "properties.scope")


def test_read_only_properties_with_a_value_are_refused(emu, resources, group, server_id):
    _refused_then_accepted(resources, _server_id(emu, group), _server(state="Ready"), "properties.state")
    # ServerPropertiesForPatch.administratorLogin and BackupForPatch.geoRedundantBackup are read-only on PATCH
    _refused_then_accepted(resources, server_id, {"properties": {"administratorLogin": "psqladmin"}},
                           "properties.administratorLogin", method="patch")
    _refused_then_accepted(resources, server_id, {"properties": {"backup": {"geoRedundantBackup": "Disabled"}}},
                           "properties.backup.geoRedundantBackup", method="patch")
    _refused_then_accepted(resources, server_id + "/configurations/log_connections",
                           {"properties": {"value": "off", "source": "user-override", "isReadOnly": False}},
                           "properties.isReadOnly")


def test_extensible_enums_and_what_the_sdk_adds_pass():
    """Every enum these bodies reach is modelAsString true at 2025-08-01; the SDK-only ones (FipsMode,
    ImmutableBackup) have an unknown extensibility and are accepted as extensible. Properties the SDK has and
    2025-08-01 has not are writable as the SDK's visibility says."""
    from tools.arm_emulator.openapi import Validator  # pylint: disable=import-outside-toplevel
    validator = Validator()
    base = f"/subscriptions/s/resourceGroups/rg/providers/{SERVER_TYPE}/pg"
    put, patch = validator.find("PUT", base, PG), validator.find("PATCH", base, PG)
    storage = {"storageSizeGB": 64, "autoGrow": "Enabled", "type": "FutureDisk_LRS", "autoGrowIncrementPercent": 10,
               "autoGrowMaxThresholdMb": 1024}
    body = _server(fipsMode="SomethingNew", storage=storage,
                   backup={"backupRetentionDays": 7, "immutableBackup": "AnyState"}, version="19",
                   dataEncryption={"type": "SystemManaged", "primaryFederatedIdentityClientId": "x"})
    body["sku"]["tier"] = "FutureTier"
    assert validator.validate(put, body) == []
    assert validator.validate(patch, {"properties": {"fipsMode": "Enabled", "sourceServerResourceId": base,
                                                     "highAvailability": {"mode": "SomeNewMode"}}}) == []
    # read-only values given as null count as not set
    assert validator.validate(put, _server(state=None, fullyQualifiedDomainName=None)) == []


def test_sdk_bodies_pass(emu, credential, group):
    from azure.mgmt.postgresqlflexibleservers import PostgreSQLManagementClient, models  # pylint: disable=import-outside-toplevel
    pg = PostgreSQLManagementClient(credential, emu.subscription_id, **emu.client_kwargs())
    server = models.Server(location="westeurope", sku=models.Sku(name="Standard_B1ms", tier="Burstable"),
                           administrator_login="psqladmin", administrator_login_password="Emulat0r-Test-Pw", version="16",
                           storage=models.Storage(storage_size_gb=32), create_mode="Create")
    name = f"pg-{uuid.uuid4().hex[:8]}"
    assert pg.servers.begin_create_or_update(group, name, server).result().name == name
    patched = pg.servers.begin_update(group, name, models.ServerForPatch(
        backup=models.BackupForPatch(backup_retention_days=14), tags={"a": "b"})).result()
    assert patched.tags == {"a": "b"}
    db = pg.databases.begin_create(group, name, "app", models.Database(charset="UTF8", collation="en_US.utf8")).result()
    assert db.name == "app"
    config = pg.configurations.begin_put(group, name, "log_connections", models.ConfigurationForUpdate(
        value="off", source="user-override")).result()
    assert config.value == "off"
