"""The WebSocket binding on 127.0.0.1: a real wss listener and a real agent connection, TLS
with the hub's own self-signed certificate.

What the binding itself does (the upgrade, the trust check before it, STOP answered by a
reset, close frames, pings, a dropped TCP connection); what the shared core decides alone
(version and garbage refusals, heartbeats) is tested over QUIC in tests/wire/test_quic.py.
Every wait is bounded and waits for a condition (an event arriving), never for time to pass.
"""

from __future__ import annotations

import asyncio
import dataclasses
import socket
import ssl
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from pathlib import Path
from typing import Any

import pytest

from cloudping.wire import (
    Accept,
    Attributes,
    Cancel,
    Disconnected,
    Hello,
    HubRefusedError,
    HubUnreachableError,
    HubUntrustedError,
    JobEnd,
    JobEvent,
    JobOffer,
    LocalProtocolError,
    Refuse,
)
from cloudping.wire.hubcert import HubCertificate, self_signed
from cloudping.wire.link import LinkEvent, LinkSettings, StreamLink
from cloudping.wire.streams import AppError, StreamInput, StreamReset
from cloudping.wire.trust import HubTrust
from cloudping.wire.ws import (
    HubUrl,
    WsAgentConnection,
    WsAgentServer,
    WsHubConnection,
    dial_hub_ws,
    serve_agents_ws,
)

from .helpers import ACCEPT, ATTRIBUTES, HELLO, OFFER
from .test_quic import END, FAST, WAIT, Recorder, run

Answer = Callable[[StreamLink, LinkEvent], None]


class Events(Recorder):
    """test_quic's recorder, for connections of either binding."""

    def __init__(self, answer: Answer | None = None) -> None:
        super().__init__()
        self._reply = answer

    def __call__(self, connection: StreamLink, event: LinkEvent) -> None:
        self.record(event)
        if self._reply is not None:
            self._reply(connection, event)


def accepting(accept: Accept) -> Answer:
    def answer(connection: StreamLink, event: LinkEvent) -> None:
        if isinstance(event, Hello):
            connection.send(accept)

    return answer


def tap(link: StreamLink, events: Recorder) -> None:
    """Record the stream events ``link`` receives too (to see resets)."""
    original = link.stream_event

    def tapped(event: StreamInput) -> None:
        events.record(event)
        original(event)

    link.stream_event = tapped  # type: ignore[method-assign]


@dataclasses.dataclass
class Hub:
    server: WsAgentServer
    certificate: HubCertificate
    ca_file: Path
    events: Events

    @property
    def pinned(self) -> HubTrust:
        return HubTrust.pinned(self.certificate.fingerprint)

    @property
    def url(self) -> HubUrl:
        return HubUrl("127.0.0.1", self.server.port)

    def agent(self) -> WsAgentConnection:
        (connection,) = self.server.connections
        return connection


@pytest.fixture(scope="module")
def hub_files(tmp_path_factory: pytest.TempPathFactory) -> tuple[HubCertificate, Path]:
    made = self_signed(["localhost", "127.0.0.1"])
    directory = tmp_path_factory.mktemp("wshub")
    (directory / "hub.crt").write_bytes(made.certificate_pem)
    (directory / "hub.key").write_bytes(made.private_key_pem)
    return made, directory


@asynccontextmanager
async def hub(
    files: tuple[HubCertificate, Path], answer: Answer | None = None, **knobs: Any
) -> AsyncIterator[Hub]:
    made, directory = files
    events = Events(answer or accepting(ACCEPT))
    async with serve_agents_ws(
        "127.0.0.1",
        0,
        certificate=directory / "hub.crt",
        private_key=directory / "hub.key",
        on_event=events,
        settings=LinkSettings(**knobs),
    ) as server:
        yield Hub(server, made, directory / "hub.crt", events)


def dial(
    the_hub: Hub, events: Events, **overrides: Any
) -> AbstractAsyncContextManager[WsHubConnection]:
    options: dict[str, Any] = {"trust": the_hub.pinned, "hello": HELLO, "on_event": events}
    options.update(overrides)
    url = options.pop("url", the_hub.url)
    return dial_hub_ws(url, timeout=WAIT, **options)


# -- hello, jobs, cancel ---------------------------------------------------------------------


def test_the_listener_serves_the_agent_path_on_its_bound_port(hub_files: Any) -> None:
    async def scenario() -> None:
        async with hub(hub_files) as the_hub:
            assert the_hub.server.url == f"wss://127.0.0.1:{the_hub.server.port}/agent"
            assert the_hub.server.port != 0

    run(scenario())


