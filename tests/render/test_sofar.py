"""The statistics a stream cut short still gives: the rows seen, folded as ping folds them."""

from __future__ import annotations

from cloudping.events import (
    EndEvent,
    ErrorEvent,
    Event,
    PingSummaryEvent,
    ReplyEvent,
    StartEvent,
    TimeoutEvent,
)
from cloudping.events.verdict import answered
from cloudping.render.sofar import Missing, SoFar

ADDRESS = "198.18.3.2"


def _start(target: str, probe: str = "ping") -> StartEvent:
    return StartEvent(
        agent="a", target=target, address=ADDRESS, family=4, probe=probe, method="raw", size=56
    )


def _reply(
    seq: int, rtt: float, *, duplicate: bool = False, late: bool = False, error: str | None = None
) -> ReplyEvent:
    return ReplyEvent(
        agent="a", target="t", seq=seq, address=ADDRESS, rtt_ms=rtt, size=64,
        duplicate=duplicate, late=late, icmp_error=error,
    )  # fmt: skip


def test_rows_fold_into_ping_statistics_with_duplicates_late_and_errors_apart() -> None:
    rows: list[Event] = [
        _reply(1, 2.0),
        _reply(1, 2.5, duplicate=True),
        TimeoutEvent(agent="a", target="t", seq=2, address=ADDRESS, timeout_ms=1000.0),
        _reply(2, 1500.0, late=True),
        _reply(3, 0.0, error="host_unreachable"),
        _reply(4, 4.0),
    ]
    (result,) = fold([_start("t"), *rows]).results(812.5)
    assert isinstance(result, PingSummaryEvent)
    assert (result.sent, result.received, result.loss) == (4, 2, 50.0)
    assert (result.duplicates, result.late, result.errors) == (1, 1, 1)
    assert (result.min_ms, result.avg_ms, result.max_ms, result.stddev_ms) == (2.0, 3.0, 4.0, 1.0)
    assert result.duration_ms == 812.5


def test_jobs_with_a_result_or_an_error_are_left_out_and_the_rest_are_missing() -> None:
    events: list[Event] = [
        _start("t"),
        PingSummaryEvent(agent="a", target="t", address=ADDRESS, sent=1, received=1, loss=0.0),
        _start("u"),
        ErrorEvent(code="resolve_failed", message="u: no address", agent="a", target="u"),
        _start("v", probe="mtr"),
        _start("w"),
    ]
    assert fold(events).results(0.0) == [Missing("a", "v"), Missing("a", "w")]


def test_the_streams_own_duration_wins_once_its_end_came() -> None:
    rows: list[Event] = [_start("t"), _reply(1, 2.0)]
    end = EndEvent(id="m", status="cancelled", duration_ms=1500.0)
    (result,) = fold([*rows, end]).results(9999.0)
    assert isinstance(result, PingSummaryEvent)
    assert result.duration_ms == 1500.0


def fold(events: list[Event]) -> SoFar:
    so_far = SoFar()
    for event in events:
        so_far.add(event)
    return so_far


def test_a_tcping_cut_short_counts_its_open_connects_for_the_verdict() -> None:
    closed: list[Event] = [
        _start("t", probe="tcping"),
        ReplyEvent(
            agent="a", target="t", seq=1, address=ADDRESS, rtt_ms=0.1, size=0, state="closed"
        ),
    ]
    sofar = SoFar()
    for event in closed:
        sofar.add(event)
    [summary] = sofar.results(elapsed_ms=5.0)
    assert isinstance(summary, PingSummaryEvent)
    assert (summary.received, summary.open) == (1, 0)  # the host answered; the port is shut
    assert answered(summary) is False
