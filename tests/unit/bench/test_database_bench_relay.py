# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""bench/database/run.py's relay: what it stands for (a server some round trip away) holds only if every byte arrives,
in order, and a round trip through it takes at least the round trip time it was given."""
from __future__ import annotations

import importlib.util
import socket
import sys
import threading
import time
from pathlib import Path

import pytest

RUN = Path(__file__).resolve().parents[3] / "bench" / "database" / "run.py"


@pytest.fixture(scope="module")
def bench():
    spec = importlib.util.spec_from_file_location("bench_database_run", RUN)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


@pytest.fixture()
def echo_server():
    """A loopback server that sends back whatever it receives, until the client closes."""
    listener = socket.create_server(("127.0.0.1", 0))

    def serve():
        conn, _address = listener.accept()
        with conn:
            while data := conn.recv(65536):
                conn.sendall(data)

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    yield listener.getsockname()[1]
    listener.close()


def test_every_byte_comes_back_in_order_one_round_trip_later(bench, echo_server):
    relay = bench.DelayRelay("127.0.0.1", echo_server, one_way=0.05)
    try:
        with socket.create_connection(("127.0.0.1", relay.port), timeout=10) as client:
            sent = b"".join(bytes([i % 251]) * 1000 for i in range(300))   # 300 kB in many chunks
            start = time.monotonic()
            client.sendall(sent)
            received = b""
            while len(received) < len(sent):
                received += client.recv(65536)
            elapsed = time.monotonic() - start
    finally:
        relay.close()
    assert received == sent
    assert elapsed >= 0.1   # held 0.05 s each way: never sooner than the round trip it stands for
