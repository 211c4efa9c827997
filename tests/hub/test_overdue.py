"""When a job is overdue, with literal times."""

from __future__ import annotations

from cloudping.commands import parse
from cloudping.hub.overdue import next_due, overdue_at, overdue_jobs, promised_duration


def test_a_ping_promises_its_last_probe_plus_its_timeout() -> None:
    assert promised_duration(parse("ping -c 20 -i 0.2 -W 2 example.com")) == 0.2 * 19 + 2
    assert promised_duration(parse("tcping -c 3 -i 1 -W 0.5 example.com")) == 2.5


def test_commands_whose_length_the_hub_cannot_tell_are_never_overdue() -> None:
    assert overdue_at(parse("traceroute example.com"), 100.0, 8.0) is None
    assert overdue_at(parse("http https://example.com/"), 100.0, 8.0) is None


def test_a_job_is_overdue_its_slack_after_its_promised_end() -> None:
    at = overdue_at(parse("ping -c 20 -i 0.2 -W 2 example.com"), 100.0, 8.0)
    assert at == 100.0 + 3.8 + 2 + 8.0


def test_only_open_jobs_past_their_time_are_overdue_in_offer_order() -> None:
    due = {"m.1": 10.0, "m.2": 12.0, "m.3": 9.0}
    assert overdue_jobs(due, frozenset({"m.1", "m.2", "m.3"}), 9.5) == ["m.3"]
    assert overdue_jobs(due, frozenset({"m.1", "m.2", "m.3"}), 12.0) == ["m.1", "m.2", "m.3"]
    assert overdue_jobs(due, frozenset({"m.2"}), 12.0) == ["m.2"]
    assert next_due(due, frozenset({"m.1", "m.2"})) == 10.0
    assert next_due(due, frozenset()) is None
