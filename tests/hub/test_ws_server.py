"""The hub process with its WebSocket listener on 127.0.0.1, and agents that dial
``wss://127.0.0.1:PORT/agent`` exactly as ``cloudping agent --hub wss://...`` does (its own
settings and dialler), with tokens signed by the hub's key.

The same door as over QUIC: hello and token checks, one registry (a name live over QUIC is
refused over WebSocket), real pings to 127.0.0.1, ``agent_lost`` when the connection drops, a
cancel that resets the job's stream. Every wait is bounded and waits for something to happen.
"""

from __future__ import annotations

import asyncio
import dataclasses
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import pytest

from cloudping.agent import cli as agent_cli
from cloudping.agent.connect import HubSession, OnEvent, connect_once
from cloudping.agent.runtime import Agent
from cloudping.commands import parse
from cloudping.hub import cli as hub_cli
from cloudping.hub.server import HubServer, HubServerSettings
from cloudping.probes.env import ProbeEnv
from cloudping.wire import HubRefusedError, HubUntrustedError
from cloudping.wire.link import StreamLink
from cloudping.wire.streams import AppError, StreamInput, StreamReset
from cloudping.wire.trust import HubTrust
from cloudping.wire.ws import WsHubConnection, dial_hub_ws, parse_hub_url

from .test_server import (
    LONG_PING,
    SERVING_LOOPBACK,
    SHORT_PING,
    WAIT,
    Dialler,
    Stream,
    as_json,
    hello,
    run,
    running_agent,
    settings,
    token,
)


def ws_settings(data_dir: Path) -> HubServerSettings:
    """test_server's hub, with the WebSocket listener on a free port too."""
    return dataclasses.replace(settings(data_dir), agent_ws=("127.0.0.1", 0))


class CliDialler(Dialler):
    """Dials as ``cloudping agent --hub URL --hub-fingerprint PIN`` does."""

    def __init__(self, hub: str, fingerprint: str, name: str, secret: str) -> None:
        words = ["--hub", hub, "--name", name, "--token", secret, "--hub-fingerprint", fingerprint]
        args = agent_cli.parser().parse_args([*words, "--serve", "127.0.0.0/8"])
        self.config = agent_cli.settings(args, ("icmp",))
        super().__init__(self.config.port, fingerprint, self.config.hello)
        self._dial = agent_cli.dialler(self.config)
        self.latest: HubSession | None = None

    @asynccontextmanager
    async def __call__(self, *, on_event: OnEvent) -> AsyncIterator[HubSession]:
        async with self._dial(on_event=on_event) as link:
            self.latest = link
            self.accepted.put_nowait(link)
            yield link


@asynccontextmanager
async def hub_with_ws_agent(data_dir: Path) -> AsyncIterator[tuple[HubServer, CliDialler]]:
    """A hub and one agent accepted over WebSocket."""
    async with HubServer(ws_settings(data_dir)) as server:
        assert server.agent_ws_url is not None
        secret = token(server, "w1")
        dial = CliDialler(server.agent_ws_url, server.fingerprint, "w1", secret)
        async with running_agent(dial):
            await dial.next_accept()
            yield server, dial


def resets_of(link: StreamLink) -> asyncio.Queue[StreamReset]:
    """The resets ``link`` receives from now on."""
    resets: asyncio.Queue[StreamReset] = asyncio.Queue()
    original = link.stream_event

    def tapped(event: StreamInput) -> None:
        if isinstance(event, StreamReset):
            resets.put_nowait(event)
        original(event)

    link.stream_event = tapped  # type: ignore[method-assign]
    return resets


def test_an_agent_over_websocket_registers_and_a_ping_streams_into_the_store(
    tmp_path: Path,
) -> None:
    async def scenario() -> None:
        async with hub_with_ws_agent(tmp_path) as (server, dial):
            assert server.agent_ws_url == f"wss://127.0.0.1:{dial.config.port}/agent"
            assert dial.config.ws == parse_hub_url(server.agent_ws_url)
            assert isinstance(dial.latest, WsHubConnection)  # not QUIC
            entry = await server.registry.get("w1")
            assert entry is not None
            assert entry.attributes.serves == ("127.0.0.0/8",)
            stream = Stream()
            measurement = await server.hub.run(parse(SHORT_PING), "tester", stream)
            stored = await server.store.get(measurement)
        assert stream.types() == ["measurement", "start", "reply", "reply", "summary", "end"]
        assert stream.events[-1]["status"] == "ok"
        assert {e["agent"] for e in stream.events[1:-1]} == {"w1"}
        assert [e.event for e in stored.events] == as_json(stream.events)

    run(scenario())


