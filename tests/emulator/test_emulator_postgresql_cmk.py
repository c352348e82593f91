"""Data encryption with a customer-managed key on the emulator's flexible servers (postgres_cmk.py), driven by the real
SDKs: each rule of Learn's concepts-data-encryption page, key rotation, and revocation making the server Inaccessible."""
from __future__ import annotations

import uuid

import pytest
from azure.core.exceptions import HttpResponseError
from azure.keyvault.keys import KeyClient
from azure.mgmt.keyvault import KeyVaultManagementClient
from azure.mgmt.postgresqlflexibleservers import PostgreSQLManagementClient

ZONE = "cmk.private.postgres.database.azure.com"
CRYPTO_USER = "e147488a-f6f5-4113-8e2d-b22465e65bf6"   # Key Vault Crypto Service Encryption User


@pytest.fixture
def setup(emu, credential, resources, network, privatedns, group, monkeypatch):
    for key, value in emu.proxy_env().items():
        monkeypatch.setenv(key, value)
    vnet = network.virtual_networks.begin_create_or_update(group, "vnet", {"location": "westeurope", "properties": {
        "addressSpace": {"addressPrefixes": ["10.0.0.0/16"]},
        "subnets": [{"name": "db", "properties": {"addressPrefix": "10.0.2.0/24", "delegations": [
            {"name": "pg", "properties": {"serviceName": "Microsoft.DBforPostgreSQL/flexibleServers"}}]}}]}}).result()
    zone = privatedns.private_zones.begin_create_or_update(group, ZONE, {"location": "global"}).result()
    vaults = KeyVaultManagementClient(credential, emu.subscription_id, **emu.client_kwargs()).vaults

    def vault(name, purge_protection=True, location="westeurope"):
        props = {"tenantId": emu.tenant_id, "sku": {"family": "A", "name": "standard"}, "enableRbacAuthorization": True}
        if purge_protection:
            props["enablePurgeProtection"] = True
        made = vaults.begin_create_or_update(group, name, {"location": location, "properties": props}).result()
        emu.grant("Key Vault Crypto Officer", scope=made.id)
        return made

    def identity(name):
        rid = f"/subscriptions/{emu.subscription_id}/resourceGroups/{group}/providers/Microsoft.ManagedIdentity/userAssignedIdentities/{name}"
        made = resources.resources.begin_create_or_update_by_id(rid, api_version="2026-05-31", parameters={"location": "westeurope"}).result()
        return made.id, made.properties["principalId"]

    def assign(scope, principal):
        rid = f"{scope}/providers/Microsoft.Authorization/roleAssignments/{uuid.uuid4()}"
        body = {"properties": {"roleDefinitionId": f"/subscriptions/{emu.subscription_id}/providers/Microsoft.Authorization/"
                                                   f"roleDefinitions/{CRYPTO_USER}", "principalId": principal,
                               "principalType": "ServicePrincipal"}}
        resources.resources.begin_create_or_update_by_id(rid, api_version="2022-04-01", parameters=body).result()
        return rid

    pg = PostgreSQLManagementClient(credential, emu.subscription_id, **emu.client_kwargs())
    return {"pg": pg, "subnet": vnet.properties.subnets[0].id, "zone": zone.id, "vault": vault, "identity": identity,
            "assign": assign, "resources": resources, "credential": credential}


def body(s, key_uri=None, identity_id=None, geo=False, **extra):
    props = {"administratorLogin": "psqladmin", "administratorLoginPassword": "Emulat0r-Test-Pw", "version": "15",
             "storage": {"storageSizeGB": 32}, "backup": {"backupRetentionDays": 7, "geoRedundantBackup": "Enabled" if geo else "Disabled"},
             "network": {"delegatedSubnetResourceId": s["subnet"], "privateDnsZoneArmResourceId": s["zone"]},
             "highAvailability": {"mode": "Disabled"}}
    out = {"location": "westeurope", "sku": {"name": "Standard_D2s_v3", "tier": "GeneralPurpose"}, "properties": props}
    if key_uri:
        props["dataEncryption"] = {"type": "AzureKeyVault", "primaryKeyURI": key_uri, "primaryUserAssignedIdentityId": identity_id}
        out["identity"] = {"type": "UserAssigned", "userAssignedIdentities": {identity_id: {}}}
    props.update(extra)
    return out


def code(err):
    return err.value.error.code


