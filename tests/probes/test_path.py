"""Path bookkeeping without sockets: ordering, the end of the path, hop statistics."""

from __future__ import annotations

import pytest

from cloudping.probes.path.hops import HopAnswer, PathTrace, hop_stats, path_mtu
from cloudping.probes.path.traceroute import PacketSize

R1, R2, T = "198.18.1.1", "198.18.2.2", "198.18.3.2"


def router(address: str, rtt: float = 1.0) -> HopAnswer:
    return HopAnswer(address, rtt, "time_exceeded")


def test_hops_are_released_in_ttl_order_once_all_their_probes_settled() -> None:
    trace = PathTrace(first=1, last=30, queries=2)
    trace.record(2, 0, router(R2))
    trace.record(2, 1, None)
    assert trace.pop_ready() == []  # hop 1 still open
    trace.record(1, 0, router(R1))
    assert trace.pop_ready() == []  # one probe of hop 1 still out
    trace.record(1, 1, router(R1))
    assert [ttl for ttl, _ in trace.pop_ready()] == [1, 2]


def test_the_first_final_answer_ends_the_path_and_later_hops_are_skipped() -> None:
    trace = PathTrace(first=1, last=30, queries=1)
    trace.record(4, 0, HopAnswer(T, 1.0, None, final=True))
    trace.record(3, 0, HopAnswer(T, 1.0, None, final=True))
    assert trace.end == 3
    assert trace.beyond_end(4)
    assert not trace.beyond_end(3)
    for ttl in (1, 2):
        trace.record(ttl, 0, router(R1))
    assert [ttl for ttl, _ in trace.pop_ready()] == [1, 2, 3]
    assert trace.done
    assert trace.reached


def test_an_unreachable_error_ends_the_path_without_reaching_it() -> None:
    trace = PathTrace(first=1, last=5, queries=1)
    trace.record(1, 0, HopAnswer(R1, 1.0, "host_unreachable", final=True))
    assert [ttl for ttl, _ in trace.pop_ready()] == [1]
    assert trace.done
    assert not trace.reached


def test_hop_statistics_count_every_responder_and_the_losses() -> None:
    answers = [router(R2, 1.0), None, router("198.18.2.3", 3.0), router(R2, 2.0)]
    stats = hop_stats(2, answers, {R2: "r2.lab"})
    assert stats.addresses == (R2, "198.18.2.3")
    assert stats.names == ("r2.lab", None)
    assert (stats.sent, stats.received, stats.loss) == (4, 3, 25.0)
    assert (stats.best_ms, stats.avg_ms, stats.worst_ms, stats.last_ms) == (1.0, 2.0, 3.0, 2.0)


def test_path_mtu_is_the_smallest_reported() -> None:
    answers = [
        HopAnswer(R1, 1.0, "frag_needed", mtu=1400),
        None,
        HopAnswer(R2, 1.0, "frag_needed", mtu=1280),
    ]
    assert path_mtu(answers) == 1280
    assert path_mtu([router(R1)]) is None


@pytest.mark.parametrize(("mtu", "payload"), [(1400, 1372), (2000, 1472), (20, 0)])
def test_packets_shrink_to_fit_a_reported_mtu_and_never_grow(mtu: int, payload: int) -> None:
    size = PacketSize(payload=1472, overhead=28)
    size.shrink(mtu)
    assert size.payload == payload
    assert size.mtus == [mtu]
