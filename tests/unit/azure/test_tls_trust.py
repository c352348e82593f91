"""One TLS trust store per CA bundle (module_utils/_azure/tls.py): requests and azure-core against real HTTPS servers on
loopback, each with a certificate from its own throwaway CA. What must hold: each bundle is read once per process, and
verification refuses exactly what it refused before (another CA, another host name), whatever the order."""
from __future__ import annotations

import http.server
import socket
import ssl
import threading
from contextlib import contextmanager

import pytest
import requests
from azure.core import PipelineClient
from azure.core.exceptions import ServiceRequestError, ServiceResponseError
from azure.core.pipeline.policies import RetryPolicy
from azure.core.rest import HttpRequest

from ansible_collections.complianceflow.infra.plugins.module_utils._azure import tls
from ansible_collections.complianceflow.infra.plugins.module_utils._azure.errors import describe_azure_error
from ansible_collections.complianceflow.infra.plugins.module_utils._azure.key_vault import wait_for_vault_uri
from tools.arm_emulator.certs import ensure_certificates


class _Ok(http.server.BaseHTTPRequestHandler):
    def do_GET(self):  # noqa: N802 - http.server's name
        self.send_response(200)
        self.send_header("Content-Type", "text/plain")
        self.send_header("Content-Length", "2")
        self.end_headers()
        self.wfile.write(b"ok")

    def log_message(self, *args):  # quiet
        pass


class _CountingServer(http.server.ThreadingHTTPServer):
    """Counts the connections it accepts (a TLS handshake the client refuses still counts one)."""
    accepted = 0

    def get_request(self):
        type(self).accepted += 1
        return super().get_request()


