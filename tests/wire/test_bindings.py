"""What both bindings do alike, each test run once over QUIC and once over WebSocket: a real
hub listener on 127.0.0.1 and a real agent connection (see ``bindings.py``).

Jobs and cancels, trust and refusals, liveness and shutdown are decided by the shared core
(``cloudping.transport.core``, ``ends``), so they must hold over either transport; where the
transports differ in how a failure shows (what the hub hears, which error a closed port
gives), the harness says what to expect. Every wait is bounded and waits for a condition.
"""

from __future__ import annotations

import asyncio
import dataclasses

import pytest
from upprocess import free_port

from cloudping.transport.core import ConnectionEvent, ConnectionSettings
from cloudping.transport.ends import AgentConnection
from cloudping.transport.trust import HubTrust
from cloudping.wire import (
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
from cloudping.wire.streams import AppError, StreamReset

from .bindings import (
    END,
    FAST,
    HARNESSES,
    KINDS,
    WAIT,
    Harness,
    HubFiles,
    Recorder,
    accept_with,
    run,
    tap,
)
from .helpers import ACCEPT, ATTRIBUTES, HELLO, OFFER


@pytest.fixture(scope="module")
def files(tmp_path_factory: pytest.TempPathFactory) -> HubFiles:
    return HubFiles.write(tmp_path_factory.mktemp("hub"))


@pytest.fixture(params=KINDS)
def harness(request: pytest.FixtureRequest, files: HubFiles) -> Harness:
    """Each harness in turn."""
    return HARNESSES[request.param](files)


# -- hello, jobs, cancel ---------------------------------------------------------------------


def test_hello_accept_then_an_offer_three_events_and_an_end_arrive_in_order(
    harness: Harness,
) -> None:
    async def scenario() -> None:
        async with harness.connected() as (the_hub, mine, link):
            assert link.accepted == ACCEPT
            assert the_hub.events.of(Hello) == [HELLO]
            assert the_hub.agent().control.hello == HELLO  # token included
            the_hub.agent().send(OFFER)
            await mine.wait_for_kind(JobOffer)
            assert mine.of(JobOffer) == [OFFER]
            events = [JobEvent(job_id="j1", event={"type": "timeout", "seq": n}) for n in (1, 2, 3)]
            reports: list[JobEvent | JobEnd] = [*events, END]
            tap(link, mine)  # to see the hub's end of the stream arrive
            for message in reports:
                link.send(message)
            await the_hub.events.wait_for_kind(JobEnd)
            assert the_hub.events.job_reports() == reports
            # Both sides forget the job once both directions of its stream are finished.
            await the_hub.events.wait_for(lambda: not the_hub.agent().jobs)
            await mine.wait_for(lambda: not link.jobs)

    run(scenario())


def test_a_cancel_reaches_the_agent_whose_side_answers_with_a_reset(harness: Harness) -> None:
    async def scenario() -> None:
        async with harness.connected() as (the_hub, mine, link):
            agent = the_hub.agent()
            tap(agent, the_hub.events)
            agent.send(OFFER)
            await mine.wait_for_kind(JobOffer)
            agent.send(Cancel(job_id="j1", reason="caller left"))
            await mine.wait_for_kind(Cancel)
            assert mine.of(Cancel) == [Cancel(job_id="j1", reason="caller left")]
            # STOP_SENDING (a STOP message over WebSocket) made the agent's side reset its
            # direction: the QUIC stack does so by itself, the WebSocket harness as it does.
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


def test_job_streams_are_numbered_as_quic_numbers_the_hubs_streams(harness: Harness) -> None:
    async def scenario() -> None:
        async with harness.connected() as (the_hub, mine, link):
            for job_id in ("j1", "j2", "j3"):
                the_hub.agent().send(dataclasses.replace(OFFER, job_id=job_id))
            await mine.wait_for_kind(JobOffer, 3)
            assert sorted(link._streams) == [1, 5, 9]  # RFC 9000 2.1: server-opened, bidi

    run(scenario())


def test_the_hub_offers_only_to_an_accepted_agent(harness: Harness) -> None:
    def offer_at_hello(connection: AgentConnection, event: ConnectionEvent) -> None:
        if isinstance(event, Hello):
            with pytest.raises(LocalProtocolError, match="only to an accepted agent"):
                connection.send(OFFER)
            connection.send(ACCEPT)

    async def scenario() -> None:
        async with harness.listen(offer_at_hello) as the_hub, the_hub.dial(Recorder()):
            assert the_hub.events.of(Hello) == [HELLO]

    run(scenario())


# -- trust and refusal -----------------------------------------------------------------------


def test_a_wrong_fingerprint_is_refused_before_the_hello_is_sent(harness: Harness) -> None:
    async def scenario() -> None:
        async with harness.listen() as the_hub:
            wrong = HubTrust.pinned("00" * 32)
            with pytest.raises(HubUntrustedError, match="not the pinned 00:00") as caught:
                async with the_hub.dial(Recorder(), trust=wrong):
                    pass
            assert caught.value.code == "hub_untrusted"
            assert harness.files.certificate.fingerprint in caught.value.message
            await the_hub.events.wait_for_kind(Disconnected)
            assert the_hub.events.of(Hello) == []
            (gone,) = the_hub.events.of(Disconnected)
            assert gone == Disconnected(harness.untrusted_goodbye, by_peer=True)

    run(scenario())


def test_the_hub_certificate_as_a_ca_file_is_trusted_for_its_names(harness: Harness) -> None:
    async def scenario() -> None:
        async with harness.listen() as the_hub:
            trust = HubTrust.from_ca_file(harness.files.cert_file)
            async with the_hub.dial(Recorder(), trust=trust) as link:
                assert link.accepted == ACCEPT
            with pytest.raises(HubUntrustedError, match=r"does not name other\.example"):
                async with the_hub.dial(Recorder(), trust=trust, server_name="other.example"):
                    pass

    run(scenario())


def test_a_refused_hello_raises_with_the_hubs_code(harness: Harness) -> None:
    def refuse(connection: AgentConnection, event: ConnectionEvent) -> None:
        if isinstance(event, Hello):
            connection.send(Refuse(code="unauthorized", reason="the token expired"))

    async def scenario() -> None:
        async with harness.listen(refuse) as the_hub:
            with pytest.raises(HubRefusedError, match="the token expired") as caught:
                async with the_hub.dial(Recorder()):
                    pass
            assert caught.value.refuse_code == "unauthorized"
            # The agent leaves by itself, saying why: the hub need not wait for the linger.
            await the_hub.events.wait_for_kind(Disconnected)
            assert the_hub.events.of(Disconnected) == [
                Disconnected("refused: unauthorized", by_peer=True)
            ]

    run(scenario())


def test_a_hello_of_another_version_is_refused_by_version(harness: Harness) -> None:
    async def scenario() -> None:
        async with harness.listen() as the_hub:
            newer = dataclasses.replace(HELLO, version=2)
            with pytest.raises(HubRefusedError, match="protocol version 2") as caught:
                async with the_hub.dial(Recorder(), hello=newer):
                    pass
            assert caught.value.refuse_code == "unsupported_version"

    run(scenario())


def test_garbage_from_an_agent_gets_a_refuse_saying_why(harness: Harness) -> None:
    async def scenario() -> None:
        async with harness.connected() as (_, mine, link):
            link.write_control(b"\x00\x00\x00\x01\x7f")
            await mine.wait_for_kind(Disconnected)
            assert mine.of(Refuse) == [
                Refuse(code="protocol_error", reason="unknown message type 0x7f")
            ]

    run(scenario())


def test_nothing_listening_is_unreachable_at_once(harness: Harness) -> None:
    port = free_port(harness.socket_type)  # closed: ICMP port unreachable, or a TCP reset

    async def scenario() -> None:
        started = asyncio.get_running_loop().time()
        with pytest.raises(HubUnreachableError, match=harness.unreachable) as caught:
            async with harness.dial(port, Recorder()):
                pass
        assert caught.value.code == "hub_unreachable"
        assert asyncio.get_running_loop().time() - started < WAIT / 2  # not the timeout

    run(scenario())


# -- liveness --------------------------------------------------------------------------------


def test_heartbeats_flow_and_are_echoed(harness: Harness) -> None:
    async def scenario() -> None:
        async with harness.connected(accept_with(FAST)) as (the_hub, mine, link):
            await the_hub.events.wait_for_kind(Heartbeat, 2)
            await mine.wait_for_kind(HeartbeatAck, 2)
            assert link.control.rtt is not None
            assert 0 <= link.control.rtt < WAIT
            assert [h.seq for h in the_hub.events.of(Heartbeat)][:2] == [1, 2]

    run(scenario())


def test_the_hub_pings_then_drops_an_agent_that_falls_silent(harness: Harness) -> None:
    async def scenario() -> None:
        async with harness.connected(accept_with(FAST)) as (the_hub, mine, link):
            answered = harness.keepalives_answered(the_hub.agent())
            link.control.handle_timer = lambda now: None  # type: ignore[method-assign]
            await the_hub.events.wait_for_kind(Disconnected)
            await mine.wait_for_kind(Disconnected)
            # Before giving up, the hub probed the path (QUIC PINGs, WebSocket pings) and
            # the agent's stack answered: only its heartbeats stopped.
            assert answered() >= 1
            reason = "nothing heard from the agent for 0.4 s"
            assert the_hub.events.of(Disconnected) == [Disconnected(reason, by_peer=False)]
            assert mine.of(Disconnected) == [Disconnected(reason, by_peer=True)]

    run(scenario())


def test_a_hub_shutting_down_tells_its_agents(harness: Harness) -> None:
    async def scenario() -> None:
        mine = Recorder()
        listening = harness.listen()
        the_hub = await listening.__aenter__()
        async with the_hub.dial(mine) as link:
            await listening.__aexit__(None, None, None)
            await mine.wait_for_kind(Disconnected)
            assert link.closed.result() == Disconnected("the hub is shutting down", by_peer=True)
            with pytest.raises(LocalProtocolError, match="closed"):
                link.send(JobEvent(job_id="j1", event={"type": "timeout"}))

    run(scenario())


def test_settings_reach_the_connection(harness: Harness) -> None:
    async def scenario() -> None:
        async with harness.listen() as the_hub:
            settings = ConnectionSettings(hello_timeout=3.0)
            async with the_hub.dial(Recorder(), settings=settings) as link:
                assert link.settings.hello_timeout == 3.0

    run(scenario())
