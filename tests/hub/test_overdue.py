"""When a job is overdue, with literal times."""

from __future__ import annotations

from cloudping.commands import parse
from cloudping.hub.overdue import Deadlines, overdue_at, promised_duration


def test_a_ping_promises_its_last_probe_plus_its_timeout() -> None:
    assert promised_duration(parse("ping -c 20 -i 0.2 -W 2 example.com")) == 0.2 * 19 + 2
    assert promised_duration(parse("tcping -c 3 -i 1 -W 0.5 example.com")) == 2.5


def test_commands_whose_length_the_hub_cannot_tell_are_never_overdue() -> None:
    assert overdue_at(parse("traceroute example.com"), 100.0, 8.0) is None
    assert overdue_at(parse("http https://example.com/"), 100.0, 8.0) is None


def test_a_job_is_overdue_its_slack_after_its_promised_end() -> None:
    at = overdue_at(parse("ping -c 20 -i 0.2 -W 2 example.com"), 100.0, 8.0)
    assert at == 100.0 + 3.8 + 2 + 8.0


def _deadlines() -> Deadlines:
    deadlines = Deadlines()
    for job_id, at in (("m.1", 10.0), ("m.2", 12.0), ("m.3", 9.0), ("m.4", 11.0)):
        deadlines.add(job_id, at)
    return deadlines


def test_only_open_jobs_past_their_time_are_overdue_in_offer_order_and_once() -> None:
    deadlines = _deadlines()
    everyone = {"m.1", "m.2", "m.3", "m.4"}
    assert deadlines.overdue(everyone, 9.5) == ["m.3"]
    assert deadlines.overdue(everyone, 12.0) == ["m.1", "m.2", "m.4"]
    assert deadlines.overdue(everyone, 13.0) == []
    assert _deadlines().overdue({"m.2"}, 12.0) == ["m.2"]


def test_the_next_deadline_is_the_earliest_of_the_open_jobs() -> None:
    deadlines = _deadlines()
    assert deadlines.next_due({"m.1", "m.2", "m.3", "m.4"}) == 9.0
    assert deadlines.next_due({"m.1", "m.2"}) == 10.0
    assert deadlines.next_due({"m.2"}) == 12.0
    assert deadlines.next_due(set()) is None
