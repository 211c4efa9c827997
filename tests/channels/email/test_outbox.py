"""The outbound queue: kept on disk, due on a growing schedule, a half-written entry removed."""

from __future__ import annotations

from pathlib import Path

import pytest

from cloudping.channels.email.outbox import Backoff, Outbox


def test_an_entry_survives_a_new_outbox_on_the_same_directory(tmp_path: Path) -> None:
    first = Outbox(tmp_path / "q")
    entry = first.put(b"message", "ping@hub.lab", ("ann@ops.lab",), now=100.0)
    again = Outbox(tmp_path / "q")
    assert again.entries() == [entry]
    assert again.message(entry) == b"message"
    again.remove(entry)
    assert Outbox(tmp_path / "q").entries() == []


def test_a_failed_attempt_is_due_after_a_doubling_pause(tmp_path: Path) -> None:
    outbox = Outbox(tmp_path, Backoff(first_s=10, most_s=35))
    entry = outbox.put(b"m", "a@x.lab", ("b@y.lab",), now=0.0)
    entry = outbox.failed(entry, now=1.0)
    assert (entry.attempts, entry.due) == (1, 11.0)
    entry = outbox.failed(entry, now=11.0)
    assert entry.due == 31.0
    entry = outbox.failed(entry, now=31.0)
    assert entry.due == 66.0  # at most 35 s
    assert outbox.entries() == [entry]


def test_a_message_without_its_envelope_is_what_a_crash_left_and_is_removed(
    tmp_path: Path,
) -> None:
    (tmp_path / "half.eml").write_bytes(b"cut short")
    assert Outbox(tmp_path).entries() == []
    assert not (tmp_path / "half.eml").exists()


def test_a_backoff_needs_positive_pauses() -> None:
    with pytest.raises(ValueError, match="positive"):
        Backoff(first_s=0)