def test_cmk_rules_rotation_and_revocation(emu, setup, group):
    s, pg = setup, setup["pg"]
    kv = s["vault"]("kv-cmk-t")
    keys = KeyClient(kv.properties.vault_uri, s["credential"], connection_verify=emu.ca)
    key = keys.create_rsa_key("cmk", size=3072)
    ident, principal = s["identity"]("id-cmk")

    # The identity has no key permission yet: refused before anything is created.
    with pytest.raises(HttpResponseError, match="no role on vault") as err:
        pg.servers.begin_create_or_update(group, "psql-cmk", body(s, key.id, ident)).result()
    assert code(err) == "InvalidKeyVaultKey"
    assignment = s["assign"](kv.id, principal)
    # The vault must have purge protection; the key must be RSA of an allowed size and enabled.
    plain = s["vault"]("kv-cmk-nopp", purge_protection=False)
    other = KeyClient(plain.properties.vault_uri, s["credential"], connection_verify=emu.ca).create_rsa_key("cmk", size=2048)
    with pytest.raises(HttpResponseError, match="purge protection"):
        pg.servers.begin_create_or_update(group, "psql-cmk", body(s, other.id, ident)).result()
    disabled = keys.create_rsa_key("off", size=2048, enabled=False)
    with pytest.raises(HttpResponseError, match="disabled"):
        pg.servers.begin_create_or_update(group, "psql-cmk", body(s, disabled.id, ident)).result()
    # The primary identity must be one of the server's identities; geo-redundant backup needs the geo key.
    wrong = body(s, key.id, ident)
    wrong["identity"]["userAssignedIdentities"] = {}
    with pytest.raises(HttpResponseError):
        pg.servers.begin_create_or_update(group, "psql-cmk", wrong).result()
    with pytest.raises(HttpResponseError, match="Geo-Backup Encryption user assigned identity and key is required") as err:
        pg.servers.begin_create_or_update(group, "psql-cmk", body(s, key.id, ident, geo=True)).result()
    assert code(err) == "CMKInvalidEncryptionParameters"   # Azure's code (pulumi-azure-native#4014)
    # A key the vault does not hold: Azure's AzureKeyVaultKeyNotFound (terraform-provider-azurerm#21535).
    missing = key.id.replace("/keys/cmk/", "/keys/nokey/")
    with pytest.raises(HttpResponseError, match="does not exist") as err:
        pg.servers.begin_create_or_update(group, "psql-cmk", body(s, missing, ident)).result()
    assert code(err) == "AzureKeyVaultKeyNotFound"

    server = pg.servers.begin_create_or_update(group, "psql-cmk", body(s, key.id, ident)).result()
    enc = server.data_encryption
    assert (enc.type, enc.primary_key_uri, enc.primary_encryption_key_status) == ("AzureKeyVault", key.id, "Valid")
    assert server.state == "Ready" and ident in server.identity.user_assigned_identities

    # Rotation: a new version, the server pointed at it.
    new = keys.create_rsa_key("cmk", size=3072)
    patch = {"properties": {"dataEncryption": {"type": "AzureKeyVault", "primaryKeyURI": new.id, "primaryUserAssignedIdentityId": ident}}}
    pg.servers.begin_update(group, "psql-cmk", patch).result()
    assert pg.servers.get(group, "psql-cmk").data_encryption.primary_key_uri == new.id

    # Revocation: the key disabled makes the server Inaccessible; writes are refused; enabling it again restores it.
    keys.update_key_properties("cmk", new.properties.version, enabled=False)
    got = pg.servers.get(group, "psql-cmk")
    assert got.state == "Inaccessible" and got.data_encryption.primary_encryption_key_status == "Invalid"
    with pytest.raises(HttpResponseError) as err:
        pg.databases.begin_create(group, "psql-cmk", "user_service", {"properties": {"charset": "UTF8"}}).result()
    assert code(err) == "ServerIsInaccessible"
    keys.update_key_properties("cmk", new.properties.version, enabled=True)
    assert pg.servers.get(group, "psql-cmk").state == "Ready"
    # ... and so does removing the identity's role.
    s["resources"].resources.begin_delete_by_id(assignment, api_version="2022-04-01").result()
    assert pg.servers.get(group, "psql-cmk").state == "Inaccessible"


def test_cmk_only_at_creation(emu, setup, group):
    s, pg = setup, setup["pg"]
    kv = s["vault"]("kv-cmk-late")
    key = KeyClient(kv.properties.vault_uri, s["credential"], connection_verify=emu.ca).create_rsa_key("cmk", size=2048)
    ident, principal = s["identity"]("id-late")
    s["assign"](kv.id, principal)
    pg.servers.begin_create_or_update(group, "psql-sys", body(s)).result()
    patch = {"identity": {"type": "UserAssigned", "userAssignedIdentities": {ident: {}}},
             "properties": {"dataEncryption": {"type": "AzureKeyVault", "primaryKeyURI": key.id, "primaryUserAssignedIdentityId": ident}}}
    with pytest.raises(HttpResponseError) as err:
        pg.servers.begin_update(group, "psql-sys", patch).result()
    assert code(err) == "DataEncryptionTypeCannotBeChanged"
    assert pg.servers.get(group, "psql-sys").data_encryption.type == "SystemManaged"
