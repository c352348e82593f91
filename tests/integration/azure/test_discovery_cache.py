"""Entra ID's OpenID discovery document read once per run (module_utils/_azure/discovery.py): the real azure-identity
credential against the emulator's Entra ID, through the transport the modules give it."""
from __future__ import annotations

import json
from urllib.parse import urlparse

import pytest
from azure.identity import ClientSecretCredential

from ansible_collections.complianceflow.infra.plugins.module_utils._azure import discovery, run_cache


def _credential(emu, env, verify=None):
    verify = emu.ca if verify is None else verify
    return ClientSecretCredential(emu.tenant_id, emu.client_id, emu.client_secret, authority=emu.url,
                                  disable_instance_discovery=True, **discovery.credential_transport(env, {"connection_verify": verify}))


def _asked(emu, since, operation):
    return [r for r in emu.requests(since) if r.get("operation") == operation]


def test_the_second_credential_of_a_run_gets_its_token_without_asking_for_the_document(emu, tmp_path):
    env = {run_cache.RUN_CACHE_ENV: str(tmp_path)}
    since = emu.request_count()
    first = _credential(emu, env).get_token(emu.url + "/.default")
    second = _credential(emu, env).get_token(emu.url + "/.default")
    assert first.token and second.token
    assert len(_asked(emu, since, "oidc/openid-configuration")) == 1
    assert len(_asked(emu, since, "oauth2/token")) == 2          # each credential still asks for its own token


def test_a_copy_that_sends_the_secret_elsewhere_is_never_used(emu, tmp_path):
    """A kept copy whose token endpoint is on another host is ignored: the document is asked for again, the token
    comes from the emulator, and the copy is replaced by what the emulator answered."""
    env = {run_cache.RUN_CACHE_ENV: str(tmp_path)}
    url = f"{emu.url}/{emu.tenant_id}/v2.0/.well-known/openid-configuration"
    run_cache.write(env, discovery.KIND, url, {"token_endpoint": "https://127.0.0.2:9/steal/oauth2/v2.0/token",
                                               "authorization_endpoint": "https://127.0.0.2:9/steal/oauth2/v2.0/authorize"})
    since = emu.request_count()
    assert _credential(emu, env).get_token(emu.url + "/.default").token
    assert len(_asked(emu, since, "oidc/openid-configuration")) == 1
    assert len(_asked(emu, since, "oauth2/token")) == 1
    kept = run_cache.read(env, discovery.KIND, url)
    assert urlparse(kept["token_endpoint"]).netloc == urlparse(emu.url).netloc, json.dumps(kept)


@pytest.mark.filterwarnings("ignore::urllib3.exceptions.InsecureRequestWarning")   # the point of this test
def test_a_document_read_without_certificate_checks_is_not_kept(emu, tmp_path):
    """validate_certs=false (connection_verify False): that task may use what it read, the run's other tasks do not."""
    env = {run_cache.RUN_CACHE_ENV: str(tmp_path)}
    since = emu.request_count()
    assert _credential(emu, env, verify=False).get_token(emu.url + "/.default").token
    assert not list(tmp_path.iterdir())
    assert _credential(emu, env).get_token(emu.url + "/.default").token
    assert len(_asked(emu, since, "oidc/openid-configuration")) == 2
