"""Progress from events: done of total, only ever up, with a one-line message."""

from __future__ import annotations

from cloudping.commands import parse
from cloudping.events import (
    EndEvent,
    ErrorEvent,
    HopEvent,
    HopProbe,
    MeasurementEvent,
    ReplyEvent,
    TimeoutEvent,
)
from cloudping.render.progress import Progress
from cloudping.testing import path_events, ping_events


def started(progress: Progress, *agents: str) -> None:
    progress.observe(MeasurementEvent(id="m1", command="x", agents=agents))


def reply(seq: int, *, duplicate: bool = False, target: str = "a.example") -> ReplyEvent:
    return ReplyEvent(
        agent="fra1", target=target, seq=seq, address="192.0.2.1", rtt_ms=1.0, size=64,
        duplicate=duplicate,
    )  # fmt: skip


def test_the_total_is_known_once_the_agents_are() -> None:
    command = parse("ping -c 3 a.example b.example")
    assert Progress(command).total is None
    progress = Progress(command)
    started(progress, "fra1", "ams1")
    assert (progress.done, progress.total) == (0, 12)  # 2 agents x 2 targets x 3 packets
    assert progress.message == "measurement m1 started on fra1, ams1"


def test_each_answered_or_timed_out_packet_counts_once() -> None:
    progress = Progress(parse("ping -c 3 a.example"))
    started(progress, "fra1")
    progress.observe(reply(1))
    progress.observe(reply(1, duplicate=True))
    timeout = TimeoutEvent(
        agent="fra1", target="a.example", seq=2, address="192.0.2.1", timeout_ms=1000.0
    )
    progress.observe(timeout)
    assert progress.done == 2
    assert progress.message is not None
    assert progress.message.startswith("[fra1 a.example]")


def test_a_summary_or_an_error_completes_its_job_and_end_completes_all() -> None:
    progress = Progress(parse("ping -c 4 a.example b.example"))
    started(progress, "fra1")
    for event in ping_events("fra1", "a.example", 4)[-1:]:
        progress.observe(event)
    assert progress.done == 4
    progress.observe(ErrorEvent(code="timeout", message="m", agent="fra1", target="b.example"))
    assert progress.done == 8 == progress.total
    progress.observe(EndEvent(id="m1", status="ok", duration_ms=1.0))
    assert progress.done == progress.total


def test_a_job_never_counts_past_its_share() -> None:
    progress = Progress(parse("ping -c 2 a.example"))
    started(progress, "fra1")
    for seq in range(1, 6):
        progress.observe(reply(seq))
    assert progress.done == 2


def test_traceroute_counts_hops_up_to_max_hops() -> None:
    progress = Progress(parse("traceroute -f 2 -m 11 a.example"))
    started(progress, "fra1")
    assert progress.total == 10
    hop = HopEvent(agent="fra1", target="a.example", ttl=2, probes=(HopProbe(),))
    progress.observe(hop)
    progress.observe(hop)
    assert progress.done == 2
    progress.observe(path_events("fra1", "a.example", 4)[-1])
    assert progress.done == 10


def test_mtr_counts_finished_rounds() -> None:
    progress = Progress(parse("mtr -c 5 a.example"))
    started(progress, "fra1")
    assert progress.total == 5
    for round_ in (1, 1, 2, 3, 3):
        progress.observe(
            HopEvent(
                agent="fra1", target="a.example", ttl=1, probes=(HopProbe(),), round=round_,
                probe="mtr",
            )
        )  # fmt: skip
    assert progress.done == 2  # rounds 1 and 2 are over while round 3 runs
