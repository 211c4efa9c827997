"""The stream frame: the first and last words every runner writes the same way."""

from __future__ import annotations

from cloudping.events import ErrorEvent, ReplyEvent
from cloudping.events.frame import StreamFrame


def reply() -> ReplyEvent:
    return ReplyEvent(agent="a", target="t", seq=1, address="198.18.0.1", rtt_ms=1.0, size=64)


def test_a_stream_without_errors_ends_ok_with_its_duration() -> None:
    frame = StreamFrame("m1", 100.0)
    opening = frame.opening("ping t", ["a"])
    frame.saw(reply())
    end = frame.ending(100.25)
    assert (opening.id, opening.command, opening.agents) == ("m1", "ping t", ("a",))
    assert (end.id, end.status, end.duration_ms) == ("m1", "ok", 250.0)


def test_an_error_event_makes_the_end_error() -> None:
    frame = StreamFrame("m1", 0.0)
    frame.saw(ErrorEvent(code="timeout", message="late", agent="a"))
    frame.saw(reply())
    assert frame.ending(1.0).status == "error"


def test_a_cancel_wins_over_an_earlier_error() -> None:
    frame = StreamFrame("m1", 0.0)
    frame.saw(ErrorEvent(code="timeout", message="late"))
    frame.cancel()
    assert frame.ending(1.0).status == "cancelled"


def test_a_bug_is_an_internal_error_event_naming_only_its_type() -> None:
    frame = StreamFrame("m1", 0.0)
    error = frame.internal_error(KeyError("secret detail"))
    assert (error.code, error.message) == ("internal_error", "internal error: KeyError")
    assert frame.ending(0.0).status == "error"
