"""Key Vault keys in the emulator, through the real azure-keyvault-keys client: create, versions, disable (the
revocation of a customer-managed key), rotate, the spec's body rules and RBAC (keyvault_keys.py)."""
from __future__ import annotations

import pytest
import requests
from azure.core.exceptions import HttpResponseError, ResourceNotFoundError
from azure.keyvault.keys import KeyClient
from azure.mgmt.keyvault import KeyVaultManagementClient


@pytest.fixture
def vault(emu, credential, group, monkeypatch):
    for key, value in emu.proxy_env().items():
        monkeypatch.setenv(key, value)
    vaults = KeyVaultManagementClient(credential, emu.subscription_id, **emu.client_kwargs()).vaults
    body = {"location": "westeurope", "properties": {"tenantId": emu.tenant_id, "sku": {"family": "A", "name": "standard"},
                                                     "enableRbacAuthorization": True, "enablePurgeProtection": True}}
    return vaults.begin_create_or_update(group, "kv-keys-t", body).result()


def test_keys_need_a_key_role_then_create_rotate_disable(emu, vault, credential):
    client = KeyClient(vault.properties.vault_uri, credential, connection_verify=emu.ca)
    emu.grant("Key Vault Secrets Officer", scope=vault.id)      # a secrets role gives no key data action
    with pytest.raises(HttpResponseError, match="ForbiddenByRbac|keys/create/action"):
        client.create_rsa_key("cmk", size=3072)
    emu.grant("Key Vault Crypto Officer", scope=vault.id)
    # about-keys: up to 15 tags with names of 256 characters; more answers BadParameter (as for secrets)
    for tags in ({f"t{i}": "x" for i in range(16)}, {"k" * 257: "x"}):
        with pytest.raises(HttpResponseError, match="Property has invalid value"):
            client.create_rsa_key("cmk", size=3072, tags=tags)
    first = client.create_rsa_key("cmk", size=3072, tags={"tier": "3"})
    assert first.key_type == "RSA" and first.properties.enabled and first.id.endswith(f"/keys/cmk/{first.properties.version}")
    assert first.properties.recovery_level == "Recoverable"     # purge protection on
    second = client.create_rsa_key("cmk", size=3072)           # the same name: a new version
    rotated = client.rotate_key("cmk")
    versions = [k.version for k in client.list_properties_of_key_versions("cmk")]
    assert versions == [first.properties.version, second.properties.version, rotated.properties.version]
    assert client.get_key("cmk").properties.version == rotated.properties.version
    disabled = client.update_key_properties("cmk", rotated.properties.version, enabled=False)
    assert disabled.properties.enabled is False and client.get_key("cmk").properties.enabled is False
    with pytest.raises(ResourceNotFoundError, match="KeyNotFound"):
        client.get_key("missing")


def test_bodies_are_checked_against_the_spec(emu, vault, credential):
    emu.grant("Key Vault Crypto Officer", scope=vault.id)
    client = KeyClient(vault.properties.vault_uri, credential, connection_verify=emu.ca)
    with pytest.raises(HttpResponseError, match="Invalid key size 1024"):
        client.create_rsa_key("small", size=1024)
    with pytest.raises(HttpResponseError, match="Premium"):
        client.create_rsa_key("hsm", hardware_protected=True)
    token = credential.get_token(f"https://vault.localhost:{emu.url.rsplit(':', 1)[1]}/.default").token
    answer = requests.post(f"{vault.properties.vault_uri}keys/bad/create?api-version=2025-07-01",
                           json={"kty": "RSA", "keySize": 2048}, headers={"Authorization": f"Bearer {token}"},
                           proxies={"https": emu.proxy}, verify=emu.ca, timeout=10)
    assert answer.status_code == 400 and answer.json()["error"]["code"] == "BadParameter"   # keySize: not a spec name
