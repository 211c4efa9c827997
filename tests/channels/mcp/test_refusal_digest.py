"""An MCP tool's result keeps the rule of a refusal, and judges a closed tcping port unanswered."""

from __future__ import annotations

from cloudping.channels.mcp.digest import tool_result
from cloudping.events import EndEvent, ErrorEvent, Event, MeasurementEvent, PingSummaryEvent
from cloudping.render.budget import LEVELS
from cloudping.render.snapshot import Snapshot

FULL = LEVELS[0]


def _framed(*events: Event) -> list[Event]:
    first = MeasurementEvent(id="m1", command="x", agents=("local",))
    return [first, *events, EndEvent(id="m1", status="ok", duration_ms=1.0)]


def test_a_refused_job_names_the_rule() -> None:
    refused = ErrorEvent(
        code="policy_denied", message="...", agent="local", target="127.0.0.1", rule="scope"
    )
    [job] = tool_result(Snapshot.of(_framed(refused)), "ping 127.0.0.1", FULL).results
    assert job.error is not None
    assert (job.error.code, job.error.rule) == ("policy_denied", "scope")


def test_a_tcping_whose_connects_were_refused_is_no_answer() -> None:
    closed = PingSummaryEvent(
        agent="local", target="127.0.0.1:9", address="127.0.0.1", sent=2, received=2, loss=0,
        port=9, open=0, probe="tcping",
    )  # fmt: skip
    [job] = tool_result(Snapshot.of(_framed(closed)), "tcping 127.0.0.1:9", FULL).results
    assert job.verdict == "no_answer"
