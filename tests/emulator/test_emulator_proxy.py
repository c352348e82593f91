"""The emulator's port doubles as an HTTPS proxy for names DNS cannot resolve (*.localhost)."""
from __future__ import annotations

import pytest
import requests
from azure.mgmt.resource.resources import ResourceManagementClient


def test_a_client_reaches_an_unresolvable_name_through_the_proxy(emu, credential):
    port = emu.url.rsplit(":", 1)[1]
    proxy = emu.info["ARM_EMULATOR_PROXY"]
    assert proxy == f"http://127.0.0.1:{port}"
    named = f"https://management.arm.localhost:{port}"
    with pytest.raises(requests.exceptions.ConnectionError):
        requests.get(f"{named}/_emulator/health", verify=emu.ca, timeout=5)  # no DNS for it
    since = emu.request_count()
    client = ResourceManagementClient(credential, emu.subscription_id, base_url=named,
                                      credential_scopes=[emu.url + "/.default"], connection_verify=emu.ca,
                                      proxies={"https": proxy})
    client.resource_groups.create_or_update("rg-via-proxy", {"location": "westeurope"})
    assert client.resource_groups.check_existence("rg-via-proxy") is True
    log = emu.requests(since)
    connects = [(e["path"], e["status"]) for e in log if e["method"] == "CONNECT"]
    assert connects == [(f"management.arm.localhost:{port}", 200)]  # one tunnel, kept alive
    assert [e["status"] for e in log if e.get("name") == "rg-via-proxy"] == [201, 204]
    client.resource_groups.begin_delete("rg-via-proxy").result()


def test_the_proxy_tunnels_nowhere_else_and_plain_http_is_refused(emu):
    proxy = emu.info["ARM_EMULATOR_PROXY"]
    since = emu.request_count()
    with pytest.raises(requests.exceptions.ProxyError, match="403"):
        requests.get("https://example.com/", proxies={"https": proxy}, verify=emu.ca, timeout=5)
    assert [(e["path"], e["status"]) for e in emu.requests(since, method="CONNECT")] == [("example.com:443", 403)]
    plain = requests.get(f"{proxy}/_emulator/health", timeout=5)
    assert plain.status_code == 400


def test_key_vault_secrets_reach_a_vault_hostname_through_the_proxy(emu, credential, resources, group, monkeypatch):
    """The data plane a vault's vaultUri names (<vault>.vault.localhost) is served through the proxy,
    with the SDK's challenge authentication and resource verification left on."""
    from azure.keyvault.secrets import SecretClient
    from azure.mgmt.keyvault import KeyVaultManagementClient, models as kvm
    for key, value in emu.proxy_env().items():
        monkeypatch.setenv(key, value)
    vaults = KeyVaultManagementClient(credential, emu.subscription_id, **emu.client_kwargs()).vaults
    properties = kvm.VaultProperties(tenant_id=emu.tenant_id, sku=kvm.Sku(family="A", name="standard"),
                                     enable_rbac_authorization=True)
    vault = vaults.begin_create_or_update(group, "kv-proxy-test", kvm.VaultCreateOrUpdateParameters(
        location="westeurope", properties=properties)).result()
    assert vault.properties.vault_uri.startswith("https://kv-proxy-test.vault.localhost:")
    emu.grant("Key Vault Secrets Officer", scope=vault.id)   # RBAC vault: the data plane needs a data-plane role
    since = emu.request_count()
    secrets = SecretClient(vault.properties.vault_uri, credential, connection_verify=emu.ca)
    secrets.set_secret("pg-admin", "not-printed-anywhere")
    assert secrets.get_secret("pg-admin").value == "not-printed-anywhere"
    connects = emu.requests(since, method="CONNECT")
    assert connects and all(e["status"] == 200 for e in connects)
    assert "not-printed-anywhere" not in (emu.state_dir / "requests.jsonl").read_text()
