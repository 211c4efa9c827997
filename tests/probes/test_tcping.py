"""Port probes without the lab: answer classification, the job over a scripted prober, the text,
and real TCP and UDP probes on loopback (no root needed)."""

from __future__ import annotations

import asyncio
import errno
import socket
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, replace
from typing import Any, cast

import pytest

from cloudping.commands import PingCommand, TcpingCommand
from cloudping.events import (
    Event,
    PingSummaryEvent,
    ReplyEvent,
    StartEvent,
    TimeoutEvent,
)
from cloudping.events.model import PortState
from cloudping.probes.env import Family, ProbeEnv
from cloudping.probes.icmp import codec
from cloudping.probes.icmp.codec import IcmpError
from cloudping.probes.port import ping as portping
from cloudping.probes.port import tcping
from cloudping.probes.port.job import PortSpec, PortTarget, run_targets
from cloudping.probes.port.outcome import (
    PortAnswer,
    Report,
    errno_answer,
    error_answer,
    port_state,
)
from cloudping.render import TextStyle, render

A, T, R2 = "local", "198.18.3.2", "198.18.2.2"
# struct sock_extended_err + offender as a 6.x kernel queued them on a TCP socket whose SYN drew
# host unreachable from the lab's r2 (recvmsg MSG_ERRQUEUE, IP_RECVERR / IPV6_RECVERR).
KERNEL_EE_V4 = bytes.fromhex("7100000002030100000000000000000002000000c61202020000000000000000")
KERNEL_EE_V6 = bytes.fromhex(
    "710000000301030000000000000000000a0000000000000020010db800020000000000000000000200000000"
)


# -- classification (pure) -------------------------------------------------------------------------


def test_only_the_targets_own_port_unreachable_means_closed() -> None:
    assert port_state("port_unreachable", T, T) == "closed"
    assert port_state("port_unreachable", R2, T) == "unreachable"  # a firewall on the way
    assert port_state("host_unreachable", T, T) == "unreachable"


def test_kernel_error_queue_data_decodes_to_the_error_and_the_router_that_sent_it() -> None:
    v4 = codec.parse_extended_err(KERNEL_EE_V4)
    v6 = codec.parse_extended_err(KERNEL_EE_V6)
    assert v4 is not None
    assert v6 is not None
    assert (v4.name, v4.icmp_type, v4.code, v4.sender) == ("host_unreachable", 3, 1, R2)
    assert (v6.name, v6.icmp_type, v6.code, v6.sender) == (
        "host_unreachable",
        1,
        3,
        "2001:db8:2::2",
    )


def test_an_icmp_error_is_timed_by_its_kernel_stamp_and_attributed_to_its_sender() -> None:
    error = IcmpError("host_unreachable", 3, 1, 0, 0, None, R2)
    answer = error_answer(4, error, T, tx_ns=1_000_000_000, rx_ns=1_001_500_000, now_ns=2 << 40)
    assert answer == PortAnswer(4, 1.5, R2, "unreachable", "host_unreachable")


def test_a_udp_probes_port_unreachable_from_the_target_is_a_closed_reply() -> None:
    error = IcmpError("port_unreachable", 3, 3, 0, 0, None, T)
    answer = error_answer(1, error, T, tx_ns=0, rx_ns=None, now_ns=250_000)
    assert (answer.state, answer.icmp_error, answer.rtt_ms) == ("closed", "port_unreachable", 0.25)


def test_a_socket_error_with_nothing_queued_is_named_from_its_errno() -> None:
    local = errno_answer(2, errno.EHOSTUNREACH, T, 1.0)
    assert (local.state, local.icmp_error) == ("unreachable", "host_unreachable")
    refused = errno_answer(2, errno.ECONNREFUSED, T, 1.0)
    assert (refused.state, refused.icmp_error) == ("closed", "port_unreachable")


# -- the job, over a scripted prober ---------------------------------------------------------------


@dataclass
class FakeFlight:
    closed: bool = False

    def close(self) -> None:
        self.closed = True


