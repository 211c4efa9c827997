"""The aioquic binding on 127.0.0.1: a real hub listener and a real agent connection.

Every wait is bounded and waits for a condition (an event arriving), never for time to pass.
"""

from __future__ import annotations

import asyncio
import dataclasses
import socket
from collections.abc import AsyncIterator, Callable, Coroutine
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from pathlib import Path
from typing import Any, TypeVar

import pytest
from aioquic.quic.events import PingAcknowledged, QuicEvent, StreamReset

from cloudping.wire import (
    Accept,
    Attributes,
    Cancel,
    Disconnected,
    Heartbeat,
    HeartbeatAck,
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
from cloudping.wire.quic import (
    AgentConnection,
    AgentServer,
    AppError,
    HubConnection,
    LinkSettings,
    dial_hub,
    serve_agents,
)
from cloudping.wire.quiclink import Link, LinkEvent
from cloudping.wire.trust import HubTrust

from .helpers import ACCEPT, ATTRIBUTES, HELLO, OFFER

T = TypeVar("T")
WAIT = 10.0  # seconds: the bound on every wait (loopback answers in milliseconds)
END = JobEnd(job_id="j1", status="completed")
FAST = Accept(session_id="s1", heartbeat_interval_ms=50, idle_timeout_ms=400)


def run(scenario: Coroutine[Any, Any, None]) -> None:
    """Run a scenario on a fresh event loop, bounded as a whole."""

    async def bounded() -> None:
        async with asyncio.timeout(WAIT * 2):
            await scenario

    asyncio.run(bounded())


class Recorder:
    """A callback that keeps what it is given and lets a test wait for a condition."""

    def __init__(self, answer: Callable[[Link, LinkEvent], None] | None = None) -> None:
        self.events: list[object] = []
        self.connections: list[Link] = []
        self._answer = answer
        self._changed: asyncio.Event | None = None

    def __call__(self, connection: Link, event: LinkEvent) -> None:
        if connection not in self.connections:
            self.connections.append(connection)
        self.record(event)
        if self._answer is not None:
            self._answer(connection, event)

    def record(self, event: object) -> None:
        self.events.append(event)
        if self._changed is not None:
            self._changed.set()

    def of(self, kind: type[T]) -> list[T]:
        return [event for event in self.events if isinstance(event, kind)]

    def job_reports(self) -> list[JobEvent | JobEnd]:
        return [event for event in self.events if isinstance(event, JobEvent | JobEnd)]

    async def wait_for(self, condition: Callable[[], bool]) -> None:
        """Until ``condition()`` holds (re-checked at every event), at most WAIT seconds."""
        self._changed = self._changed or asyncio.Event()
        async with asyncio.timeout(WAIT):
            while not condition():
                self._changed.clear()
                await self._changed.wait()

    async def wait_for_kind(self, kind: type, count: int = 1) -> None:
        await self.wait_for(lambda: len(self.of(kind)) >= count)


def accept_with(accept: Accept) -> Callable[[Link, LinkEvent], None]:
    """A hub that accepts every hello."""

    def answer(connection: Link, event: LinkEvent) -> None:
        if isinstance(event, Hello):
            connection.send(accept)

    return answer


def tap(link: Link, recorder: Recorder) -> None:
    """Record the raw QUIC events of ``link`` too (to see stream resets)."""
    original = link.quic_event_received

    def tapped(event: QuicEvent) -> None:
        recorder.record(event)
        original(event)

    link.quic_event_received = tapped  # type: ignore[method-assign]


@dataclasses.dataclass
class Hub:
    server: AgentServer
    certificate: HubCertificate
    ca_file: Path
    events: Recorder

    @property
    def pinned(self) -> HubTrust:
        return HubTrust.pinned(self.certificate.fingerprint)

    def agent(self) -> AgentConnection:
        """The one connected agent."""
        (connection,) = self.server.connections
        return connection


@pytest.fixture(scope="module")
def certificate(tmp_path_factory: pytest.TempPathFactory) -> tuple[HubCertificate, Path, Path]:
    made = self_signed(["localhost", "127.0.0.1"])
    directory = tmp_path_factory.mktemp("hub")
    (directory / "hub.crt").write_bytes(made.certificate_pem)
    (directory / "hub.key").write_bytes(made.private_key_pem)
    return made, directory / "hub.crt", directory / "hub.key"


@asynccontextmanager
async def hub(
    certificate: tuple[HubCertificate, Path, Path],
    answer: Callable[[Link, LinkEvent], None] | None = None,
) -> AsyncIterator[Hub]:
    made, cert_file, key_file = certificate
    events = Recorder(answer if answer is not None else accept_with(ACCEPT))
    async with serve_agents(
        "127.0.0.1", 0, certificate=cert_file, private_key=key_file, on_event=events
    ) as server:
        yield Hub(server, made, cert_file, events)


def dial(
    the_hub: Hub, events: Recorder, **overrides: Any
) -> AbstractAsyncContextManager[HubConnection]:
    options: dict[str, Any] = {"trust": the_hub.pinned, "hello": HELLO, "on_event": events}
    options.update(overrides)
    return dial_hub("127.0.0.1", the_hub.server.port, timeout=WAIT, **options)


# -- hello, jobs, cancel ---------------------------------------------------------------------


def test_hello_accept_then_an_offer_three_events_and_an_end_arrive_in_order(
    certificate: Any,
) -> None:
    async def scenario() -> None:
        async with hub(certificate) as the_hub:
            mine = Recorder()
            async with dial(the_hub, mine) as link:
                assert link.accepted == ACCEPT
                assert the_hub.events.of(Hello) == [HELLO]
                assert the_hub.agent().control.hello == HELLO  # token included
                the_hub.agent().send(OFFER)
                await mine.wait_for_kind(JobOffer)
                assert mine.of(JobOffer) == [OFFER]
                events = [
                    JobEvent(job_id="j1", event={"type": "timeout", "seq": n}) for n in (1, 2, 3)
                ]
                reports: list[JobEvent | JobEnd] = [*events, END]
                tap(link, mine)  # to see the hub's FIN arrive
                for message in reports:
                    link.send(message)
                await the_hub.events.wait_for_kind(JobEnd)
                assert the_hub.events.job_reports() == reports
                # Both sides forget the job once both directions of its stream are finished.
                await the_hub.events.wait_for(lambda: not the_hub.agent().jobs)
                await mine.wait_for(lambda: not link.jobs)

    run(scenario())


def test_a_cancel_reaches_the_agent_and_resets_the_job_stream(certificate: Any) -> None:
    async def scenario() -> None:
        async with hub(certificate) as the_hub:
            mine = Recorder()
            async with dial(the_hub, mine) as link:
                agent = the_hub.agent()
                tap(agent, the_hub.events)
                agent.send(OFFER)
                await mine.wait_for_kind(JobOffer)
                agent.send(Cancel(job_id="j1", reason="caller left"))
                await mine.wait_for_kind(Cancel)
                assert mine.of(Cancel) == [Cancel(job_id="j1", reason="caller left")]
                # STOP_SENDING made the agent's QUIC stack reset its side of the stream.
                await the_hub.events.wait_for_kind(StreamReset)
                (reset,) = the_hub.events.of(StreamReset)
                assert reset.error_code == AppError.CANCELLED
                link.send(JobEvent(job_id="j1", event={"type": "timeout"}))  # dropped, no error
                link.send(END)
                link.send(Attributes(attributes=ATTRIBUTES))
                await the_hub.events.wait_for_kind(Attributes)
                assert the_hub.events.job_reports() == []
                assert not agent.jobs
                agent.send(Cancel(job_id="j1", reason="again"))  # a finished job: ignored

    run(scenario())


def test_the_hub_offers_only_to_an_accepted_agent(certificate: Any) -> None:
    def offer_at_hello(connection: Link, event: LinkEvent) -> None:
        if isinstance(event, Hello):
            with pytest.raises(LocalProtocolError, match="only to an accepted agent"):
                connection.send(OFFER)
            connection.send(ACCEPT)

    async def scenario() -> None:
        async with hub(certificate, offer_at_hello) as the_hub, dial(the_hub, Recorder()):
            assert the_hub.events.of(Hello) == [HELLO]

    run(scenario())


# -- trust and refusal -----------------------------------------------------------------------


def test_a_wrong_fingerprint_is_refused_before_the_hello_is_sent(certificate: Any) -> None:
    async def scenario() -> None:
        async with hub(certificate) as the_hub:
            wrong = HubTrust.pinned("00" * 32)
            with pytest.raises(HubUntrustedError, match="not the pinned 00:00") as caught:
                async with dial(the_hub, Recorder(), trust=wrong):
                    pass
            assert caught.value.code == "hub_untrusted"
            await the_hub.events.wait_for_kind(Disconnected)
            assert the_hub.events.of(Hello) == []
            (gone,) = the_hub.events.of(Disconnected)
            assert gone == Disconnected("the hub's certificate is not trusted", by_peer=True)

    run(scenario())


def test_the_hub_certificate_as_a_ca_file_is_trusted_for_its_names(certificate: Any) -> None:
    async def scenario() -> None:
        async with hub(certificate) as the_hub:
            trust = HubTrust.from_ca_file(the_hub.ca_file)
            async with dial(the_hub, Recorder(), trust=trust) as link:
                assert link.accepted == ACCEPT
            with pytest.raises(HubUntrustedError, match=r"does not name other\.example"):
                async with dial(the_hub, Recorder(), trust=trust, server_name="other.example"):
                    pass

    run(scenario())


def test_a_refused_hello_raises_with_the_hubs_code(certificate: Any) -> None:
    def refuse(connection: Link, event: LinkEvent) -> None:
        if isinstance(event, Hello):
            connection.send(Refuse(code="unauthorized", reason="the token expired"))

    async def scenario() -> None:
        async with hub(certificate, refuse) as the_hub:
            mine = Recorder()
            with pytest.raises(HubRefusedError, match="the token expired") as caught:
                async with dial(the_hub, mine):
                    pass
            assert caught.value.refuse_code == "unauthorized"
            # The agent leaves by itself: the hub need not wait for the linger.
            await the_hub.events.wait_for_kind(Disconnected)
            assert the_hub.events.of(Disconnected) == [
                Disconnected("refused: unauthorized", by_peer=True)
            ]

    run(scenario())


def test_a_hello_of_another_version_is_refused_by_version(certificate: Any) -> None:
    async def scenario() -> None:
        async with hub(certificate) as the_hub:
            newer = dataclasses.replace(HELLO, version=2)
            with pytest.raises(HubRefusedError, match="protocol version 2") as caught:
                async with dial(the_hub, Recorder(), hello=newer):
                    pass
            assert caught.value.refuse_code == "unsupported_version"

    run(scenario())


def test_garbage_from_an_agent_gets_a_refuse_saying_why(certificate: Any) -> None:
    async def scenario() -> None:
        async with hub(certificate) as the_hub:
            mine = Recorder()
            async with dial(the_hub, mine) as link:
                link.write_control(b"\x00\x00\x00\x01\x7f")
                await mine.wait_for_kind(Disconnected)
            assert mine.of(Refuse) == [
                Refuse(code="protocol_error", reason="unknown message type 0x7f")
            ]

    run(scenario())


def test_nothing_listening_is_unreachable_at_once(certificate: Any) -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]  # free once closed; the kernel answers ICMP unreachable

    async def scenario() -> None:
        trust = HubTrust.pinned(certificate[0].fingerprint)
        started = asyncio.get_running_loop().time()
        with pytest.raises(HubUnreachableError, match="UDP port") as caught:
            async with dial_hub("127.0.0.1", port, trust=trust, hello=HELLO, on_event=Recorder()):
                pass
        assert caught.value.code == "hub_unreachable"
        assert asyncio.get_running_loop().time() - started < WAIT / 2  # not the timeout

    run(scenario())


