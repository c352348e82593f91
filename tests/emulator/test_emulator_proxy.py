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
    assert log[0]["method"] == "CONNECT" and log[0]["path"] == f"management.arm.localhost:{port}"
    assert log[0]["status"] == 200
    assert any(e["method"] == "PUT" and e.get("name") == "rg-via-proxy" for e in log)
    client.resource_groups.begin_delete("rg-via-proxy").result()


def test_the_proxy_tunnels_nowhere_else_and_plain_http_is_refused(emu):
    proxy = emu.info["ARM_EMULATOR_PROXY"]
    since = emu.request_count()
    with pytest.raises(requests.exceptions.ProxyError, match="403"):
        requests.get("https://example.com/", proxies={"https": proxy}, verify=emu.ca, timeout=5)
    assert [(e["path"], e["status"]) for e in emu.requests(since, method="CONNECT")] == [("example.com:443", 403)]
    plain = requests.get(f"{proxy}/_emulator/health", timeout=5)
    assert plain.status_code == 400
