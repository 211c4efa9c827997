"""``--metrics-listen HOST:PORT`` (hub, agent, up): ``GET /metrics`` without a token on an
address of its own, for a scraper on a network only it reaches (the API's ``/metrics``
wants an admin token instead)."""

from __future__ import annotations

import argparse
import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import uvicorn
from starlette.applications import Starlette

from cloudping.metrics import Scrape, metrics_route
from cloudping.serve.tcp import SHUTDOWN_TIMEOUT_S, QuietServer, bind_tcp


def add_metrics_option(p: argparse.ArgumentParser) -> None:
    """``--metrics-listen`` on a process's parser."""
    p.add_argument(
        "--metrics-listen",
        metavar="HOST:PORT",
        help="serve Prometheus metrics at http://HOST:PORT/metrics without a token "
        "(bind it where only the scraper reaches)",
    )


@asynccontextmanager
async def serve_metrics(host: str, port: int, scrape: Scrape) -> AsyncIterator[int]:
    """Serve ``/metrics`` on ``host:port`` until the block ends; yields the bound port.

    Raises:
        ListenError: the address cannot be bound.
    """
    sock = bind_tcp(host, port)
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
