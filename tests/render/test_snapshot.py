"""The measurement so far: a fold of recorded streams, batch by batch, into jobs and states."""

from __future__ import annotations

from recorded import load

from cloudping.events import EndEvent, ErrorEvent, MeasurementEvent, ReplyEvent, TimeoutEvent
from cloudping.render.snapshot import Snapshot


def test_folding_in_batches_is_folding_all_at_once() -> None:
    events = load("ping")
    batched = Snapshot()
    for start in range(0, len(events), 3):
        batched.add(events[start : start + 3])
    whole = Snapshot.of(events)
    assert batched == whole
    assert whole.count == len(events)


def test_jobs_keep_their_rows_and_results_in_the_order_they_appeared() -> None:
    snapshot = Snapshot.of(load("ping"))
    assert snapshot.agents == ["local"]
    assert snapshot.targets == ["198.18.3.2", "2001:db8:3::2", "198.18.99.1"]
    fast, _, dead = snapshot.jobs.values()
    assert [type(row) for row in fast.rows] == [ReplyEvent] * 4
    assert [type(row) for row in dead.rows] == [TimeoutEvent] * 4
    assert [job.state for job in snapshot.jobs.values()] == ["done"] * 3
    assert snapshot.end is not None
    assert snapshot.end.status == "ok"


def test_a_job_runs_until_its_result_and_fails_with_an_error_or_an_early_end() -> None:
    events = load("ping")
    running = Snapshot.of(events[:8])
    assert [job.state for job in running.jobs.values()] == ["running"] * 3
    assert running.end is None
    failed = Snapshot.of(events[:8]).add(
        [ErrorEvent(code="agent_lost", message="gone", agent="local", target="198.18.99.1")]
    )
    assert failed.jobs[("local", "198.18.99.1")].state == "error"
    ended = Snapshot.of(events[:8]).add([EndEvent(id="x", status="cancelled", duration_ms=1.0)])
    assert [job.state for job in ended.jobs.values()] == ["error"] * 3


def test_hops_answers_and_scan_finds_are_kept_per_job() -> None:
    [trace] = Snapshot.of(load("traceroute")).jobs.values()
    assert [hop.ttl for hop in trace.hops] == [1, 2, 3]
    [mtr] = Snapshot.of(load("mtr")).jobs.values()
    assert [(hop.round, hop.ttl) for hop in mtr.hops][:4] == [(1, 1), (1, 2), (1, 3), (2, 1)]
    [dns] = Snapshot.of(load("dns")).jobs.values()
    assert [o.type for o in dns.outcomes] == ["dns"]
    [scan] = Snapshot.of(load("scan")).jobs.values()
    assert [found.address for found in scan.found] == ["198.18.3.1", "198.18.3.2"]


def test_measurement_errors_are_kept_apart_and_agents_come_from_the_first_event() -> None:
    snapshot = Snapshot.of(
        [
            MeasurementEvent(id="m", command="ping x", agents=("fra1", "ams1")),
            ErrorEvent(code="no_agent_matched", message="none"),
        ]
    )
    assert snapshot.agents == ["fra1", "ams1"]
    assert [e.code for e in snapshot.errors] == ["no_agent_matched"]
    assert snapshot.jobs == {}
