"""Channels that live in the hub process: options, configuration, routes and lifetime."""

from __future__ import annotations

import argparse
import asyncio
from collections.abc import AsyncIterator, Sequence
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from pathlib import Path

import httpx
import pytest
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from cloudping.channels.plug import Channel, ChannelContext, ChannelFactory, ChannelKind
from cloudping.edge import RoutePolicy
from cloudping.hub.server import HubServerSettings
from cloudping.serve.channels import add_channel_options, configure_channels
from cloudping.serve.http import ApiListen
from cloudping.serve.hub import public_url, serve
from cloudping.service import ApiSettings

WAIT = 10.0


class Echo:
    """A channel that answers ``GET /echo`` with the agents its command service knows and
    records when it runs."""

    def __init__(self, context: ChannelContext, greeting: str, log: list[str]) -> None:
        self.context, self.greeting, self.log = context, greeting, log

    def routes(self) -> Sequence[BaseRoute]:
        async def echo(_: Request) -> Response:
            agents = await self.context.service.agents()
            public_url = self.context.public_url
            return JSONResponse({"greeting": self.greeting, "agents": agents, "url": public_url})

        return [Route("/echo", echo), Route("/healthz", echo)]

    def policies(self) -> Sequence[tuple[str, RoutePolicy]]:
        return (("/echo", RoutePolicy(body_limit=10, media_types=("text/plain",))),)

    def running(self) -> AbstractAsyncContextManager[None]:
        @asynccontextmanager
        async def block() -> AsyncIterator[None]:
            self.log.append("started")
            yield
            self.log.append("stopped")

        return block()


def echo_kind(log: list[str]) -> ChannelKind:
    def add_options(p: argparse.ArgumentParser) -> None:
        p.add_argument("--echo-greeting")

    def configure(args: argparse.Namespace) -> ChannelFactory | None:
        if args.echo_greeting is None:
            return None
        if not args.echo_greeting:
            raise ValueError("--echo-greeting must not be empty")
        greeting: str = args.echo_greeting

        def build(context: ChannelContext) -> Channel:
            return Echo(context, greeting, log)

        return build

    return ChannelKind("echo", add_options, configure)


def test_a_channel_is_configured_only_when_its_options_are_given() -> None:
    kinds = (echo_kind([]),)
    p = argparse.ArgumentParser()
    add_channel_options(p, kinds)
    assert configure_channels(p.parse_args([]), kinds) == ()
    assert len(configure_channels(p.parse_args(["--echo-greeting", "hi"]), kinds)) == 1
    with pytest.raises(ValueError, match="--echo-greeting"):
        configure_channels(p.parse_args(["--echo-greeting", ""]), kinds)


def test_a_channel_runs_with_the_hub_and_its_routes_come_before_the_api(tmp_path: Path) -> None:
    log: list[str] = []
    kinds = (echo_kind(log),)
    p = argparse.ArgumentParser()
    add_channel_options(p, kinds)
    factories = configure_channels(p.parse_args(["--echo-greeting", "hello"]), kinds)

    async def scenario() -> None:
        stop, ready = asyncio.Event(), asyncio.Event()
        ports: list[int] = []

        def greeting(_: object, port: int | None) -> str:
            assert port is not None
            ports.append(port)
            ready.set()
            return ""

        api = ApiListen("127.0.0.1", 0, ApiSettings(), public_url="https://ping.example.net")
        settings = HubServerSettings(data_dir=tmp_path, agent_port=0)
        task = asyncio.create_task(
            serve(settings, stop=stop, api=api, greeting=greeting, channels=factories)
        )
        async with asyncio.timeout(WAIT):
            await ready.wait()
        assert log == ["started"]
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{ports[0]}") as client:
            echo = await client.get("/echo")
            too_big = await client.post(
                "/echo", content="x" * 11, headers={"content-type": "text/plain"}
            )
            shadowed = await client.get("/healthz")
            api_still = await client.post("/api/v1/measurements", json={"command": "ping x"})
        assert echo.json() == {"greeting": "hello", "agents": [], "url": "https://ping.example.net"}
        assert shadowed.json()["greeting"] == "hello"  # the channel's route wins
        assert too_big.status_code == 413  # the edge applies the channel's policy
        assert api_still.status_code == 401  # the API behind it is untouched
        stop.set()
        async with asyncio.timeout(WAIT):
            await task
        assert log == ["started", "stopped"]

    asyncio.run(scenario())


@pytest.mark.parametrize(
    ("given", "problem"),
    [
        ("ftp://x.example", "not an http"),
        ("https://", "not an http"),
        ("https://x.example/?a=1", "no query"),
    ],
)
def test_a_public_url_is_an_http_url_with_a_host_and_no_query(given: str, problem: str) -> None:
    with pytest.raises(argparse.ArgumentTypeError, match=problem):
        public_url(given)
    assert public_url("https://ping.example.net/") == "https://ping.example.net"