@dataclass
class ScriptedProber:
    """Ends probe N as ``script[N]`` says: an answer (soon, on the loop), silence, or OSError."""

    script: dict[int, PortAnswer | OSError | None]
    method: str = "scripted"
    size: int = 0
    timeout_state: PortState = "open_or_filtered"
    flights: dict[int, FakeFlight] = field(default_factory=dict)

    def launch(self, seq: int, sockaddr: tuple[object, ...], report: Report) -> FakeFlight:
        outcome = self.script[seq]
        if isinstance(outcome, OSError):
            raise outcome
        if outcome is not None:
            asyncio.get_running_loop().call_soon(report, replace(outcome, seq=seq))
        self.flights[seq] = FakeFlight()
        return self.flights[seq]


def run_job(prober: ScriptedProber, count: int) -> list[Event]:
    spec = PortSpec("tcping", 443, count, interval=0.01, timeout=0.05)
    events: list[Event] = []

    async def main() -> None:
        async with ProbeEnv() as env:
            targets = [PortTarget(f"{T}:443", T, spec)]
            await run_targets(targets, None, lambda family: prober, env, events.append)

    asyncio.run(main())
    return events


def test_every_probe_ends_as_exactly_one_of_open_closed_filtered_or_error() -> None:
    prober = ScriptedProber(
        {
            1: PortAnswer(0, 0.2, T, "open"),
            2: PortAnswer(0, 0.4, T, "closed"),
            3: None,
            4: PortAnswer(0, 0.3, R2, "unreachable", "host_unreachable"),
            5: OSError(errno.ENETUNREACH, "Network is unreachable"),
        }
    )
    events = run_job(prober, 5)
    replies = [(e.seq, e.state, e.icmp_error, e.port) for e in events if isinstance(e, ReplyEvent)]
    assert replies == [
        (1, "open", None, 443),
        (2, "closed", None, 443),
        (4, "unreachable", "host_unreachable", 443),
    ]
    timeouts = [(e.seq, e.port, e.state) for e in events if isinstance(e, TimeoutEvent)]
    assert timeouts == [(3, 443, "open_or_filtered")]
    assert prober.flights[3].closed, "a filtered probe's socket is closed at its timeout"
    [error] = [e for e in events if e.type == "error"]
    assert error.code == "send_failed"
    assert "Network is unreachable" in error.message
    summary = events[-1]
    assert isinstance(summary, PingSummaryEvent)
    assert (summary.probe, summary.port, summary.sent, summary.received) == ("tcping", 443, 5, 2)
    assert (summary.errors, summary.loss, summary.min_ms, summary.max_ms) == (2, 60.0, 0.2, 0.4)


def test_the_start_event_names_the_probe_method_and_port() -> None:
    events = run_job(ScriptedProber({1: PortAnswer(0, 0.2, T, "open")}), 1)
    start = events[0]
    assert isinstance(start, StartEvent)
    assert (start.probe, start.method, start.port, start.address) == ("tcping", "scripted", 443, T)


# -- text ------------------------------------------------------------------------------------------


def reply(**kw: Any) -> ReplyEvent:
    fields: dict[str, Any] = {"agent": A, "target": T, "seq": 1, "address": T, "rtt_ms": 0.241}
    fields.update(size=0, port=443)
    return ReplyEvent(**{**fields, **kw})


def test_tcping_lines_name_host_port_sequence_time_and_state() -> None:
    assert render(reply(state="open")) == f"Connected to {T}:443: seq=1 time=0.241 ms (open)"
    assert (
        render(reply(seq=2, rtt_ms=0.19, state="closed"))
        == f"Connection refused by {T}:443: seq=2 time=0.190 ms (closed)"
    )
    timeout = TimeoutEvent(
        agent=A, target=T, seq=3, address=T, timeout_ms=500.0, port=443, state="filtered"
    )
    assert render(timeout) == f"No answer from {T}:443: seq=3 (filtered)"
    unreachable = reply(seq=4, address=R2, icmp_error="host_unreachable", state="unreachable")
    assert render(unreachable) == f"From {R2} seq=4 Destination Host Unreachable"


