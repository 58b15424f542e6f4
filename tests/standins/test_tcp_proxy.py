"""The cuttable proxy behind the store-outage tests and bench: it relays, drops every open
connection when cut, refuses new ones while cut, and relays again once restored."""

from __future__ import annotations

import socket
import socketserver
import threading
from collections.abc import Iterator

import pytest

from standins.tcp_proxy import CuttableProxy


class Echo(socketserver.BaseRequestHandler):
    def handle(self) -> None:
        while data := self.request.recv(1024):
            self.request.sendall(data)


@pytest.fixture
def proxy() -> Iterator[CuttableProxy]:
    server = socketserver.ThreadingTCPServer(("127.0.0.1", 0), Echo)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    with CuttableProxy("127.0.0.1", server.server_address[1]) as running:
        yield running
    server.shutdown()
    server.server_close()


def echo(sock: socket.socket, data: bytes) -> bytes:
    sock.sendall(data)
    return sock.recv(1024)


def test_a_cut_drops_open_connections_and_refuses_new_ones_until_restored(
    proxy: CuttableProxy,
) -> None:
    before = socket.create_connection(("127.0.0.1", proxy.port), timeout=5)
    assert echo(before, b"ping") == b"ping"
    proxy.cut()
    assert before.recv(1024) == b""  # closed under the client, as a store going away does
    during = socket.create_connection(("127.0.0.1", proxy.port), timeout=5)
    assert during.recv(1024) == b""
    assert proxy.refused == 1
    proxy.restore()
    after = socket.create_connection(("127.0.0.1", proxy.port), timeout=5)
    assert echo(after, b"pong") == b"pong"
    for sock in (before, during, after):
        sock.close()
