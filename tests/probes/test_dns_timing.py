"""DNS query times come from the packets: the kernel's receive stamp, not the event loop.

A server on loopback (a thread with a blocking socket) answers while the test holds the event
loop busy well past the answer's arrival. A time taken when the loop reads the answer would
include the hold; the kernel's stamp does not. Nothing here asserts an absolute time: only
that the reported query time ends before the loop could have seen the answer.
"""

from __future__ import annotations

import asyncio
import socket
import struct
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager

import dns.message
import dns.rrset
import pytest

from cloudping.probes.dns.query import make_query, question
from cloudping.probes.dns.transport import (
    DnsConnection,
    Exchange,
    StreamConnection,
    UdpConnection,
)

HOLD = 0.15  # how long the loop is held after the answer left the server
WAIT = 5.0
QUERIES = 2  # the first opens the connection; the second is timed under the hold


def _answer(wire: bytes) -> bytes:
    query = dns.message.from_wire(wire)
    response = dns.message.make_response(query)
    response.answer.append(dns.rrset.from_text("www.lab.", 300, "IN", "A", "198.18.3.2"))
    return response.to_wire()


@contextmanager
def _udp_server(answered: threading.Event) -> Iterator[int]:
    server = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    server.bind(("127.0.0.1", 0))
    server.settimeout(WAIT)

    def serve() -> None:
        for _ in range(QUERIES):
            wire, peer = server.recvfrom(4096)
            server.sendto(_answer(wire), peer)
        answered.set()

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    try:
        yield server.getsockname()[1]
    finally:
        thread.join(WAIT)
        server.close()


@contextmanager
def _tcp_server(answered: threading.Event) -> Iterator[int]:
    listener = socket.create_server(("127.0.0.1", 0))
    listener.settimeout(WAIT)

    def serve() -> None:
        conn, _ = listener.accept()
        with conn:
            conn.settimeout(WAIT)
            for _ in range(QUERIES):
                (size,) = struct.unpack("!H", conn.recv(2, socket.MSG_WAITALL))
                wire = _answer(conn.recv(size, socket.MSG_WAITALL))
                conn.sendall(struct.pack("!H", len(wire)) + wire)
            answered.set()
            conn.recv(1)  # until the client closes

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    try:
        yield listener.getsockname()[1]
    finally:
        thread.join(WAIT)
        listener.close()


async def _held_exchange(
    connection: DnsConnection, answered: threading.Event
) -> tuple[Exchange, float]:
    """A second exchange on a connection, the loop held from its send until ``HOLD`` after
    the answer left the server.

    Returns the exchange and the milliseconds from before the send to the end of the hold.
    """
    query = make_query(question("www.lab", "A"))
    await connection.exchange(query, WAIT)  # opens the connection
    started = time.perf_counter()
    task = asyncio.create_task(connection.exchange(query, WAIT))
    await asyncio.sleep(0)  # one step: the task sends, then waits on its socket
    assert answered.wait(WAIT), "the server never answered"
    time.sleep(HOLD)  # the loop is busy: the answer waits in the socket
    held_ms = (time.perf_counter() - started) * 1000
    try:
        return await asyncio.wait_for(task, WAIT), held_ms
    finally:
        await connection.aclose()


@pytest.mark.parametrize(
    ("server", "connect"),
    [
        (_udp_server, lambda port: UdpConnection("127.0.0.1", port)),
        (_tcp_server, lambda port: StreamConnection("127.0.0.1", port)),
    ],
    ids=["udp", "tcp"],
)
def test_the_query_time_ends_when_the_kernel_received_the_answer_not_when_the_loop_read_it(
    server: Callable[[threading.Event], AbstractContextManager[int]],
    connect: Callable[[int], DnsConnection],
) -> None:
    answered = threading.Event()
    with server(answered) as port:
        exchange, held_ms = asyncio.run(_held_exchange(connect(port), answered))
    assert exchange.response.answer[0].to_text() == "www.lab. 300 IN A 198.18.3.2"
    assert exchange.query_ms < held_ms - HOLD * 1000 / 2
