"""The upload of a trail (plugins/plugin_utils/audit_ship.py) against a local HTTP server standing in for the Blob
service: the request it sends (method, headers of Put Blob, body) and how it reads the answers. Azure itself is not
reached here; docs/audit-trail.md says what stays unverified."""
from __future__ import annotations

import http.server
import threading

import pytest

from ansible_collections.complianceflow.infra.plugins.plugin_utils import audit_ship

AWX_ENV = {"AZURE_CLIENT_ID": "c", "AZURE_SECRET": "s", "AZURE_TENANT": "t", "AZURE_SUBSCRIPTION_ID": "0000"}


class FakeCredential:
    def get_token(self, scope):
        assert scope == "https://storage.azure.com/.default"
        return type("Token", (), {"token": "T0KEN"})()


@pytest.fixture
def blob_service(monkeypatch):
    seen, answer = [], {"status": 201}

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_PUT(self):  # pylint: disable=invalid-name
            body = self.rfile.read(int(self.headers["Content-Length"]))
            seen.append((self.path, self.headers, body))   # case-insensitive, as HTTP headers are
            self.send_response(answer["status"])
            self.send_header("x-ms-error-code", "BlobAlreadyExists" if answer["status"] == 409 else "ContainerNotFound")
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *args):
            pass

    server = http.server.HTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    monkeypatch.setattr(audit_ship, "build_credential", lambda plan, cloud, transport: FakeCredential())
    yield f"http://127.0.0.1:{server.server_port}", seen, answer
    server.shutdown()


def test_put_blob_request_and_answers(blob_service):
    base, seen, answer = blob_service
    url = f"{base}/audit/westeu-dev-1/run.jsonl"
    assert audit_ship.put_block_blob(url, b'{"a": 1}\n', env=AWX_ENV) == "created"
    path, headers, body = seen[0]
    assert path == "/audit/westeu-dev-1/run.jsonl" and body == b'{"a": 1}\n'
    assert headers["Authorization"] == "Bearer T0KEN" and headers["x-ms-blob-type"] == "BlockBlob"
    assert headers["If-None-Match"] == "*" and headers["x-ms-version"] and headers["x-ms-date"].endswith("GMT")
    answer["status"] = 404
    assert audit_ship.put_block_blob(url, b"x", env=AWX_ENV) == "missing"
    answer["status"] = 409
    assert audit_ship.put_block_blob(url, b"x", env=AWX_ENV) == "exists"
    answer["status"] = 403
    with pytest.raises(RuntimeError, match="HTTP 403"):
        audit_ship.put_block_blob(url, b"x", env=AWX_ENV)
