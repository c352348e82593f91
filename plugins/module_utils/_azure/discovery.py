# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Entra ID's OpenID discovery document, read once per run. PRIVATE to the collection: no compatibility promise.

Before its first token, every azure-identity credential (through MSAL: ``msal.authority.tenant_discovery``) reads
its authority's ``<authority>/<tenant>/v2.0/.well-known/openid-configuration`` (``/.well-known/openid-configuration``
for ADFS) to learn where to ask for tokens. A task's worker builds a new credential, so every task read it again:
one more request and round trip to Entra ID per task. The document is public and names the tenant's endpoints;
here it is kept in the run's cache (run_cache.py) and later tasks of the run are answered from it.

Only a document read over a verified TLS connection, whose ``token_endpoint`` is HTTPS on the very host that was
asked, is kept or used: the token endpoint is where a client secret is sent, so a copy that points anywhere else
(damaged, or written by someone else) is never answered from; the request then goes to Entra ID as if there were
no copy. The credentials get
this through azure-core's documented ``transport`` option: a requests session whose HTTPS adapter answers such a
GET from the copy and sends everything else as requests' own adapter does (the SDK's retries stay its own).
"""

from __future__ import annotations

import io
import json
from urllib.parse import urlparse

from ansible_collections.complianceflow.infra.plugins.module_utils._azure import run_cache, tls

try:
    from urllib3.response import HTTPResponse
except ImportError:
    HTTPResponse = None  # pylint: disable=invalid-name

KIND = "openid-configuration"
_SUFFIX = "/.well-known/openid-configuration"


def is_discovery_url(url: str) -> bool:
    """Whether `url` asks for an OpenID discovery document (what MSAL reads before a token)."""
    parsed = urlparse(url)
    return parsed.scheme == "https" and parsed.path.endswith(_SUFFIX)


def usable(url: str, document) -> bool:
    """Whether `document` may answer a GET of `url`: its token endpoint is HTTPS on the host that was asked."""
    if not isinstance(document, dict) or not isinstance(document.get("token_endpoint"), str):
        return False
    asked, token = urlparse(url), urlparse(document["token_endpoint"])
    return token.scheme == "https" and bool(token.netloc) and token.netloc.lower() == asked.netloc.lower()


def cached(env, url: str) -> bytes | None:
    """The body to answer a GET of `url` with, from this run's copy; None when there is no usable one."""
    document = run_cache.read(env, KIND, url)
    return json.dumps(document).encode() if usable(url, document) else None


def store(env, url: str, body: bytes) -> None:
    """Keep Entra ID's answer to a GET of `url` for the run's later tasks, if it is a usable document."""
    try:
        document = json.loads(body)
    except ValueError:
        return
    if usable(url, document):
        run_cache.write(env, KIND, url, document)


class DiscoveryCacheAdapter(tls.SharedTrustAdapter):
    """The shared-trust adapter (tls.py), except that a GET of an OpenID discovery document is answered from the run's
    copy when an earlier task kept one, and its answer kept when not."""

    def __init__(self, env, **kwargs):
        super().__init__(**kwargs)
        self._env = env

    def send(self, request, stream=False, timeout=None, verify=True, cert=None, proxies=None):  # pylint: disable=too-many-arguments
        if request.method != "GET" or not is_discovery_url(request.url):
            return super().send(request, stream=stream, timeout=timeout, verify=verify, cert=cert, proxies=proxies)
        body = cached(self._env, request.url)
        if body is not None:
            # build_response is requests' documented way for an adapter to turn an answer into a Response.
            raw = HTTPResponse(body=io.BytesIO(body), headers={"Content-Type": "application/json; charset=utf-8"},
                               status=200, reason="OK", preload_content=False, decode_content=False)
            return self.build_response(request, raw)
        response = super().send(request, stream=stream, timeout=timeout, verify=verify, cert=cert, proxies=proxies)
        # Only what came over a verified connection is kept: a task with validate_certs=false may read it, never leave
        # a copy for the run's other tasks.
        if response.status_code == 200 and not stream and verify:
            store(self._env, request.url, response.content)
        return response


def credential_transport(env, transport: dict) -> dict:
    """`transport` (the settings) plus, for an azure-identity credential, an azure-core transport that shares the TLS
    trust store (tls.py) and reads the discovery document once per run where the run keeps a cache (not in a module
    run in a new Python); `transport` alone where requests is missing."""
    adapter = None
    if tls.HAS_REQUESTS and run_cache.available(env):
        adapter = DiscoveryCacheAdapter(env, max_retries=tls.no_retries())
    return tls.client_transport(transport, adapter)
