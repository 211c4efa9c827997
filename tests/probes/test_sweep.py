"""The sweep's pure parts with literal times: pacer, plan (timeouts, retries), ranges."""

from __future__ import annotations

import ipaddress
import socket
import struct

import pytest

from cloudping.events.ranges import address_at, compress, offset_of, runs
from cloudping.probes.scan.base import Verdict, judge
from cloudping.probes.scan.pacer import Pacer, burst_for
from cloudping.probes.scan.plan import Cell, SweepPlan
from cloudping.probes.scan.udp import parse_recverr

NET4 = ipaddress.ip_network("198.18.3.0/24")
NET6 = ipaddress.ip_network("2001:db8:3::/120")


def test_pacer_without_burst_spaces_packets_by_the_interval() -> None:
    pacer = Pacer(rate=1000)
    assert pacer.next_send(5.0) == 5.0
    assert pacer.sent(5.0) == pytest.approx(5.001)  # burst 1: empty or full is the same
    assert pacer.next_send(5.0005) == pytest.approx(5.001)
    assert pacer.sent(5.001) == pytest.approx(5.002)


def test_pacer_burst_lets_a_late_wakeup_catch_up_but_no_more() -> None:
    pacer = Pacer(rate=100, burst=3)
    assert pacer.sent(0.0) == pytest.approx(0.01)  # it starts empty: no burst at first
    assert pacer.next_send(0.035) == 0.035  # woke 25 ms late: may catch up ...
    assert [pacer.sent(0.035) for _ in range(3)] == pytest.approx([0.035, 0.035, 0.045])
    assert pacer.sent(10.0) == 10.0  # after an idle spell: a burst, never a backlog
    assert pacer.sent(10.0) == pytest.approx(10.0)
    assert pacer.sent(10.0) == pytest.approx(10.01)


def test_pacer_holds_the_rate_over_many_packets() -> None:
    pacer = Pacer(rate=10_000, burst=burst_for(10_000))
    now, sent = 0.0, 0
    while now < 1.0:  # a loop that wakes every millisecond and sends what is allowed
        while pacer.next_send(now) <= now:
            pacer.sent(now)
            sent += 1
        now = round(now + 0.001, 6)
    assert 9_990 <= sent <= 10_001


def test_pacer_refuses_nonsense() -> None:
    with pytest.raises(ValueError, match="rate"):
        Pacer(rate=0)
    assert burst_for(10_000) == 100
    assert burst_for(10) == 1


def _send_all(plan: SweepPlan, now: float) -> list[int]:
    sent = []
    while (offset := plan.peek()) is not None:
        plan.mark_sent(offset, now)
        sent.append(offset)
    return sent


def test_plan_first_pass_in_address_order_then_retries_of_the_silent() -> None:
    plan = SweepPlan(total=4, timeout=1.0, retries=1)
    assert _send_all(plan, 0.0) == [0, 1, 2, 3]
    assert plan.answer(1, Cell.ALIVE)
    assert plan.answer(2, Cell.UNREACHABLE)
    assert plan.expire(0.99) == []
    assert plan.expire(1.0) == [0, 3]
    assert _send_all(plan, 1.5) == [0, 3]  # the retry pass
    assert plan.expire(2.5) == [0, 3]
    assert plan.peek() is None  # retries used up
    assert plan.done
    assert (plan.sent, plan.probed, plan.in_flight) == (6, 4, 0)
    assert plan.offsets(Cell.SILENT) == [0, 3]


def test_plan_answers_count_once_and_late_ones_not_at_all() -> None:
    plan = SweepPlan(total=2, timeout=1.0, retries=0)
    _send_all(plan, 0.0)
    assert plan.answer(0, Cell.ALIVE)
    assert not plan.answer(0, Cell.ALIVE)  # a duplicate
    assert plan.expire(1.0) == [1]
    assert not plan.answer(1, Cell.ALIVE)  # after its timeout
    assert plan.next_deadline() is None
    assert plan.done


