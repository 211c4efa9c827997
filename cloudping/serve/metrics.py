"""``--metrics-listen HOST:PORT`` (hub, agent, up): ``GET /metrics`` without a token on an
address of its own, for a scraper on a network only it reaches (the API's ``/metrics``
wants an admin token instead)."""

from __future__ import annotations

import argparse
import asyncio
import socket
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from cloudping.metrics import Scrape


def add_metrics_option(p: argparse.ArgumentParser) -> None:
    """``--metrics-listen`` on a process's parser."""
    p.add_argument(
        "--metrics-listen",
        metavar="HOST:PORT",
        help="serve Prometheus metrics at http://HOST:PORT/metrics without a token "
        "(bind it where only the scraper reaches)",
    )


@asynccontextmanager
async def serve_metrics(sock: socket.socket, scrape: Scrape) -> AsyncIterator[int]:
    """Serve ``/metrics`` on ``sock`` until the block ends (then it is closed); yields the
    bound port.

    The caller binds the socket (:func:`~cloudping.serve.tcp.bind_tcp`) before anything
    else starts, so a taken port is one plain error, not one of a task group's.
    """
    # Here, not at the top: an agent without --metrics-listen loads neither prometheus_client
    # nor the web server (its start-up stays as it was).
    import uvicorn  # noqa: PLC0415
    from starlette.applications import Starlette  # noqa: PLC0415

    from cloudping.metrics import metrics_route  # noqa: PLC0415
    from cloudping.serve.quiet import SHUTDOWN_TIMEOUT_S, QuietServer  # noqa: PLC0415

    app = Starlette(routes=[metrics_route(scrape)])
    config = uvicorn.Config(
        app, log_level="warning", lifespan="off", timeout_graceful_shutdown=SHUTDOWN_TIMEOUT_S
    )
    server = QuietServer(config)
    task = asyncio.create_task(server.serve(sockets=[sock]))
    try:
        yield sock.getsockname()[1]
    finally:
        server.should_exit = True
        await task
        sock.close()
