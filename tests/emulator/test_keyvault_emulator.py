"""Key Vault in the emulator, driven by the real SDKs: management with soft delete, the secrets
data plane behind the challenge protocol (reached through the emulator's proxy)."""
from __future__ import annotations

import pytest
import requests
from azure.core.exceptions import HttpResponseError, ResourceExistsError, ResourceNotFoundError
from azure.keyvault.secrets import SecretClient
from azure.mgmt.keyvault import KeyVaultManagementClient


@pytest.fixture
def vaults(emu, credential):
    return KeyVaultManagementClient(credential, emu.subscription_id, **emu.client_kwargs()).vaults


def body(emu, **props):
    properties = {"tenantId": emu.tenant_id, "sku": {"family": "A", "name": "standard"}, "enableRbacAuthorization": True}
    properties.update(props)
    return {"location": "westeurope", "properties": properties}


def test_data_plane_answers_with_the_challenge_the_sdk_expects(emu, vaults, group, credential):
    vault = vaults.begin_create_or_update(group, "kv-challenge", body(emu)).result()
    uri = vault.properties.vault_uri
    assert vault.properties.sku.name == "standard" and vault.properties.tenant_id == emu.tenant_id
    port = emu.url.rsplit(":", 1)[1]
    assert uri == f"https://kv-challenge.vault.localhost:{port}/"
    proxies = {"https": emu.proxy}
    anonymous = requests.get(f"{uri}secrets/x?api-version=7.5", proxies=proxies, verify=emu.ca, timeout=10)
    assert anonymous.status_code == 401
    assert anonymous.headers["WWW-Authenticate"] == (
        f'Bearer authorization="{emu.url}/{emu.tenant_id}", resource="https://vault.localhost:{port}"')
    # A token for another audience (ARM) is refused with the same challenge.
    arm_token = credential.get_token(emu.url + "/.default").token
    wrong = requests.get(f"{uri}secrets/x?api-version=7.5", headers={"Authorization": f"Bearer {arm_token}"},
                         proxies=proxies, verify=emu.ca, timeout=10)
    assert wrong.status_code == 401 and "audience" in wrong.json()["error"]["message"]


def test_secrets_versions_soft_delete_and_recover(emu, vaults, group, credential, monkeypatch):
    for key, value in emu.proxy_env().items():
        monkeypatch.setenv(key, value)
    vault = vaults.begin_create_or_update(group, "kv-secrets-t", body(emu, softDeleteRetentionInDays=7)).result()
    emu.grant("Key Vault Secrets Officer", scope=vault.id)
    client = SecretClient(vault.properties.vault_uri, credential, connection_verify=emu.ca)
    first = client.set_secret("admin", "value-1", content_type="password", tags={"a": "b"})
    second = client.set_secret("admin", "value-2")
    assert first.properties.version != second.properties.version
    assert client.get_secret("admin").value == "value-2"
    assert client.get_secret("admin", first.properties.version).value == "value-1"
    assert len(list(client.list_properties_of_secret_versions("admin"))) == 2
    with pytest.raises(ResourceNotFoundError, match="SecretNotFound"):
        client.get_secret("missing")
    # about-secrets: up to 15 tags; a 16th answers BadParameter "Property has invalid value", on a set and an update
    sixteen = {f"t{i}": "x" for i in range(16)}
    with pytest.raises(HttpResponseError, match="Property has invalid value") as refused:
        client.set_secret("tagged", "v", tags=sixteen)
    assert refused.value.status_code == 400 and refused.value.error.code == "BadParameter"
    with pytest.raises(HttpResponseError, match="Property has invalid value"):
        client.update_secret_properties("admin", second.properties.version, tags=sixteen)
    client.begin_delete_secret("admin").result()
    assert client.get_deleted_secret("admin").recovery_id.endswith("/deletedsecrets/admin")
    with pytest.raises(ResourceExistsError, match="deleted but recoverable"):
        client.set_secret("admin", "value-3")
    client.begin_recover_deleted_secret("admin").result()
    assert client.get_secret("admin").value == "value-2"


