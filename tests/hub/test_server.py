"""The hub process end to end on 127.0.0.1: a HubServer in a temporary data directory and
agent runtimes dialling it as ``cloudping agent`` does, over real QUIC and over a real
WebSocket (tests of one door for both run once per transport), with tokens signed by the
hub's own key (see ``serving.py``).

Every wait is bounded and waits for something to happen (an accept, an event of the
stream), never for time to pass.
"""

from __future__ import annotations

import asyncio
import os
import stat
from contextlib import AsyncExitStack
from pathlib import Path

import pytest
from wire.bindings import Recorder, tap

from cloudping.agent.connect import connect_once
from cloudping.agent.runtime import Agent
from cloudping.commands import parse, to_json
from cloudping.errors import CloudpingError
from cloudping.hub.server import HubServer
from cloudping.main import main
from cloudping.probes.env import ProbeEnv
from cloudping.transport.ends import HubConnection
from cloudping.transport.quicbinding import QuicBinding
from cloudping.transport.wsbinding import WsBinding
from cloudping.wire import HubUntrustedError
from cloudping.wire.streams import AppError, StreamReset

from .serving import (
    LIMITS,
    LONG_PING,
    SERVING_LOOPBACK,
    SHORT_PING,
    TRANSPORTS,
    WAIT,
    Dialler,
    Stream,
    Transport,
    as_json,
    cancelled_at_first_reply,
    cut,
    dialler_of,
    hello,
    hub_with_agent,
    run,
    running_agent,
    settings,
    token,
)

# test_server_door, test_server_refusals and tests/channels/mcp import these from here.
__all__ = ["SERVING_LOOPBACK", "WAIT", "hello", "hub_with_agent", "run", "settings", "token"]

BINDINGS = {"quic": QuicBinding, "ws": WsBinding}


@pytest.fixture(params=TRANSPORTS)
def transport(request: pytest.FixtureRequest) -> Transport:
    """Each transport in turn."""
    chosen: Transport = request.param
    return chosen


def test_an_agent_registers_and_a_ping_streams_through_the_hub_into_the_store(
    tmp_path: Path, transport: Transport
) -> None:
    async def scenario() -> None:
        async with hub_with_agent(tmp_path, transport=transport) as (server, dial):
            latest = dial.latest
            assert isinstance(latest, HubConnection)
            assert isinstance(latest.binding, BINDINGS[transport])  # the transport --hub names
            entry = await server.registry.get("a1")
            assert entry is not None
            assert entry.attributes.serves == ("127.0.0.0/8",)
            stream = Stream()
            measurement = await server.hub.run(parse(SHORT_PING), "tester", stream)
            stored = await server.store.get(measurement)
        assert stream.types() == ["measurement", "start", "reply", "reply", "summary", "end"]
        assert stream.events[-1]["status"] == "ok"
        assert {e["agent"] for e in stream.events[1:-1]} == {"a1"}
        assert [e.event for e in stored.events] == as_json(stream.events)
        assert (stored.status, stored.subject, stored.agents) == ("done", "tester", ("a1",))

    run(scenario())


def test_losing_the_agents_connection_mid_job_ends_it_agent_lost_and_the_stream_ends(
    tmp_path: Path, transport: Transport
) -> None:
    async def scenario() -> None:
        async with hub_with_agent(tmp_path, transport=transport) as (server, dial):
            stream = Stream()
            runner = asyncio.create_task(server.hub.run(parse(LONG_PING), None, stream))
            await stream.wait_for("reply")
            assert server.door is not None
            (handle,) = server.door.handles
            cut(handle, dial)  # no word from the agent comes after this
            async with asyncio.timeout(WAIT):
                measurement = await runner
            with pytest.raises(CloudpingError) as lost:
                handle.offer("late.1", to_json(parse(SHORT_PING)), LIMITS)
            assert lost.value.code == "agent_lost"
            stored = await server.store.get(measurement)
        errors = [e for e in stream.events if e["type"] == "error"]
        assert [(e["code"], e["agent"]) for e in errors] == [("agent_lost", "a1")]
        assert stream.types()[-1] == "end"
        assert stream.events[-1]["status"] == "error"
        assert stored.status == "failed"
        assert [e.event for e in stored.events] == as_json(stream.events)

    run(scenario())


def test_cancelling_a_measurement_resets_the_agents_job_stream(
    tmp_path: Path, transport: Transport
) -> None:
    async def scenario() -> None:
        async with hub_with_agent(tmp_path, transport=transport) as (server, _):
            assert server.door is not None
            (handle,) = server.door.handles
            resets = Recorder()
            tap(handle.connection, resets)
            stored = await cancelled_at_first_reply(server)
            await resets.wait_for_kind(StreamReset)
            assert resets.of(StreamReset) == [StreamReset(1, AppError.CANCELLED)]
            assert not handle.connection.jobs  # the stream is forgotten on the hub
        assert stored.status == "cancelled"
        assert stored.events[-1].event["type"] == "end"

    run(scenario())