def test_a_websocket_agent_dropped_mid_job_ends_it_agent_lost(tmp_path: Path) -> None:
    async def scenario() -> None:
        async with hub_with_ws_agent(tmp_path) as (server, dial):
            stream = Stream()
            runner = asyncio.create_task(server.hub.run(parse(LONG_PING), None, stream))
            await stream.wait_for("reply")
            link = dial.latest
            assert isinstance(link, WsHubConnection)
            link.transport.abort()  # the agent's host dies: no close frame, a TCP reset
            async with asyncio.timeout(WAIT):
                measurement = await runner
            stored = await server.store.get(measurement)
        errors = [e for e in stream.events if e["type"] == "error"]
        assert [(e["code"], e["agent"]) for e in errors] == [("agent_lost", "w1")]
        assert stream.types()[-1] == "end"
        assert stored.status == "failed"

    run(scenario())


def test_cancelling_a_measurement_resets_the_agents_job_stream(tmp_path: Path) -> None:
    async def scenario() -> None:
        async with hub_with_ws_agent(tmp_path) as (server, _):
            assert server.door is not None
            (agent_link,) = server.door.links
            resets = resets_of(agent_link.connection)
            stream = Stream()
            runner = asyncio.create_task(server.hub.run(parse(LONG_PING), None, stream))
            await stream.wait_for("reply")
            runner.cancel()  # the caller went away: the hub cancels the job
            await asyncio.gather(runner, return_exceptions=True)
            async with asyncio.timeout(WAIT):
                reset = await resets.get()
            assert reset.error_code == AppError.CANCELLED
            assert not agent_link.connection.jobs  # the stream is forgotten on the hub
            measurement = stream.events[0]["id"]
            await server.hub.wait(measurement)
            stored = await server.store.get(measurement)
        assert stored.status == "cancelled"
        assert stored.events[-1].event["type"] == "end"

    run(scenario())


def test_a_name_live_over_quic_is_refused_over_websocket(tmp_path: Path) -> None:
    async def scenario() -> None:
        async with HubServer(ws_settings(tmp_path)) as server:
            quic = Dialler(server.agent_port, server.fingerprint, hello("a1", token(server, "a1")))
            async with running_agent(quic):
                await quic.next_accept()
                assert server.agent_ws_url is not None
                with pytest.raises(HubRefusedError) as refused:
                    async with dial_hub_ws(
                        parse_hub_url(server.agent_ws_url),
                        trust=HubTrust.pinned(server.fingerprint),
                        hello=hello("a1", token(server, "a1")),
                        on_event=lambda link, event: None,
                        timeout=WAIT,
                    ):
                        pass
                assert refused.value.refuse_code == "name_in_use"
                entry = await server.registry.get("a1")
                assert entry is not None  # the QUIC agent keeps its name

    run(scenario())


def test_a_wrong_fingerprint_is_a_clear_error_and_nothing_is_registered(tmp_path: Path) -> None:
    async def scenario() -> None:
        async with HubServer(ws_settings(tmp_path)) as server:
            assert server.agent_ws_url is not None
            wrong = "AB:" * 31 + "AB"
            dial = CliDialler(server.agent_ws_url, wrong, "w1", token(server, "w1"))
            async with ProbeEnv(agent="w1") as env, Agent.running(env, SERVING_LOOPBACK) as agent:
                failure = await connect_once(dial, agent)
            assert isinstance(failure, HubUntrustedError)
            assert f"fingerprint {server.fingerprint}, not the pinned {wrong}" in failure.message
            assert await server.registry.list() == ()

    run(scenario())


def hub_options(tmp_path: Path, *extra: str) -> list[str]:
    return ["--data-dir", str(tmp_path), "--agent-listen", "127.0.0.1:8443", *extra]


def test_cloudping_hub_takes_the_websocket_listen_address(tmp_path: Path) -> None:
    args = hub_cli.parser().parse_args(hub_options(tmp_path, "--agent-ws-listen", "[::1]:9443"))
    config, _ = hub_cli.configure(args)
    assert config.agent_ws == ("::1", 9443)
    without_port = hub_cli.parser().parse_args(
        hub_options(tmp_path, "--agent-ws-listen", "127.0.0.1")
    )
    with pytest.raises(ValueError, match=r"--agent-ws-listen '127\.0\.0\.1' needs a port"):
        hub_cli.configure(without_port)
    assert hub_cli.configure(hub_cli.parser().parse_args(hub_options(tmp_path)))[0].agent_ws is None


def test_the_welcome_text_gives_the_websocket_url_only_when_it_is_served(tmp_path: Path) -> None:
    async def scenario() -> None:
        async with HubServer(ws_settings(tmp_path)) as server:
            assert f"--hub {server.agent_ws_url} (WebSocket)" in hub_cli.welcome(server)
        async with HubServer(settings(tmp_path)) as quic_only:
            assert quic_only.agent_ws_url is None
            assert "wss://" not in hub_cli.welcome(quic_only)

    run(scenario())