def test_udp_answers_read_as_port_unreachable_or_bytes_back() -> None:
    closed = reply(port=33434, state="closed", icmp_error="port_unreachable", rtt_ms=0.105)
    assert render(closed) == f"Port unreachable from {T}:33434: seq=1 time=0.105 ms (closed)"
    answer = reply(port=53, state="open", size=12, ttl=62, rtt_ms=0.3)
    assert render(answer) == f"12 bytes from {T}:53: seq=1 ttl=62 time=0.300 ms (open)"
    silence = TimeoutEvent(
        agent=A, target=T, seq=2, address=T, timeout_ms=500.0, port=53, state="open_or_filtered"
    )
    assert render(silence) == f"No answer from {T}:53: seq=2 (open|filtered)"


def test_ipv6_endpoints_are_bracketed() -> None:
    event = reply(address="2001:db8:3::2", state="open")
    assert render(event) == "Connected to [2001:db8:3::2]:443: seq=1 time=0.241 ms (open)"


def test_start_lines_say_what_is_probed_and_how() -> None:
    base: dict[str, Any] = {"agent": A, "address": T, "family": 4}
    tcp = StartEvent(**base, target=T, probe="tcping", method="tcp-connect", size=0, port=443)
    udp = StartEvent(**base, target=T, probe="ping", method="udp", size=56, port=33434)
    assert render(tcp) == f"TCPING {T}:443 ({T}): TCP connect"
    assert render(udp) == f"PING {T}:33434 ({T}): UDP, 56 data bytes"


def test_statistics_count_open_and_closed_as_received_with_errors_apart() -> None:
    summary = PingSummaryEvent(
        agent=A,
        target=f"{T}:443",
        address=T,
        sent=4,
        received=2,
        loss=50.0,
        errors=1,
        min_ms=0.19,
        avg_ms=0.2156,
        max_ms=0.241,
        stddev_ms=0.0256,
        duration_ms=3004.2,
        port=443,
        probe="tcping",
    )
    assert render(summary) == (
        f"\n--- {T}:443 tcping statistics ---\n"
        "4 probes transmitted, 2 received, +1 errors, 50% loss, time 3004ms\n"
        "rtt min/avg/max/mdev = 0.190/0.216/0.241/0.026 ms"
    )


def test_jobs_are_prefixed_by_the_target_as_typed() -> None:
    text = render(reply(target="[2001:db8:3::2]:443", state="open"), TextStyle(prefix_jobs=True))
    assert text is not None
    assert text.startswith("[local [2001:db8:3::2]:443] Connected to 198.18.3.2:443")


def test_events_without_a_port_still_draw_as_icmp_ping_and_path_probes_as_theirs() -> None:
    plain = ReplyEvent(agent=A, target=T, seq=1, address=T, rtt_ms=0.1, size=64, ttl=62)
    assert render(plain) == f"64 bytes from {T}: icmp_seq=1 ttl=62 time=0.100 ms"
    timeout = TimeoutEvent(agent=A, target=T, seq=2, address=T, timeout_ms=1.0)
    assert render(timeout) == "no answer yet for icmp_seq=2"
    trace = StartEvent(
        agent=A, target=T, address=T, family=4, probe="traceroute", method="tcp", size=0, port=443
    )
    assert (render(trace) or "").startswith(f"traceroute to {T} ({T})"), "not tcping's drawer"


# -- real probes on loopback -----------------------------------------------------------------------


def loopbacks() -> Iterator[tuple[Family, str]]:
    yield 4, "127.0.0.1"
    try:
        with socket.socket(socket.AF_INET6, socket.SOCK_DGRAM) as s:
            s.bind(("::1", 0))
    except OSError:
        return
    yield 6, "::1"


LOOPBACKS = list(loopbacks())


