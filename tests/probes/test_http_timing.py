"""HTTP phase times come from the socket: the first response byte by the kernel's stamp.

A server thread on loopback (plain or TLS) answers only when told; the test then holds the
event loop busy well past the response's arrival. A time to first byte taken when httpx
parsed the headers would include the hold; the kernel's receive stamp does not. No absolute
time is asserted, only that the first byte is dated before the loop could have read it.
"""

from __future__ import annotations

import asyncio
import socket
import ssl
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

import pytest
import trustme

from cloudping.events import HttpTimings
from cloudping.probes.http.exchange import Exchange, Marks
from cloudping.probes.http.tcp import tcp_transport
from cloudping.probes.tls.trust import Trust

HOLD = 0.15  # how long the loop is held after the response left the server
WAIT = 5.0
RESPONSE = b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\nConnection: close\r\n\r\nhello"


@dataclass
class _Server:
    """Answers one request when ``go`` is set; says when it got it and when it answered."""

    tls: ssl.SSLContext | None
    received: threading.Event = field(default_factory=threading.Event)
    go: threading.Event = field(default_factory=threading.Event)
    answered: threading.Event = field(default_factory=threading.Event)

    def serve(self, listener: socket.socket) -> None:
        conn, _ = listener.accept()
        conn.settimeout(WAIT)
        if self.tls is not None:
            conn = self.tls.wrap_socket(conn, server_side=True)
        with conn:
            head = b""
            while b"\r\n\r\n" not in head:
                head += conn.recv(4096)
            self.received.set()
            if self.go.wait(WAIT):
                conn.sendall(RESPONSE)
                self.answered.set()


@contextmanager
def _serving(server: _Server) -> Iterator[int]:
    listener = socket.create_server(("127.0.0.1", 0))
    listener.settimeout(WAIT)
    thread = threading.Thread(target=server.serve, args=(listener,), daemon=True)
    thread.start()
    try:
        yield listener.getsockname()[1]
    finally:
        server.go.set()
        thread.join(WAIT)
        listener.close()


async def _held_fetch(server: _Server, url: str, trust: Trust) -> tuple[HttpTimings, float]:
    """A GET whose response waits in the socket for ``HOLD`` while the loop is busy.

    Returns the request's timings and the milliseconds from its start to the hold's end.
    """
    request = Exchange("GET", url, "127.0.0.1", (), None, 1000)
    async with tcp_transport(trust, "1.1") as transport:
        marks = Marks()
        task = asyncio.create_task(transport.exchange(request, marks))
        assert await asyncio.to_thread(server.received.wait, WAIT), "no request arrived"
        server.go.set()
        assert server.answered.wait(WAIT), "the server never answered"
        time.sleep(HOLD)  # the loop is busy: the response waits in the socket
        held_ms = (time.perf_counter() - marks.start) * 1000
        response = await asyncio.wait_for(task, WAIT)
    assert response.status == 200
    return marks.timings(), held_ms


@pytest.fixture(scope="module")
def ca() -> trustme.CA:
    return trustme.CA()


@pytest.mark.parametrize("scheme", ["http", "https"])
def test_the_first_byte_is_dated_when_the_kernel_received_it_not_when_httpx_read_it(
    ca: trustme.CA, scheme: str
) -> None:
    tls = None
    if scheme == "https":
        tls = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        ca.issue_cert("127.0.0.1").configure_cert(tls)
    server = _Server(tls)
    trust = Trust(ca_pem=ca.cert_pem.bytes().decode())
    with _serving(server) as port:
        url = f"{scheme}://127.0.0.1:{port}/"
        timings, held_ms = asyncio.run(_held_fetch(server, url, trust))
    assert timings.ttfb_ms is not None
    assert timings.connect_ms is not None
    assert (timings.tls_ms is not None) == (scheme == "https")
    assert timings.ttfb_ms < held_ms - HOLD * 1000 / 2
