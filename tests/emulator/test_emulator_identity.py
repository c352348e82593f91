"""The token endpoint and metadata that azure-identity and a custom-cloud module base rely on."""
from __future__ import annotations

import json

import pytest
import requests
from azure.core.exceptions import ClientAuthenticationError
from emulator import Emulator


def test_client_secret_credential_gets_a_token_through_openid_discovery(emu):
    since = emu.request_count()
    # A credential of its own: the session's shared one may hold a cached token already.
    token = emu.credential().get_token(emu.url + "/.default")
    assert token.token.count(".") == 2 and token.expires_on > 0
    ops = [e["operation"] for e in emu.requests(since)]
    assert "oauth2/token" in ops
    log_text = (emu.state_dir / "requests.jsonl").read_text()
    assert emu.client_secret not in log_text and token.token not in log_text


def test_arm_refuses_requests_without_a_token_or_with_a_foreign_one(emu):
    url = f"{emu.url}/subscriptions/{emu.subscription_id}/resourcegroups?api-version=2025-04-01"
    missing = requests.get(url, verify=emu.ca, timeout=10)
    assert missing.status_code == 401
    assert missing.json()["error"]["code"] == "AuthenticationFailed"
    assert missing.headers["WWW-Authenticate"].startswith("Bearer ")
    assert missing.headers["x-ms-request-id"]
    forged = requests.get(url, verify=emu.ca, timeout=10, headers={"Authorization": "Bearer a.b.c"})
    assert forged.status_code == 401
    assert forged.json()["error"]["code"] == "InvalidAuthenticationToken"


def test_arm_requires_an_api_version(emu, credential):
    token = credential.get_token(emu.url + "/.default").token
    resp = requests.get(f"{emu.url}/subscriptions/{emu.subscription_id}/resourcegroups", verify=emu.ca, timeout=10,
                        headers={"Authorization": f"Bearer {token}"})
    assert resp.status_code == 400
    assert resp.json()["error"]["code"] == "MissingApiVersionParameter"


def test_configured_credentials_reject_a_wrong_secret_or_an_unknown_client(tmp_path):
    creds = {"tenant_id": "11111111-2222-3333-4444-555555555555", "client_id": "app-1", "client_secret": "s3cret"}
    with Emulator(tmp_path / "arm", config={"credentials": [creds]}) as strict:
        assert strict.client_id == "app-1" and strict.tenant_id == creds["tenant_id"]
        assert strict.credential().get_token(strict.url + "/.default").token
        with pytest.raises(ClientAuthenticationError, match="AADSTS7000215"):
            strict.credential(client_secret="wrong").get_token(strict.url + "/.default")
        with pytest.raises(ClientAuthenticationError, match="AADSTS700016"):
            strict.credential(client_id="app-2").get_token(strict.url + "/.default")
        # reset forgets runtime changes but keeps the start config, credentials included.
        strict.add_fault(status=500)
        strict.reset()
        config = strict.admin("GET", "config")
        assert config["faults"] == [] and config["credentials"] == [{"tenant_id": creds["tenant_id"], "client_id": "app-1"}]
        with pytest.raises(ClientAuthenticationError, match="AADSTS7000215"):
            strict.credential(client_secret="wrong-again").get_token(strict.url + "/.default")


@pytest.mark.parametrize("version", ["2022-09-01", "2015-01-01"])
def test_metadata_endpoints_describe_the_emulator_as_a_custom_cloud(emu, version):
    resp = requests.get(f"{emu.url}/metadata/endpoints?api-version={version}", verify=emu.ca, timeout=10)
    assert resp.status_code == 200
    body = resp.json()
    cloud = body[0] if version == "2022-09-01" else body
    assert isinstance(body, list) == (version == "2022-09-01")
    assert cloud["resourceManager"] == emu.url + "/"
    assert cloud["authentication"]["loginEndpoint"] == emu.url + "/"
    assert cloud["authentication"]["audiences"]
    assert json.dumps(cloud).count(emu.url) >= 3


def test_environment_variables_alone_configure_azure_identity(emu, monkeypatch):
    from azure.identity import EnvironmentCredential
    from azure.mgmt.resource.resources import ResourceManagementClient
    for key, value in emu.env().items():
        monkeypatch.setenv(key, value)
    # AZURE_AUTHORITY_HOST points MSAL at the emulator; REQUESTS_CA_BUNDLE makes both MSAL's and
    # ARM's HTTPS trust its CA. Instance discovery has no variable: it is a keyword.
    cred = EnvironmentCredential(disable_instance_discovery=True)
    client = ResourceManagementClient(cred, emu.subscription_id, base_url=emu.url,
                                      credential_scopes=[emu.url + "/.default"])
    assert client.resource_groups.check_existence("rg-none-such") is False
