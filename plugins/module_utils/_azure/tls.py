# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""One TLS trust store per CA bundle and process, not one per connection. PRIVATE to the collection: no
compatibility promise.

requests hands urllib3 the CA bundle's path (certifi's, or ``REQUESTS_CA_BUNDLE``, or the ``ca_bundle`` option) and
urllib3 reads and parses the whole bundle into a new SSL context for every new connection (``load_verify_locations``):
15 to 70 ms of CPU for certifi's 140-odd certificates with OpenSSL 3. A task opens at least two (Entra ID and ARM; a
vault's too for secrets), so every task paid it again. Here the SDK's transports carry a requests adapter that gives
urllib3 one ready context per bundle instead, built once per process (the controller builds the run's before it
forks the workers: plugin_utils/in_process.py), and asks it for no bundle of its own.

The verification is urllib3's and OpenSSL's, unchanged: the shared context is made by urllib3's own
``create_urllib3_context`` with certificate and host name checks on, and holds only the bundle's certificates. It
serves only connections that verify against that very bundle: one with certificate checks off, or with a client
certificate, gets what requests gives it, never the shared one (urllib3 sets the verify mode of a context it is given,
so a shared context must only ever see one setting). A bundle is known by its path and its file's identity and
modification time, so a bundle changed during a run is read again. Where requests predates
``build_connection_pool_key_attributes`` (2.32.3) nothing changes: urllib3 reads the bundle per connection as before.
"""

from __future__ import annotations

import os
import ssl
import stat
import traceback

try:
    import requests
    from requests.adapters import DEFAULT_CA_BUNDLE_PATH, HTTPAdapter
    from urllib3.util.retry import Retry
    from urllib3.util.ssl_ import create_urllib3_context
    HAS_REQUESTS, REQUESTS_IMPORT_ERROR = True, None
except ImportError:
    HTTPAdapter = object  # pylint: disable=invalid-name
    HAS_REQUESTS, REQUESTS_IMPORT_ERROR = False, traceback.format_exc()

try:
    from azure.core.pipeline.policies import RetryPolicy
except ImportError:
    RetryPolicy = object  # pylint: disable=invalid-name

# (path, is a directory, device, inode, size, modification time) -> the context that trusts what it holds
_CONTEXTS: dict[tuple, ssl.SSLContext] = {}


def bundle_key(verify) -> tuple | None:
    """Which CA certificates a request with requests' `verify` trusts, as a key; None when it verifies nothing or the
    path cannot be read (requests then says so in its own words)."""
    if not verify or not HAS_REQUESTS:
        return None
    path = DEFAULT_CA_BUNDLE_PATH if verify is True else verify
    if not isinstance(path, str):
        return None
    try:
        found = os.stat(path)
    except OSError:
        return None
    return (path, stat.S_ISDIR(found.st_mode), found.st_dev, found.st_ino, found.st_size, found.st_mtime_ns)


def verified_context(key: tuple) -> ssl.SSLContext | None:
    """The context that verifies against the certificates `key` names, built the first time; None if they cannot be
    loaded (requests' own path then fails with its own message)."""
    if key not in _CONTEXTS:
        path, is_directory = key[0], key[1]
        context = create_urllib3_context(cert_reqs=ssl.CERT_REQUIRED)
        try:
            context.load_verify_locations(cafile=None if is_directory else path, capath=path if is_directory else None)
        except (OSError, ssl.SSLError, ValueError):
            return None
        _CONTEXTS[key] = context
    return _CONTEXTS[key]


def is_shared(context) -> bool:
    """Whether `context` is one of this process's shared trust stores."""
    return any(context is known for known in _CONTEXTS.values())


def warm(env) -> None:
    """Build the context a task with default settings uses, as requests picks its bundle (``REQUESTS_CA_BUNDLE``, then
    ``CURL_CA_BUNDLE``, then certifi's): done by the controller before it forks, so that no worker reads it again."""
    key = bundle_key(env.get("REQUESTS_CA_BUNDLE") or env.get("CURL_CA_BUNDLE") or True)
    if key is not None:
        verified_context(key)


class SharedTrustAdapter(HTTPAdapter):
    """requests' adapter, except that a connection verified against a CA bundle uses the process's one context for
    that bundle instead of reading the bundle again (build_connection_pool_key_attributes is requests' documented
    place for a custom SSLContext)."""

    def build_connection_pool_key_attributes(self, request, verify, cert=None):
        host_params, pool_kwargs = super().build_connection_pool_key_attributes(request, verify, cert)
        key = bundle_key(verify) if cert is None and pool_kwargs.get("cert_reqs") == "CERT_REQUIRED" else None
        context = verified_context(key) if key is not None else None
        if context is not None:
            pool_kwargs.pop("ca_certs", None)
            pool_kwargs.pop("ca_cert_dir", None)
            pool_kwargs["ssl_context"] = context
        return host_params, pool_kwargs

    def cert_verify(self, conn, url, verify, cert):
        super().cert_verify(conn, url, verify, cert)
        # requests names the bundle on the pool again here; the pool would hand it to each new connection, and urllib3
        # would load it into the shared context once more.
        if is_shared(getattr(conn, "conn_kw", {}).get("ssl_context")):
            if not verify:  # cannot happen (the pool is chosen by its verify setting); never serve it unchecked
                raise ValueError("a connection without certificate checks was given a shared trust store")
            conn.ca_certs = None
            conn.ca_cert_dir = None


def no_retries() -> Retry:
    """What azure-core sets on its own session's adapters: requests retries nothing (the pipeline's RetryPolicy
    retries)."""
    return Retry(total=False, redirect=False, raise_on_status=False)


def new_session(https_adapter=None):
    """A requests session set up as azure-core sets up its own, with `https_adapter` (a SharedTrustAdapter by default)
    for HTTPS."""
    session = requests.Session()
    session.mount("https://", https_adapter or SharedTrustAdapter(max_retries=no_retries()))
    session.mount("http://", HTTPAdapter(max_retries=no_retries()))
    return session


def client_transport(settings: dict, https_adapter=None) -> dict:
    """`settings` (connection_verify, timeouts) plus an azure-core transport whose HTTPS connections share the trust
    store, for an SDK client's keyword arguments; `settings` alone where requests is missing."""
    if not HAS_REQUESTS:
        return settings
    from azure.core.pipeline.transport import RequestsTransport  # pylint: disable=import-outside-toplevel

    return dict(settings, transport=RequestsTransport(session=new_session(https_adapter), session_owner=True, **settings))


def refused_certificate(error: BaseException) -> ssl.SSLCertVerificationError | None:
    """The certificate check that failed behind `error` (an azure-core error, as its transport raised it): an untrusted
    issuer, a host name the certificate does not name, an expired one; None for any other error."""
    seen, pending = set(), [error]
    while pending and len(seen) < 20:
        current = pending.pop()
        if id(current) in seen:
            continue
        seen.add(id(current))
        if isinstance(current, ssl.SSLCertVerificationError):
            return current
        # azure-core keeps the transport's error as inner_exception, requests and urllib3 theirs in args or reason.
        linked = (getattr(current, "inner_exception", None), getattr(current, "reason", None), current.__cause__,
                  current.__context__, *getattr(current, "args", ()))
        pending += [each for each in linked if isinstance(each, BaseException)]
    return None


class CertificateCheckedRetryPolicy(RetryPolicy):
    """azure-core's RetryPolicy, except that a refused server certificate fails at once. The same bundle and the same
    certificate give the same answer on every try, and azure-core counts it as a connection error (ServiceRequestError):
    with the collection's retry settings a wrong CA bundle cost a minute of back-off before its error."""

    def increment(self, settings, response=None, error=None):
        if error is not None and refused_certificate(error) is not None:
            return False
        return super().increment(settings, response=response, error=error)