def bound(family: Family, host: str, kind: socket.SocketKind) -> socket.socket:
    """A socket bound to a free loopback port (not listening: TCP to it gets a RST)."""
    sock = socket.socket(socket.AF_INET if family == 4 else socket.AF_INET6, kind)
    sock.bind((host, 0))
    return sock


def collect(run: Callable[[ProbeEnv, Callable[[Event], None]], Any]) -> list[Event]:
    events: list[Event] = []

    async def main() -> None:
        async with ProbeEnv() as env:
            await run(env, events.append)

    asyncio.run(main())
    return events


def hostport(host: str, port: int) -> str:
    return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"


def replies(events: list[Event]) -> list[ReplyEvent]:
    return [e for e in events if isinstance(e, ReplyEvent)]


@pytest.mark.parametrize(("family", "host"), LOOPBACKS)
def test_tcping_to_a_listening_loopback_port_connects(family: Family, host: str) -> None:
    with bound(family, host, socket.SOCK_STREAM) as server:
        server.listen()
        cmd = TcpingCommand(
            targets=(hostport(host, server.getsockname()[1]),), count=2, interval=0.01
        )
        events = collect(lambda env, emit: tcping.run(cmd, env, emit))
    assert [(e.seq, e.state, e.address) for e in replies(events)] == [
        (1, "open", host),
        (2, "open", host),
    ]
    assert all(0 < e.rtt_ms < 1000 for e in replies(events))


@pytest.mark.parametrize(("family", "host"), LOOPBACKS)
def test_tcping_to_a_loopback_port_nobody_listens_on_is_refused(family: Family, host: str) -> None:
    with bound(family, host, socket.SOCK_STREAM) as reserved:
        cmd = TcpingCommand(
            targets=(hostport(host, reserved.getsockname()[1]),), count=2, interval=0.01
        )
        events = collect(lambda env, emit: tcping.run(cmd, env, emit))
    assert [(e.state, e.icmp_error) for e in replies(events)] == [("closed", None)] * 2
    summary = events[-1]
    assert isinstance(summary, PingSummaryEvent)
    assert (summary.received, summary.errors, summary.probe) == (2, 0, "tcping")


@pytest.mark.parametrize(("family", "host"), LOOPBACKS)
def test_udp_ping_to_a_closed_loopback_port_is_answered_by_port_unreachable(
    family: Family, host: str
) -> None:
    with bound(family, host, socket.SOCK_DGRAM) as reserved:
        port = reserved.getsockname()[1]
        reserved.close()  # nobody on the port now: the kernel answers port unreachable
        cmd = PingCommand(targets=(host,), proto="udp", port=port, count=2, interval=0.01)
        events = collect(lambda env, emit: portping.run(cmd, env, emit))
    assert [(e.state, e.icmp_error, e.address) for e in replies(events)] == [
        ("closed", "port_unreachable", host)
    ] * 2


class Echo(asyncio.DatagramProtocol):
    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = cast("asyncio.DatagramTransport", transport)

    def datagram_received(self, data: bytes, addr: tuple[str | Any, int]) -> None:
        self.transport.sendto(data[:12], addr)


@pytest.mark.parametrize(("family", "host"), LOOPBACKS)
def test_a_udp_service_that_answers_makes_an_open_reply_with_its_size_and_ttl(
    family: Family, host: str
) -> None:
    async def run(env: ProbeEnv, emit: Callable[[Event], None]) -> None:
        loop = asyncio.get_running_loop()
        transport, _ = await loop.create_datagram_endpoint(Echo, local_addr=(host, 0))
        port = transport.get_extra_info("sockname")[1]
        cmd = PingCommand(targets=(host,), proto="udp", port=port, count=1, size=40)
        try:
            await portping.run(cmd, env, emit)
        finally:
            transport.close()

    [answer] = replies(collect(run))
    assert (answer.state, answer.size, answer.ttl, answer.icmp_error) == ("open", 12, 64, None)