def test_hello_accept_then_an_offer_three_events_and_an_end_arrive_in_order(
    hub_files: Any,
) -> None:
    async def scenario() -> None:
        async with hub(hub_files) as the_hub:
            mine = Events()
            async with dial(the_hub, mine) as link:
                assert link.accepted == ACCEPT
                assert the_hub.events.of(Hello) == [HELLO]
                assert the_hub.agent().control.hello == HELLO  # token included
                the_hub.agent().send(OFFER)
                await mine.wait_for_kind(JobOffer)
                assert mine.of(JobOffer) == [OFFER]
                reports: list[JobEvent | JobEnd] = [
                    *(JobEvent(job_id="j1", event={"type": "timeout", "seq": n}) for n in (1, 2)),
                    END,
                ]
                tap(link, mine)  # to see the hub's END arrive
                for message in reports:
                    link.send(message)
                await the_hub.events.wait_for(lambda: END in the_hub.events.events)
                assert the_hub.events.job_reports() == reports
                # Both sides forget the job once both directions of its stream are finished.
                await the_hub.events.wait_for(lambda: not the_hub.agent().jobs)
                await mine.wait_for(lambda: not link.jobs)

    run(scenario())


def test_a_cancel_reaches_the_agent_whose_side_answers_with_a_reset(hub_files: Any) -> None:
    async def scenario() -> None:
        async with hub(hub_files) as the_hub:
            mine = Events()
            async with dial(the_hub, mine) as link:
                agent = the_hub.agent()
                tap(agent, the_hub.events)
                agent.send(OFFER)
                await mine.wait_for_kind(JobOffer)
                agent.send(Cancel(job_id="j1", reason="caller left"))
                await mine.wait_for_kind(Cancel)
                # STOP made the agent's binding reset its side, as a QUIC stack does.
                await the_hub.events.wait_for_kind(StreamReset)
                assert the_hub.events.of(StreamReset) == [StreamReset(1, AppError.CANCELLED)]
                assert not agent.jobs
                link.send(JobEvent(job_id="j1", event={"type": "timeout"}))  # dropped, no error
                link.send(END)
                link.send(Attributes(attributes=ATTRIBUTES))
                await the_hub.events.wait_for_kind(Attributes)
                assert the_hub.events.job_reports() == []
                await mine.wait_for(lambda: not link.jobs)
                agent.send(Cancel(job_id="j1", reason="again"))  # a finished job: ignored

    run(scenario())


def test_job_streams_are_numbered_as_quic_numbers_the_hubs_streams(hub_files: Any) -> None:
    async def scenario() -> None:
        async with hub(hub_files) as the_hub:
            mine = Events()
            async with dial(the_hub, mine) as link:
                for job_id in ("j1", "j2", "j3"):
                    the_hub.agent().send(dataclasses.replace(OFFER, job_id=job_id))
                await mine.wait_for_kind(JobOffer, 3)
                assert sorted(link._streams) == [1, 5, 9]

    run(scenario())


# -- trust and refusal -----------------------------------------------------------------------


def test_a_wrong_fingerprint_is_refused_before_the_upgrade_is_sent(hub_files: Any) -> None:
    async def scenario() -> None:
        async with hub(hub_files) as the_hub:
            wrong = HubTrust.pinned("00" * 32)
            with pytest.raises(HubUntrustedError, match="not the pinned 00:00") as caught:
                async with dial(the_hub, Events(), trust=wrong):
                    pass
            assert caught.value.code == "hub_untrusted"
            assert the_hub.certificate.fingerprint in caught.value.message
            await the_hub.events.wait_for_kind(Disconnected)
            assert the_hub.events.of(Hello) == []
            # Not even the path reached it: the hub saw a TLS connection end, no request.
            (gone,) = the_hub.events.of(Disconnected)
            assert gone == Disconnected("the connection was lost", by_peer=True)

    run(scenario())


def test_the_hub_certificate_as_a_ca_file_is_trusted_for_its_names(hub_files: Any) -> None:
    async def scenario() -> None:
        async with hub(hub_files) as the_hub:
            trust = HubTrust.from_ca_file(the_hub.ca_file)
            async with dial(the_hub, Events(), trust=trust) as link:
                assert link.accepted == ACCEPT
            with pytest.raises(HubUntrustedError, match=r"does not name other\.example"):
                async with dial(the_hub, Events(), trust=trust, server_name="other.example"):
                    pass

    run(scenario())


