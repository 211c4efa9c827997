"""The sliding window behind measurements per hour: pure, time passed in."""

from __future__ import annotations

from cloudping.service import SlidingWindow


def test_a_subject_under_the_limit_may_go() -> None:
    window = SlidingWindow(3600)
    window.record("alice", 0.0)
    assert window.retry_after("alice", 2, 1.0) is None


def test_at_the_limit_the_wait_is_until_the_oldest_leaves_the_window() -> None:
    window = SlidingWindow(3600)
    window.record("alice", 100.0)
    window.record("alice", 200.0)
    assert window.retry_after("alice", 2, 300.0) == 3400.0


def test_events_older_than_the_window_no_longer_count() -> None:
    window = SlidingWindow(10)
    window.record("alice", 0.0)
    assert window.used("alice", 10.0) == 0
    assert window.retry_after("alice", 1, 10.0) is None


def test_subjects_are_counted_apart() -> None:
    window = SlidingWindow(10)
    window.record("alice", 0.0)
    assert window.retry_after("bob", 1, 1.0) is None
    assert window.retry_after("alice", 1, 1.0) == 9.0
