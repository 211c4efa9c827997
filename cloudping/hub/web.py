"""The HTTP API served next to the hub with uvicorn, inside the :class:`HubServer` block.

The TCP socket is bound before uvicorn starts, so a taken port fails at once and the address
is known (and already accepting into its backlog) when the welcome text is printed. uvicorn's
own signal handling is switched off: the caller owns SIGINT/SIGTERM and stops the server by
leaving the block, which lets open streams finish their shutdown path.
"""

from __future__ import annotations

import asyncio
import contextlib
import socket
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from dataclasses import dataclass

import uvicorn

from cloudping.channels.api import ApiSettings, app
from cloudping.hub.server import HubServer

SHUTDOWN_TIMEOUT_S = 5


@dataclass(frozen=True, slots=True)
class ApiListen:
    """Where the API listens and how it treats callers."""

    host: str
    port: int
    settings: ApiSettings


class _Server(uvicorn.Server):
    """uvicorn without its signal handlers (the hub process installs its own)."""

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        yield


def bind_tcp(host: str, port: int) -> socket.socket:
    """A listening TCP socket on ``host:port`` (``OSError`` when taken)."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((host, port))
        sock.listen(128)
        sock.setblocking(False)
    except OSError:
        sock.close()
        raise
    return sock


@asynccontextmanager
async def serve_api(server: HubServer, listen: ApiListen) -> AsyncIterator[int]:
    """Serve the API of ``server`` on ``listen`` until the block ends; yields the bound port."""
    application = app(server.hub, server.store, server.tokens, listen.settings)
    config = uvicorn.Config(
        application,
        log_level="warning",
        lifespan="on",
        timeout_graceful_shutdown=SHUTDOWN_TIMEOUT_S,
    )
    web = _Server(config)
    sock = bind_tcp(listen.host, listen.port)
    task = asyncio.create_task(web.serve(sockets=[sock]))
    try:
        yield sock.getsockname()[1]
    finally:
        # Running streams end with their `end` first, so that uvicorn's graceful shutdown
        # (waiting for open connections) finds them finishing rather than cuts them off.
        server.hub.cancel_all("the hub is shutting down")
        web.should_exit = True
        await task
        sock.close()
