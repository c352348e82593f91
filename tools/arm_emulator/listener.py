"""One port, two protocols.

- TLS (the first byte is a handshake record): HTTPS for ARM, identity and the data planes.
- Plain HTTP, CONNECT only: an HTTPS proxy, so a client can reach the hostnames the emulator
  serves even where DNS cannot resolve them (`<vault>.vault.localhost` on a machine without
  *.localhost resolution). Set HTTPS_PROXY=http://127.0.0.1:<port> and NO_PROXY=127.0.0.1; the
  tunnel is answered by the emulator itself, never forwarded anywhere.
"""
from __future__ import annotations

import socket
import ssl
import time
import uuid
from http.server import ThreadingHTTPServer
from pathlib import Path
from typing import Any

from . import blob_dataplane, keyvault_dataplane
from .certs import ensure_certificates
from .server import App, Handler

LOOPBACK_NAMES = ("127.0.0.1", "localhost", "::1", "[::1]")


class EmulatorServer(ThreadingHTTPServer):
    """Peeks at each connection: TLS goes to the HTTPS handler, anything else must be CONNECT."""

    daemon_threads = True

    def __init__(self, address: tuple[str, int], handler: type, tls: ssl.SSLContext) -> None:
        super().__init__(address, handler)
        self.tls = tls

    def serves(self, host: str, port: str) -> bool:
        """Whether a CONNECT target is this emulator: loopback or a *.localhost name, on this port."""
        host = host.strip("[]").lower()
        return port == str(self.server_address[1]) and (host in LOOPBACK_NAMES or host.endswith(".localhost"))

    def finish_request(self, request: Any, client_address: Any) -> None:
        request.settimeout(60)  # a silent client must not pin a thread forever
        # A response goes out as headers then body (two writes): without TCP_NODELAY, Nagle's algorithm holds the body
        # until the client's delayed ACK, 40 ms on Linux, for every request.
        request.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        try:
            first = request.recv(1, socket.MSG_PEEK)
            if first == b"\x16":
                request = self.tls.wrap_socket(request, server_side=True)
        except (OSError, ssl.SSLError):
            return
        try:
            self.RequestHandlerClass(request, client_address, self)
        finally:
            request.close()


class ProxyingHandler(Handler):
    """The HTTPS handler, plus CONNECT (tunnels into this same server) on the plain side."""

    def parse_request(self) -> bool:
        if not super().parse_request():
            return False
        if not isinstance(self.connection, ssl.SSLSocket) and self.command != "CONNECT":
            self.send_error(400, "Plain HTTP is only for CONNECT (HTTPS proxy); use https://")
            return False
        return True

    def do_CONNECT(self) -> None:  # pylint: disable=invalid-name  # http.server's naming
        host, port = self.path.rpartition(":")[::2]
        allowed = not isinstance(self.connection, ssl.SSLSocket) and self.server.serves(host, port)  # type: ignore[attr-defined]
        # A vault name resolves only while the vault lives, and only `access.dns_delay` seconds after its creation.
        unresolved = allowed and keyvault_dataplane.is_vault_host(host) and not keyvault_dataplane.resolvable(self.app, host)
        # An account's blob endpoint resolves only while the account exists.
        unresolved = unresolved or (allowed and blob_dataplane.is_blob_host(host) and not blob_dataplane.resolvable(self.app, host))
        status = 502 if unresolved else 200 if allowed else 403
        self.app.state.log_request({"time": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()), "method": "CONNECT",
                                    "path": self.path, "api_version": "", "status": status,
                                    "request_id": str(uuid.uuid4()), "operation": "proxy/connect"})
        if not allowed:
            self.send_error(403, f"The ARM emulator tunnels only to the names it serves (loopback or *.localhost "
                                 f"on port {self.server.server_address[1]}), not {self.path}")
            return
        if unresolved:
            self.send_error(502, f"{host} does not resolve (no such vault or storage account, or its DNS name is not published yet)")
            return
        self.send_response(200, "Connection Established")
        self.end_headers()
        self.wfile.flush()
        self.close_connection = True
        try:
            tunnel = self.server.tls.wrap_socket(self.connection, server_side=True)  # type: ignore[attr-defined]
        except (OSError, ssl.SSLError):
            return
        try:
            self.server.RequestHandlerClass(tunnel, self.client_address, self.server)
        finally:
            tunnel.close()


def make_listener(state_dir: Path, config_data: dict, host: str, port: int) -> tuple[EmulatorServer, App]:
    cert_path, key_path = ensure_certificates(state_dir)[1:]
    app = App(state_dir, config_data)
    tls = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    tls.minimum_version = ssl.TLSVersion.TLSv1_2
    tls.load_cert_chain(str(cert_path), str(key_path))
    handler = type("BoundHandler", (ProxyingHandler,), {"app": app})
    return EmulatorServer((host, port), handler, tls), app