def test_vault_soft_delete_recover_purge_and_purge_protection(emu, vaults, group):
    # An explicit false is refused on a new vault too (Azure/azure-rest-api-specs#18106): leave it out instead.
    with pytest.raises(HttpResponseError, match="cannot be set to false. Enabling the purge protection"):
        vaults.begin_create_or_update(group, "kv-lifecycle", body(emu, enablePurgeProtection=False)).result()
    vaults.begin_create_or_update(group, "kv-lifecycle", body(emu)).result()
    with pytest.raises(HttpResponseError, match="softDeleteRetentionInDays"):
        vaults.begin_create_or_update(group, "kv-lifecycle", body(emu, softDeleteRetentionInDays=30)).result()
    vaults.delete(group, "kv-lifecycle")
    with pytest.raises(ResourceNotFoundError):
        vaults.get(group, "kv-lifecycle")
    deleted = vaults.get_deleted("kv-lifecycle", "westeurope")
    assert deleted.properties.vault_id.endswith("/vaults/kv-lifecycle")
    assert "kv-lifecycle" in [d.name for d in vaults.list_deleted()]
    with pytest.raises(HttpResponseError, match="ConflictError"):
        vaults.begin_create_or_update(group, "kv-lifecycle", body(emu)).result()
    vaults.begin_create_or_update(group, "kv-lifecycle", body(emu, createMode="recover")).result()
    assert vaults.get(group, "kv-lifecycle").properties.enable_rbac_authorization is True

    vaults.update(group, "kv-lifecycle", {"properties": {"enablePurgeProtection": True}})
    with pytest.raises(HttpResponseError, match="cannot be set to false"):
        vaults.update(group, "kv-lifecycle", {"properties": {"enablePurgeProtection": False}})
    vaults.delete(group, "kv-lifecycle")
    with pytest.raises(HttpResponseError, match="Operation 'DeletedVaultPurge' is not allowed") as refused:   # Azure's words
        vaults.begin_purge_deleted("kv-lifecycle", "westeurope").result()
    assert refused.value.error.code == "MethodNotAllowed"
    assert vaults.get_deleted("kv-lifecycle", "westeurope").properties.purge_protection_enabled is True


def test_vault_names_are_global_and_validated(emu, vaults, group, resources):
    with pytest.raises(HttpResponseError, match="VaultNameNotValid"):
        vaults.begin_create_or_update(group, "kv--bad", body(emu)).result()
    vaults.begin_create_or_update(group, "kv-global-name", body(emu)).result()
    resources.resource_groups.create_or_update(group + "-b", {"location": "westeurope"})
    try:
        with pytest.raises(HttpResponseError, match="VaultAlreadyExists"):
            vaults.begin_create_or_update(group + "-b", "kv-global-name", body(emu)).result()
    finally:
        resources.resource_groups.begin_delete(group + "-b").result()
    vaults.delete(group, "kv-global-name")
    vaults.begin_purge_deleted("kv-global-name", "westeurope").result()
    assert "kv-global-name" not in [d.name for d in vaults.list_deleted()]


def test_a_subnet_rule_needs_the_key_vault_service_endpoint(emu, vaults, group, network):
    vnet = network.virtual_networks.begin_create_or_update(group, "vnet-se", {"location": "westeurope", "properties": {
        "addressSpace": {"addressPrefixes": ["10.31.0.0/16"]},
        "subnets": [{"name": "plain", "properties": {"addressPrefix": "10.31.1.0/24"}},
                    {"name": "kv", "properties": {"addressPrefix": "10.31.2.0/24",
                                                  "serviceEndpoints": [{"service": "Microsoft.KeyVault"}]}}]}}).result()
    plain, with_endpoint = (s.id for s in vnet.properties.subnets)
    acls = {"defaultAction": "Deny", "virtualNetworkRules": [{"id": plain}]}
    with pytest.raises(HttpResponseError) as refused:
        vaults.begin_create_or_update(group, "kv-no-endpoint", body(emu, networkAcls=acls)).result()
    assert refused.value.status_code == 400 and refused.value.error.code == "SubnetsHaveNoServiceEndpointsConfigured"
    assert "Subnets plain of virtual network" in refused.value.error.message
    acls["virtualNetworkRules"] = [{"id": with_endpoint}]
    vault = vaults.begin_create_or_update(group, "kv-with-endpoint", body(emu, networkAcls=acls)).result()
    assert [r.id for r in vault.properties.network_acls.virtual_network_rules] == [with_endpoint.lower()]
    vaults.delete(group, "kv-with-endpoint")
    vaults.begin_purge_deleted("kv-with-endpoint", "westeurope").result()
