"""The API's listening socket: connections accepted on it send small writes at once."""

from __future__ import annotations

import asyncio
import socket

from cloudping.serve.tcp import bind_tcp

WAIT_S = 10.0


def test_accepted_connections_have_nagle_off() -> None:
    # Each NDJSON event is a small write after the headers; with Nagle on it waits for the
    # client's delayed ACK (~40 ms). asyncio sets TCP_NODELAY only on sockets that say TCP.
    async def scenario() -> int:
        accepted: asyncio.Future[int] = asyncio.get_running_loop().create_future()

        async def on_connect(_: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            sock = writer.get_extra_info("socket")
            accepted.set_result(sock.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY))
            writer.close()

        listener = bind_tcp("127.0.0.1", 0)
        server = await asyncio.start_server(on_connect, sock=listener)
        async with server, asyncio.timeout(WAIT_S):
            port = listener.getsockname()[1]
            _, writer = await asyncio.open_connection("127.0.0.1", port)
            nodelay = await accepted
            writer.close()
            return nodelay

    assert asyncio.run(scenario()) == 1
