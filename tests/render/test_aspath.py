"""Issue 18: a path's expected AS path (the hub's BGP view) beside the ASNs its hops answered
from, in the text, the picture's report and the MCP result; a hop network BGP does not show
on the way is marked ``!``; a summary without an expected path shows nothing new."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime

from recorded import load

from cloudping.channels.mcp.digest import tool_result
from cloudping.events import Event, ExpectedPath, PathSummaryEvent, Responder
from cloudping.render import render
from cloudping.render.aspath import seen_asns
from cloudping.render.budget import LEVELS
from cloudping.render.reports import Table, report
from cloudping.render.snapshot import Snapshot

WHEN = datetime(2026, 12, 8, 3, 0, 0, tzinfo=UTC)
BGP = (
    ExpectedPath(prefix="198.18.3.0/24", as_path=(65001, 4200000002, 65003), visibility=2, peers=3),
    ExpectedPath(prefix="198.18.3.0/24", as_path=(65009, (65003, 65004)), visibility=1, peers=3),
)


def recorded(command: str) -> tuple[list[Event], PathSummaryEvent]:
    events = load(command)
    [summary] = [e for e in events if isinstance(e, PathSummaryEvent)]
    return events, summary


def annotated(summary: PathSummaryEvent, *asns: int | None) -> PathSummaryEvent:
    """``summary`` with hop ``i``'s responders in AS ``asns[i]``, and the expected paths."""
    hops = tuple(
        replace(hop, responders=tuple(Responder(address=a, asn=asn) for a in hop.addresses))
        for hop, asn in zip(summary.hops, asns, strict=True)
    )
    return replace(summary, hops=hops, expected_paths=BGP)


def text(summary: PathSummaryEvent) -> str:
    shown = render(summary)
    assert shown is not None
    return shown


def swapped(events: list[Event], summary: PathSummaryEvent) -> list[Event]:
    return [summary if isinstance(e, PathSummaryEvent) else e for e in events]


def test_a_run_of_hops_in_one_network_is_one_asn_and_unknown_ones_are_skipped() -> None:
    _, summary = recorded("traceroute")
    assert seen_asns(annotated(summary, 65001, None, 65001).hops) == (65001,)
    assert seen_asns(annotated(summary, 65001, 65002, 65001).hops) == (65001, 65002, 65001)


def test_traceroute_text_shows_both_paths_and_marks_a_network_bgp_does_not_show() -> None:
    _, summary = recorded("traceroute")
    lines = text(annotated(summary, 65001, 64999, 65003)).splitlines()
    assert lines[-1] == (
        "AS path: BGP 65001 4200000002 65003 (2/3 peers), 65009 {65003,65004} (1/3 peers)"
        " | seen 65001 !64999 65003"
    )
    agreeing = text(annotated(summary, 65001, 4200000002, 65003)).splitlines()[-1]
    assert agreeing.endswith("| seen 65001 4200000002 65003")


def test_mtr_report_ends_with_the_as_path_line() -> None:
    _, summary = recorded("mtr")
    asns = [65001] * (len(summary.hops) - 1) + [65003]
    lines = text(annotated(summary, *asns)).splitlines()
    assert lines[0].startswith("HOST: ")
    assert lines[-1].endswith("| seen 65001 65003")


def test_a_summary_without_expected_paths_renders_as_before() -> None:
    for command in ("traceroute", "mtr"):
        _, summary = recorded(command)
        assert "AS path" not in text(summary)
        [_table] = report(command, Snapshot.of([summary]), WHEN).sections


def test_the_picture_report_has_an_as_path_table_after_the_hop_table() -> None:
    events, summary = recorded("traceroute")
    shown = swapped(events, annotated(summary, 65001, 64999, 65003))
    hops, as_path = report("traceroute", Snapshot.of(shown), WHEN).sections
    assert isinstance(hops, Table)
    assert isinstance(as_path, Table)
    assert as_path.title == "local -> 198.18.3.2: AS path (198.18.3.0/24)"
    rows = [[cell.text for cell in row] for row in as_path.rows]
    assert rows == [
        ["BGP", "65001 4200000002 65003", "2/3"],
        ["BGP", "65009 {65003,65004}", "1/3"],
        ["seen", "65001 !64999 65003", ""],
    ]


def test_the_mcp_result_carries_both_paths_side_by_side() -> None:
    events, summary = recorded("traceroute")
    shown = swapped(events, annotated(summary, 65001, 64999, 65003))
    [job] = tool_result(Snapshot.of(shown), "traceroute 198.18.3.2", LEVELS[-1]).results
    assert job.path is not None
    assert job.path.as_path == (
        "BGP 65001 4200000002 65003 (2/3 peers), 65009 {65003,65004} (1/3 peers)"
        " | seen 65001 !64999 65003"
    )
    [plain] = tool_result(Snapshot.of(events), "traceroute 198.18.3.2", LEVELS[-1]).results
    assert plain.path is not None
    assert plain.path.as_path is None