def test_a_wrong_fingerprint_is_a_clear_error_and_nothing_is_registered(
    tmp_path: Path, transport: Transport
) -> None:
    async def scenario() -> None:
        async with HubServer(settings(tmp_path, websocket=transport == "ws")) as server:
            wrong = "AB:" * 31 + "AB"
            dial = dialler_of(server, transport, pin=wrong)
            async with ProbeEnv(agent="a1") as env, Agent.running(env, SERVING_LOOPBACK) as agent:
                failure = await connect_once(dial, agent)
            assert isinstance(failure, HubUntrustedError)
            assert f"fingerprint {server.fingerprint}, not the pinned {wrong}" in failure.message
            assert await server.registry.list() == ()

    run(scenario())


def test_stopping_the_hub_ends_a_running_measurement_with_end(
    tmp_path: Path, transport: Transport
) -> None:
    async def scenario() -> None:
        stream = Stream()
        async with AsyncExitStack() as hub_life:
            config = settings(tmp_path, websocket=transport == "ws")
            server = await hub_life.enter_async_context(HubServer(config))
            dial = dialler_of(server, transport)
            async with running_agent(dial):
                await dial.next_accept()
                background = await server.hub.start(parse(LONG_PING), None)
                runner = asyncio.create_task(server.hub.run(parse(LONG_PING), None, stream))
                await stream.wait_for("reply")
                await hub_life.aclose()  # the hub stops while the agent is still running
                async with asyncio.timeout(WAIT):
                    await runner
        async with HubServer(settings(tmp_path)) as again:
            stored = await again.store.get(background)
        assert stream.types()[-1] == "end"
        assert stream.events[-1]["status"] == "cancelled"
        assert stored.status == "cancelled"
        assert stored.events[-1].event["type"] == "end"

    run(scenario())


def test_the_hub_keeps_its_certificate_and_key_private_and_reuses_them(tmp_path: Path) -> None:
    async def scenario() -> None:
        async with HubServer(settings(tmp_path)) as first:
            pin = first.fingerprint
        async with HubServer(settings(tmp_path)) as second:
            assert second.fingerprint == pin
        assert stat.S_IMODE((tmp_path / "hub.key").stat().st_mode) == 0o600
        assert (tmp_path / "hub.crt").exists()
        assert (tmp_path / "measurements.db").exists()

    run(scenario())


def test_every_file_the_hub_writes_is_0600_in_a_0700_directory_that_existed(
    tmp_path: Path,
) -> None:
    data_dir = tmp_path / "data"
    data_dir.mkdir(mode=0o755)  # an operator's existing directory, made with a common umask
    old = os.umask(0o022)
    try:
        run(_start_and_stop(data_dir))
    finally:
        os.umask(old)
    assert stat.S_IMODE(data_dir.stat().st_mode) == 0o700
    files = [path for path in data_dir.rglob("*") if path.is_file()]
    assert {"measurements.db", "revocations.db", "tokens.db", "hub.key"} <= {f.name for f in files}
    assert {f.name: oct(stat.S_IMODE(f.stat().st_mode)) for f in files} == {
        f.name: oct(0o600) for f in files
    }


async def _start_and_stop(data_dir: Path) -> None:
    async with HubServer(settings(data_dir)):
        pass


def test_an_agent_reconnects_after_a_hub_restart_and_measures_again(tmp_path: Path) -> None:
    async def scenario() -> None:
        stream = Stream()
        async with AsyncExitStack() as hub_life:
            first = await hub_life.enter_async_context(HubServer(settings(tmp_path)))
            port = first.agent_port
            dial = Dialler(f"127.0.0.1:{port}", first.fingerprint, "a1", token(first, "a1"))
            async with running_agent(dial):
                await dial.next_accept()
                await hub_life.aclose()  # the hub stops under the connected agent
                async with HubServer(settings(tmp_path, port)) as second:
                    await dial.next_accept()  # back by itself, same pin, same token
                    await second.hub.run(parse(SHORT_PING), None, stream)
        assert stream.types() == ["measurement", "start", "reply", "reply", "summary", "end"]

    run(scenario())


@pytest.mark.parametrize("port_text", ["127.0.0.1", "nonsense:port"])
def test_cloudping_hub_needs_a_port_to_listen_on(port_text: str, tmp_path: Path) -> None:
    assert main(["hub", "--data-dir", str(tmp_path), "--agent-listen", port_text]) == 2
