"""Entra ID's OpenID discovery document kept for the run (module_utils/_azure/discovery.py): what may be kept and used."""
from __future__ import annotations

import json

import pytest

from ansible_collections.complianceflow.infra.plugins.module_utils._azure import discovery, run_cache, tls

URL = "https://login.microsoftonline.com/00000000-0000-0000-0000-0000000000aa/v2.0/.well-known/openid-configuration"
DOCUMENT = {"token_endpoint": "https://login.microsoftonline.com/00000000-0000-0000-0000-0000000000aa/oauth2/v2.0/token",
            "authorization_endpoint": "https://login.microsoftonline.com/00000000-0000-0000-0000-0000000000aa/oauth2/v2.0/authorize"}


@pytest.mark.parametrize("url, expected", [
    (URL, True),
    ("https://adfs.contoso.example/adfs/.well-known/openid-configuration", True),   # ADFS: no /v2.0
    ("https://login.microsoftonline.com/tenant/oauth2/v2.0/token", False),
    ("http://login.microsoftonline.com/tenant/v2.0/.well-known/openid-configuration", False),   # never over plain HTTP
    ("https://management.azure.com/subscriptions?api-version=2022-12-01", False),
])
def test_which_requests_ask_for_the_discovery_document(url, expected):
    assert discovery.is_discovery_url(url) is expected


@pytest.mark.parametrize("document, expected", [
    (DOCUMENT, True),
    (dict(DOCUMENT, token_endpoint="https://LOGIN.microsoftonline.com/t/oauth2/v2.0/token"), True),   # host case
    (dict(DOCUMENT, token_endpoint="https://login.example.net/t/oauth2/v2.0/token"), False),   # the secret elsewhere
    (dict(DOCUMENT, token_endpoint="http://login.microsoftonline.com/t/oauth2/v2.0/token"), False),
    (dict(DOCUMENT, token_endpoint="/t/oauth2/v2.0/token"), False),
    ({"authorization_endpoint": DOCUMENT["authorization_endpoint"]}, False),
    ({"token_endpoint": 7}, False),
    ([DOCUMENT], False),
    (None, False),
])
def test_only_a_document_whose_token_endpoint_is_on_the_host_asked_is_usable(document, expected):
    assert discovery.usable(URL, document) is expected


def test_kept_for_the_run_and_answered_from_the_copy(tmp_path):
    env = {run_cache.RUN_CACHE_ENV: str(tmp_path)}
    assert discovery.cached(env, URL) is None                       # nothing read yet this run
    discovery.store(env, URL, json.dumps(DOCUMENT).encode())
    assert json.loads(discovery.cached(env, URL)) == DOCUMENT
    other = URL.replace("0000000000aa", "0000000000bb")
    assert discovery.cached(env, other) is None                     # another tenant's document is its own


def test_an_unusable_answer_is_not_kept_and_a_bad_copy_is_not_used(tmp_path):
    env = {run_cache.RUN_CACHE_ENV: str(tmp_path)}
    discovery.store(env, URL, b"<html>not json</html>")
    discovery.store(env, URL, json.dumps(dict(DOCUMENT, token_endpoint="https://evil.example/token")).encode())
    assert not list(tmp_path.iterdir())
    # A copy changed after it was kept (its token endpoint moved to another host) is never answered from.
    run_cache.write(env, discovery.KIND, URL, dict(DOCUMENT, token_endpoint="https://evil.example/token"))
    assert discovery.cached(env, URL) is None


def test_without_the_runs_directory_nothing_is_kept_and_discovery_is_asked_as_usual(tmp_path):
    discovery.store({}, URL, json.dumps(DOCUMENT).encode())
    assert discovery.cached({}, URL) is None
    for env in ({}, {run_cache.RUN_CACHE_ENV: str(tmp_path / "gone")}):
        given = discovery.credential_transport(env, {"connection_verify": True})
        adapter = given["transport"].session.get_adapter("https://login.example/")
        # Only the shared trust store (tls.py): no copy to answer from.
        assert isinstance(adapter, tls.SharedTrustAdapter) and not isinstance(adapter, discovery.DiscoveryCacheAdapter)
        assert given["connection_verify"] is True