@contextmanager
def _https_server(cert_dir, host="127.0.0.1", counter=None):
    """An HTTPS server on `host` with the certificate of the CA in `cert_dir` (valid for localhost and 127.0.0.1)."""
    _ca, cert, key = ensure_certificates(cert_dir)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    server = (counter or http.server.ThreadingHTTPServer)((host, 0), _Ok)
    server.socket = context.wrap_socket(server.socket, server_side=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"https://{host}:{server.server_address[1]}/"
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture(name="cas")
def fixture_cas(tmp_path, monkeypatch):
    """Two CAs (a, b), each with its bundle file; a clean set of shared contexts; bundle loads counted."""
    monkeypatch.setattr(tls, "_CONTEXTS", {})
    loads = []
    original = ssl.SSLContext.load_verify_locations

    def counted(self, *args, **kwargs):
        loads.append(args or kwargs)
        return original(self, *args, **kwargs)

    monkeypatch.setattr(ssl.SSLContext, "load_verify_locations", counted)
    found = {name: ensure_certificates(tmp_path / name)[0] for name in ("a", "b")}
    return {"a": tmp_path / "a", "b": tmp_path / "b", "bundle_a": str(found["a"]), "bundle_b": str(found["b"]),
            "loads": loads}


def _get(url, verify):
    """A GET on a new session, as each task's SDK client has its own: a new connection every time."""
    with tls.new_session() as session:
        return session.get(url, verify=verify, timeout=10)


def test_a_bundle_is_read_once_for_many_connections(cas):
    with _https_server(cas["a"]) as url:
        for _connection in range(4):
            assert _get(url, cas["bundle_a"]).text == "ok"
        assert len(cas["loads"]) == 1
        # requests' own adapter, for comparison: once per connection.
        for _connection in range(2):
            with requests.Session() as plain:
                assert plain.get(url, verify=cas["bundle_a"], timeout=10).status_code == 200
        assert len(cas["loads"]) == 3


def test_a_certificate_from_another_ca_is_refused_before_and_after_a_trusted_one(cas):
    with _https_server(cas["a"]) as trusted, _https_server(cas["b"]) as untrusted:
        with pytest.raises(requests.exceptions.SSLError, match="CERTIFICATE_VERIFY_FAILED"):
            _get(untrusted, cas["bundle_a"])
        assert _get(trusted, cas["bundle_a"]).status_code == 200
        with pytest.raises(requests.exceptions.SSLError, match="CERTIFICATE_VERIFY_FAILED"):
            _get(untrusted, cas["bundle_a"])


def test_a_host_name_the_certificate_does_not_name_is_refused(cas):
    # 127.0.0.2 is loopback too, but not among the certificate's names (localhost, 127.0.0.1, ::1).
    with _https_server(cas["a"]) as named, _https_server(cas["a"], host="127.0.0.2") as unnamed:
        assert _get(named, cas["bundle_a"]).status_code == 200
        with pytest.raises(requests.exceptions.SSLError, match="match|mismatch"):
            _get(unnamed, cas["bundle_a"])


def test_a_connection_without_checks_leaves_the_shared_store_as_it_was(cas):
    with _https_server(cas["b"]) as url:
        with pytest.raises(requests.exceptions.SSLError):
            _get(url, cas["bundle_a"])
        assert _get(url, False).text == "ok"           # validate_certs: false still connects
        with pytest.raises(requests.exceptions.SSLError, match="CERTIFICATE_VERIFY_FAILED"):
            _get(url, cas["bundle_a"])
    shared = list(tls._CONTEXTS.values())  # pylint: disable=protected-access
    assert len(shared) == 1 and shared[0].verify_mode == ssl.CERT_REQUIRED and shared[0].check_hostname


def test_a_bundle_changed_during_the_run_is_read_again(cas, tmp_path):
    bundle = tmp_path / "bundle.pem"
    bundle.write_bytes(open(cas["bundle_b"], "rb").read())
    with _https_server(cas["a"]) as url:
        with pytest.raises(requests.exceptions.SSLError):
            _get(url, str(bundle))
        bundle.write_bytes(open(cas["bundle_b"], "rb").read() + open(cas["bundle_a"], "rb").read())
        assert _get(url, str(bundle)).status_code == 200


def test_the_default_bundle_comes_from_the_environment_and_is_read_before_the_fork(cas, monkeypatch):
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", cas["bundle_a"])
    tls.warm({"REQUESTS_CA_BUNDLE": cas["bundle_a"]})      # what the controller does before it forks the workers
    assert len(cas["loads"]) == 1
    with _https_server(cas["a"]) as trusted, _https_server(cas["b"]) as untrusted:
        assert _get(trusted, True).status_code == 200
        with pytest.raises(requests.exceptions.SSLError):
            _get(untrusted, True)
    assert len(cas["loads"]) == 1


def test_a_client_certificate_never_gets_the_shared_store(cas):
    # urllib3 would load the client's certificate into the context it is given: that must not be a shared one.
    adapter = tls.SharedTrustAdapter()
    request = requests.Request("GET", "https://127.0.0.1:1/").prepare()
    _params, with_cert = adapter.build_connection_pool_key_attributes(request, cas["bundle_a"], cert="client.pem")
    _params, without = adapter.build_connection_pool_key_attributes(request, cas["bundle_a"])
    assert "ssl_context" not in with_cert and with_cert["ca_certs"] == cas["bundle_a"]
    assert tls.is_shared(without["ssl_context"]) and "ca_certs" not in without


def test_the_sdk_transport_verifies_with_the_shared_store(cas):
    with _https_server(cas["a"]) as trusted, _https_server(cas["b"]) as untrusted:
        for url in (trusted, trusted):
            client = PipelineClient(url, **tls.client_transport({"connection_verify": cas["bundle_a"]}))
            with client:
                assert client.send_request(HttpRequest("GET", url)).status_code == 200
        client = PipelineClient(untrusted, **tls.client_transport({"connection_verify": cas["bundle_a"]}))
        with client, pytest.raises(ServiceRequestError, match="CERTIFICATE_VERIFY_FAILED"):
            client.send_request(HttpRequest("GET", untrusted))
    assert len(cas["loads"]) == 1


def _attempts(cas, policy) -> int:
    """How many connections one GET to a server of another CA makes under `policy`, before its error."""
    counter = type("Counter", (_CountingServer,), {"accepted": 0})
    with _https_server(cas["b"], counter=counter) as url:
        client = PipelineClient(url, policies=[policy], **tls.client_transport({"connection_verify": cas["bundle_a"]}))
        with client, pytest.raises(ServiceRequestError, match="CERTIFICATE_VERIFY_FAILED"):
            client.send_request(HttpRequest("GET", url))
    return counter.accepted


def test_a_refused_certificate_is_not_retried(cas):
    # No back-off between tries here (factor 0): the count is what matters.
    assert _attempts(cas, tls.CertificateCheckedRetryPolicy(retry_connect=3, retry_backoff_factor=0)) == 1
    assert _attempts(cas, RetryPolicy(retry_connect=3, retry_backoff_factor=0)) == 4      # azure-core's own: 1 + 3


def test_another_connection_error_is_still_retried():
    """A server that closes every connection at once: the policy retries it as azure-core's does."""
    accepted = []
    listener = socket.create_server(("127.0.0.1", 0))

    def close_each():
        while True:
            try:
                conn, _addr = listener.accept()
            except OSError:
                return
            accepted.append(1)
            conn.close()

    threading.Thread(target=close_each, daemon=True).start()
    url = f"https://127.0.0.1:{listener.getsockname()[1]}/"
    policy = tls.CertificateCheckedRetryPolicy(retry_total=2, retry_connect=2, retry_read=2, retry_backoff_factor=0)
    client = PipelineClient(url, policies=[policy], **tls.client_transport({"connection_verify": True}))
    try:
        with client, pytest.raises((ServiceRequestError, ServiceResponseError)):
            client.send_request(HttpRequest("GET", url))
    finally:
        listener.close()
    assert len(accepted) == 3


def _sdk_error(url, bundle):
    client = PipelineClient(url, policies=[tls.CertificateCheckedRetryPolicy(retry_backoff_factor=0)],
                            **tls.client_transport({"connection_verify": bundle}))
    with client, pytest.raises(ServiceRequestError) as raised:
        client.send_request(HttpRequest("GET", url))
    return raised.value


def test_the_message_says_which_check_failed_and_what_to_do(cas):
    with _https_server(cas["b"]) as untrusted, _https_server(cas["a"], host="127.0.0.2") as unnamed:
        untrusted_msg = describe_azure_error(_sdk_error(untrusted, cas["bundle_a"]), "read the group")["msg"]
        unnamed_msg = describe_azure_error(_sdk_error(unnamed, cas["bundle_a"]), "read the group")["msg"]
    assert untrusted_msg.startswith("read the group failed: could not reach Azure: [SSL: CERTIFICATE_VERIFY_FAILED]")
    assert "set the ca_bundle option (or REQUESTS_CA_BUNDLE) to that CA's PEM file" in untrusted_msg
    assert "IP address mismatch" in unnamed_msg and "does not name the host asked" in unnamed_msg
    assert "ca_bundle" not in unnamed_msg


def test_a_pool_with_the_shared_store_is_never_used_unchecked(cas):
    adapter = tls.SharedTrustAdapter()
    request = requests.Request("GET", "https://127.0.0.1:1/").prepare()
    host, pool_kwargs = adapter.build_connection_pool_key_attributes(request, cas["bundle_a"])
    pool = adapter.poolmanager.connection_from_host(**host, pool_kwargs=pool_kwargs)
    adapter.cert_verify(pool, request.url, cas["bundle_a"], None)
    assert pool.ca_certs is None and tls.is_shared(pool.conn_kw["ssl_context"])
    with pytest.raises(ValueError, match="without certificate checks"):
        adapter.cert_verify(pool, request.url, False, None)


class _Module:
    """What wait_for_vault_uri asks of the module: its transport (here: trusting CA a only)."""

    def __init__(self, bundle):
        self.bundle = bundle

    def client_transport(self):
        return tls.client_transport({"connection_verify": self.bundle})


def test_a_vault_whose_certificate_is_refused_is_not_waited_for(cas):
    """A new vault's URI is awaited until it answers (its DNS name may not be published yet), but a certificate that
    does not verify fails the first try: waiting would not change it."""
    with _https_server(cas["b"]) as untrusted:
        with pytest.raises(ServiceRequestError, match="CERTIFICATE_VERIFY_FAILED"):
            wait_for_vault_uri(_Module(cas["bundle_a"]), untrusted, deadline=float("inf"), sleep=pytest.fail)
    with _https_server(cas["a"]) as trusted:
        assert wait_for_vault_uri(_Module(cas["bundle_a"]), trusted, deadline=float("inf"), sleep=lambda _s: None)
    # A name that does not answer yet is still waited for, until the deadline.
    closed = socket.create_server(("127.0.0.1", 0))
    port = closed.getsockname()[1]
    closed.close()
    clock = iter(range(100))
    assert not wait_for_vault_uri(_Module(cas["bundle_a"]), f"https://127.0.0.1:{port}/", deadline=3,
                                  sleep=lambda _s: None, clock=lambda: next(clock))