def test_a_refused_hello_raises_with_the_hubs_code(hub_files: Any) -> None:
    def refuse(connection: StreamLink, event: LinkEvent) -> None:
        if isinstance(event, Hello):
            connection.send(Refuse(code="unauthorized", reason="the token expired"))

    async def scenario() -> None:
        async with hub(hub_files, refuse) as the_hub:
            with pytest.raises(HubRefusedError, match="the token expired") as caught:
                async with dial(the_hub, Events()):
                    pass
            assert caught.value.refuse_code == "unauthorized"
            # The agent leaves by itself, saying why in its close frame.
            await the_hub.events.wait_for_kind(Disconnected)
            assert the_hub.events.of(Disconnected) == [
                Disconnected("refused: unauthorized", by_peer=True)
            ]

    run(scenario())


def test_another_path_is_unreachable_with_the_hubs_404(hub_files: Any) -> None:
    async def scenario() -> None:
        async with hub(hub_files) as the_hub:
            url = HubUrl("127.0.0.1", the_hub.server.port, "/ws")
            with pytest.raises(HubUnreachableError, match="HTTP 404") as caught:
                async with dial(the_hub, Events(), url=url):
                    pass
            assert "agents dial /agent" in caught.value.message

    run(scenario())


def test_nothing_listening_is_unreachable_at_once(hub_files: Any) -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]  # free once closed: a connection is refused

    async def scenario() -> None:
        trust = HubTrust.pinned(hub_files[0].fingerprint)
        started = asyncio.get_running_loop().time()
        with pytest.raises(HubUnreachableError, match="cannot reach the hub at wss://") as caught:
            async with dial_hub_ws(
                HubUrl("127.0.0.1", port), trust=trust, hello=HELLO, on_event=Events()
            ):
                pass
        assert caught.value.code == "hub_unreachable"
        assert asyncio.get_running_loop().time() - started < WAIT / 2  # not the timeout

    run(scenario())


def test_a_client_that_never_upgrades_is_dropped_at_the_hello_timeout(hub_files: Any) -> None:
    async def scenario() -> None:
        async with hub(hub_files, hello_timeout=0.3) as the_hub:
            context = ssl.create_default_context(cafile=str(the_hub.ca_file))
            _, writer = await asyncio.open_connection(
                "127.0.0.1", the_hub.server.port, ssl=context, server_hostname="localhost"
            )
            await the_hub.events.wait_for_kind(Disconnected)
            writer.close()
            reason = "no hello was accepted within 0.3 s"
            assert the_hub.events.of(Disconnected) == [Disconnected(reason, by_peer=False)]
            assert not the_hub.server.connections

    run(scenario())


# -- liveness --------------------------------------------------------------------------------


def test_the_hub_pings_then_drops_an_agent_that_falls_silent(hub_files: Any) -> None:
    async def scenario() -> None:
        async with hub(hub_files, accepting(FAST)) as the_hub:
            mine = Events()
            async with dial(the_hub, mine) as link:
                agent = the_hub.agent()
                link.control.handle_timer = lambda now: None  # type: ignore[method-assign]
                await the_hub.events.wait_for_kind(Disconnected)
                await mine.wait_for_kind(Disconnected)
                # Before giving up, the hub probed the path with WebSocket pings (the agent's
                # stack answered them; only its heartbeats stopped).
                assert agent.endpoint.pongs >= 1
            reason = "nothing heard from the agent for 0.4 s"
            assert the_hub.events.of(Disconnected) == [Disconnected(reason, by_peer=False)]
            assert mine.of(Disconnected) == [Disconnected(reason, by_peer=True)]

    run(scenario())


def test_a_hub_shutting_down_tells_its_agents(hub_files: Any) -> None:
    async def scenario() -> None:
        mine = Events()
        listening = hub(hub_files)
        the_hub = await listening.__aenter__()
        async with dial(the_hub, mine) as link:
            await listening.__aexit__(None, None, None)
            await mine.wait_for_kind(Disconnected)
            assert link.closed.result() == Disconnected("the hub is shutting down", by_peer=True)
            with pytest.raises(LocalProtocolError, match="closed"):
                link.send(JobEvent(job_id="j1", event={"type": "timeout"}))

    run(scenario())


def test_an_agent_whose_connection_drops_is_lost_at_once(hub_files: Any) -> None:
    async def scenario() -> None:
        async with hub(hub_files) as the_hub:
            async with dial(the_hub, Events()) as link:
                link.transport.abort()  # as when the agent's host dies: no close frame
                await the_hub.events.wait_for_kind(Disconnected)
            (gone,) = the_hub.events.of(Disconnected)
            assert gone.by_peer
            assert gone.reason.startswith("the connection was lost")

    run(scenario())
