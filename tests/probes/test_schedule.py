"""The ping schedule with literal times: no clock, no sleeps."""

from __future__ import annotations

from cloudping.probes.schedule import Outcome, PingSchedule


def test_probes_keep_the_rate_of_the_interval_grid() -> None:
    s = PingSchedule(count=3, interval=1.0, timeout=2.0, start=10.0)
    assert s.due_send(9.9) is None
    assert s.due_send(10.0) == 1
    s.mark_sent(1, 10.001)
    assert s.due_send(10.5) is None
    assert s.next_deadline() == 11.0  # on the grid, not 11.001: no drift
    s.mark_sent(2, 11.2)  # a little late: the next stays on the grid
    assert s.due_send(12.0) == 3


def test_a_very_late_send_never_makes_a_burst() -> None:
    s = PingSchedule(count=3, interval=1.0, timeout=5.0, start=0.0)
    s.mark_sent(1, 0.0)
    s.mark_sent(2, 3.5)  # due at 1.0, sent 2.5 s late
    assert s.due_send(3.9) is None
    assert s.due_send(4.0) == 3  # half an interval later, not at once


def test_unanswered_probes_time_out_once_at_their_deadline() -> None:
    s = PingSchedule(count=1, interval=1.0, timeout=2.0, start=0.0)
    s.mark_sent(1, 0.0)
    assert s.expire(1.99) == []
    assert s.expire(2.0) == [1]
    assert s.expire(5.0) == []
    assert s.done


def test_every_answer_is_classified_by_the_probe_state() -> None:
    s = PingSchedule(count=3, interval=1.0, timeout=1.0, start=0.0)
    for seq in (1, 2, 3):
        s.mark_sent(seq, float(seq))
    assert s.answer(1, is_reply=True) is Outcome.REPLY
    assert s.answer(1, is_reply=True) is Outcome.DUPLICATE
    assert s.answer(2, is_reply=False) is Outcome.ERROR
    assert s.expire(10.0) == [3]
    assert s.answer(3, is_reply=True) is Outcome.LATE
    assert s.answer(99, is_reply=True) is Outcome.UNKNOWN


def test_a_reply_after_an_icmp_error_still_counts_as_received() -> None:
    s = PingSchedule(count=1, interval=1.0, timeout=1.0, start=0.0)
    s.mark_sent(1, 0.0)
    assert s.answer(1, is_reply=False) is Outcome.ERROR
    assert s.answer(1, is_reply=True) is Outcome.REPLY


def test_the_schedule_is_done_when_all_are_sent_and_settled() -> None:
    s = PingSchedule(count=2, interval=0.5, timeout=1.0, start=0.0)
    s.mark_sent(1, 0.0)
    s.answer(1, is_reply=True)
    assert not s.done
    s.mark_sent(2, 0.5)
    assert s.next_deadline() == 1.5
    s.answer(2, is_reply=True)
    assert s.done
    assert s.next_deadline() is None
