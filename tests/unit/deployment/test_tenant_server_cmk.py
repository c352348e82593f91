"""The PostgreSQL planner's mapping of identity and data_encryption to the REST spec's identity and dataEncryption
(2026-10-01), for the Tier-3 server: create body, rotation patch, refusals before any call."""
from __future__ import annotations

import pytest

from ansible_collections.complianceflow.infra.plugins.module_utils._azure.postgresql_server import (
    plan_data_encryption, validate_data_encryption)
from ansible_collections.complianceflow.infra.plugins.module_utils._azure.values import AzureInputError

SUB = "/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/rg-cf-westeu-prod-1/providers"
ID = f"{SUB}/Microsoft.ManagedIdentity/userAssignedIdentities/id-cf-westeu-prod-1-tenant-acme"
GEO_ID = ID + "-geo"
KEY = "https://kv-acme-abc123.vault.azure.net/keys/postgresql-cmk/0123456789abcdef0123456789abcdef"
NEW_KEY = KEY[:-32] + "fedcba9876543210fedcba9876543210"
GEO_KEY = "https://kv-acme-geo123.vault.azure.net/keys/postgresql-cmk-geo/0123456789abcdef0123456789abcdef"


def params(**enc):
    data = {"primary_key_uri": KEY, "primary_user_assigned_identity_id": ID, "geo_backup_key_uri": None,
            "geo_backup_user_assigned_identity_id": None}
    data.update(enc)
    return {"name": "psql-cf-westeu-prod-1-tenant-acme", "geo_redundant_backup": False,
            "identity": {"type": "UserAssigned", "user_assigned_identities": [ID, GEO_ID]}, "data_encryption": data}


def existing(key_type="AzureKeyVault", key=KEY):
    enc = {"type": key_type}
    if key_type == "AzureKeyVault":
        enc.update(primaryKeyURI=key, primaryUserAssignedIdentityId=ID, primaryEncryptionKeyStatus="Valid")
    return {"identity": {"type": "UserAssigned", "userAssignedIdentities": {ID: {}, GEO_ID: {}}},
            "properties": {"dataEncryption": enc}}


def test_create_maps_to_the_spec_shape():
    out = plan_data_encryption(None, params())
    assert out["create"] == {"identity": {"type": "UserAssigned", "userAssignedIdentities": {ID: {}, GEO_ID: {}}},
                             "dataEncryption": {"type": "AzureKeyVault", "primaryKeyURI": KEY, "primaryUserAssignedIdentityId": ID}}
    geo = plan_data_encryption(None, dict(params(geo_backup_key_uri=GEO_KEY, geo_backup_user_assigned_identity_id=GEO_ID),
                                          geo_redundant_backup=True))
    assert geo["create"]["dataEncryption"]["geoBackupKeyURI"] == GEO_KEY


def test_same_key_is_no_change_and_a_new_version_is_one_patch():
    assert plan_data_encryption(existing(), params())["patch"] == {}
    out = plan_data_encryption(existing(), params(primary_key_uri=NEW_KEY))
    assert out["patch"] == {"dataEncryption": {"type": "AzureKeyVault", "primaryKeyURI": NEW_KEY, "primaryUserAssignedIdentityId": ID}}
    assert out["before"]["data_encryption"]["primary_key_uri"] == KEY and out["after"]["data_encryption"]["primary_key_uri"] == NEW_KEY


def test_a_system_managed_server_is_refused_cmk():
    with pytest.raises(AzureInputError, match="only when a server is created"):
        plan_data_encryption(existing("SystemManaged"), params())


@pytest.mark.parametrize("change, message", [
    ({"primary_key_uri": KEY.rsplit("/", 1)[0]}, "not a versioned Key Vault key identifier"),
    ({"primary_user_assigned_identity_id": ID + "-other"}, "not listed in identity.user_assigned_identities"),
])
def test_bad_encryption_options_are_refused_before_any_call(change, message):
    with pytest.raises(AzureInputError, match=message):
        validate_data_encryption(params(**change))


def test_geo_backup_needs_its_own_key_and_identity():
    with pytest.raises(AzureInputError, match="needs geo_backup_key_uri"):
        validate_data_encryption(dict(params(), geo_redundant_backup=True))
    with pytest.raises(AzureInputError, match="not take the primary identity"):
        validate_data_encryption(dict(params(geo_backup_key_uri=GEO_KEY, geo_backup_user_assigned_identity_id=ID),
                                      geo_redundant_backup=True))
    validate_data_encryption(dict(params(geo_backup_key_uri=GEO_KEY, geo_backup_user_assigned_identity_id=GEO_ID),
                                  geo_redundant_backup=True))