# -- liveness --------------------------------------------------------------------------------


def test_heartbeats_flow_and_are_echoed(certificate: Any) -> None:
    async def scenario() -> None:
        async with hub(certificate, accept_with(FAST)) as the_hub:
            mine = Recorder()
            async with dial(the_hub, mine) as link:
                await the_hub.events.wait_for_kind(Heartbeat, 2)
                await mine.wait_for_kind(HeartbeatAck, 2)
                assert link.control.rtt is not None
                assert 0 <= link.control.rtt < WAIT
                assert [h.seq for h in the_hub.events.of(Heartbeat)][:2] == [1, 2]

    run(scenario())


def test_the_hub_pings_then_drops_an_agent_that_falls_silent(certificate: Any) -> None:
    async def scenario() -> None:
        async with hub(certificate, accept_with(FAST)) as the_hub:
            mine = Recorder()
            async with dial(the_hub, mine) as link:
                tap(the_hub.agent(), the_hub.events)
                link.control.handle_timer = lambda now: None  # type: ignore[method-assign]
                # Before giving up, the hub probes the path with QUIC PINGs (the agent's QUIC
                # stack acknowledges them; only its heartbeats stopped).
                await the_hub.events.wait_for_kind(PingAcknowledged)
                await the_hub.events.wait_for_kind(Disconnected)
                await mine.wait_for_kind(Disconnected)
            reason = "nothing heard from the agent for 0.4 s"
            assert the_hub.events.of(Disconnected) == [Disconnected(reason, by_peer=False)]
            assert mine.of(Disconnected) == [Disconnected(reason, by_peer=True)]

    run(scenario())


def test_a_hub_shutting_down_tells_its_agents(certificate: Any) -> None:
    async def scenario() -> None:
        mine = Recorder()
        listening = hub(certificate)
        the_hub = await listening.__aenter__()
        async with dial(the_hub, mine) as link:
            await listening.__aexit__(None, None, None)
            await mine.wait_for_kind(Disconnected)
            assert link.closed.result() == Disconnected("the hub is shutting down", by_peer=True)
            with pytest.raises(LocalProtocolError, match="closed"):
                link.send(JobEvent(job_id="j1", event={"type": "timeout"}))

    run(scenario())


def test_settings_reach_the_connection(certificate: Any) -> None:
    async def scenario() -> None:
        async with hub(certificate) as the_hub:
            settings = LinkSettings(hello_timeout=3.0)
            async with dial(the_hub, Recorder(), settings=settings) as link:
                assert link.settings.hello_timeout == 3.0

    run(scenario())