def test_plan_in_flight_bound_holds_sends_until_a_timeout() -> None:
    plan = SweepPlan(total=10, timeout=1.0, retries=0, max_in_flight=3)
    assert _send_all(plan, 0.0) == [0, 1, 2]
    assert plan.next_deadline() == 1.0
    plan.answer(0, Cell.ALIVE)
    assert _send_all(plan, 0.5) == [3]
    assert plan.expire(1.0) == [1, 2]
    assert _send_all(plan, 1.0) == [4, 5]


def test_plan_failed_sends_are_final_and_not_in_flight() -> None:
    plan = SweepPlan(total=2, timeout=1.0, retries=3)
    plan.mark_failed(0)
    plan.mark_sent(1, 0.0)
    assert (plan.sent, plan.in_flight, plan.probed) == (1, 1, 2)
    with pytest.raises(ValueError, match="not the one due"):
        plan.mark_sent(0, 0.0)
    assert plan.states[0] == Cell.FAILED


def test_runs_merge_consecutive_offsets() -> None:
    assert runs([5, 1, 2, 3, 9, 2]) == [(1, 3), (5, 5), (9, 9)]
    assert runs([]) == []


@pytest.mark.parametrize(
    ("network", "offsets", "expected"),
    [
        (NET4, [*range(10, 20), 100], ("198.18.3.10-198.18.3.19", "198.18.3.100")),
        (NET4, [0, 255], ("198.18.3.0", "198.18.3.255")),
        (NET6, [1, 2, 16], ("2001:db8:3::1-2001:db8:3::2", "2001:db8:3::10")),
        (NET4, [], ()),
    ],
)
def test_compress_writes_runs_as_address_ranges(
    network: ipaddress.IPv4Network | ipaddress.IPv6Network,
    offsets: list[int],
    expected: tuple[str, ...],
) -> None:
    assert compress(network, offsets) == expected


def test_offsets_and_addresses_are_inverse() -> None:
    assert address_at(NET4, 77) == "198.18.3.77"
    assert address_at(NET6, 255) == "2001:db8:3::ff"
    assert offset_of(NET4, "198.18.3.77") == 77
    assert offset_of(NET6, "2001:db8:3::ff") == 255
    assert offset_of(NET4, "198.18.4.1") is None
    assert offset_of(NET4, "2001:db8:3::1") is None
    assert offset_of(NET4, "nonsense") is None


def test_an_icmp_error_from_the_address_itself_proves_it_is_up() -> None:
    assert judge("198.18.3.9", None, "198.18.3.9", 0.5) == Verdict(Cell.ALIVE, 0.5)
    assert judge("198.18.3.9", "port_unreachable", "198.18.3.9", 0.5).state is Cell.ALIVE
    router = judge("198.18.3.9", "host_unreachable", "198.18.3.1", 3.0)
    assert router == Verdict(Cell.UNREACHABLE, 3.0, "host_unreachable", "198.18.3.1")


def _extended_err(origin: int, icmp_type: int, code: int, offender: bytes) -> bytes:
    return struct.pack("=IBBBxII", 111, origin, icmp_type, code, 0, 0) + offender


def test_recverr_names_the_error_and_its_sender() -> None:
    sin = struct.pack("=HH4s8x", socket.AF_INET, 0, socket.inet_aton("198.18.3.1"))
    assert parse_recverr(_extended_err(2, 3, 1, sin)) == ("host_unreachable", "198.18.3.1")
    sin6 = struct.pack(
        "=HHI16sI", socket.AF_INET6, 0, 0, socket.inet_pton(socket.AF_INET6, "2001:db8:3::2"), 0
    )
    assert parse_recverr(_extended_err(3, 1, 4, sin6)) == ("port_unreachable", "2001:db8:3::2")
    assert parse_recverr(_extended_err(1, 0, 0, b"")) is None  # a local error: not ICMP
    assert parse_recverr(b"short") is None
