"""The outbound queue, kept in the data directory so that nothing accepted is lost: a reply
waits there until the relay takes it, across restarts, retried with growing pauses; only a
permanent refusal (5xx) removes it unsent (logged).

One entry is two files, ``<id>.eml`` (the signed message, written first) and ``<id>.json``
(envelope and schedule, written last, atomically): an entry without its ``.json`` is a write
that a crash cut short and is removed. The methods do blocking file I/O; the channel calls
them off the event loop. :class:`Backoff` is the pure schedule.
"""

from __future__ import annotations

import json
import os
import uuid
from dataclasses import dataclass, replace
from pathlib import Path


@dataclass(frozen=True, slots=True)
class Backoff:
    """Pauses between attempts: ``first_s``, doubling, at most ``most_s``."""

    first_s: float = 10.0
    most_s: float = 1800.0

    def __post_init__(self) -> None:
        if not 0 < self.first_s <= self.most_s:
            raise ValueError("backoff pauses must be positive, the first no longer than the most")

    def pause(self, attempts: int) -> float:
        """The pause after ``attempts`` failed attempts (at least 1)."""
        return float(min(self.most_s, self.first_s * 2 ** min(attempts - 1, 30)))


@dataclass(frozen=True, slots=True)
class Entry:
    """A queued message: its envelope, how often it failed, when it is due."""

    id: str
    sender: str
    recipients: tuple[str, ...]
    attempts: int
    due: float


class Outbox:
    """The queue in ``directory`` (created, private)."""

    def __init__(self, directory: Path, backoff: Backoff = Backoff()) -> None:
        self.directory = directory
        self.backoff = backoff
        directory.mkdir(mode=0o700, parents=True, exist_ok=True)
        remove_half_written(directory)

    def put(self, message: bytes, sender: str, recipients: tuple[str, ...], now: float) -> Entry:
        """Queue ``message``, due at once."""
        entry = Entry(uuid.uuid4().hex, sender, recipients, 0, now)
        write_durably(self.directory / f"{entry.id}.eml", message)
        self._save(entry)
        return entry

    def entries(self) -> list[Entry]:
        """Every queued entry, the earliest due first (one being written is not one yet)."""
        found = []
        for meta in self.directory.glob("*.json"):
            try:
                found.append(_entry(meta.stem, json.loads(meta.read_text())))
            except FileNotFoundError:  # sent and removed since the listing
                continue
        return sorted(found, key=lambda entry: entry.due)

    def message(self, entry: Entry) -> bytes:
        """The queued message of ``entry``."""
        return (self.directory / f"{entry.id}.eml").read_bytes()

    def failed(self, entry: Entry, now: float) -> Entry:
        """Count a failed attempt; the entry is due again after the backoff's pause."""
        attempts = entry.attempts + 1
        later = replace(entry, attempts=attempts, due=now + self.backoff.pause(attempts))
        self._save(later)
        return later

    def remove(self, entry: Entry) -> None:
        """Forget ``entry`` (sent, or refused for good)."""
        (self.directory / f"{entry.id}.json").unlink(missing_ok=True)
        (self.directory / f"{entry.id}.eml").unlink(missing_ok=True)

    def _save(self, entry: Entry) -> None:
        document = {
            "sender": entry.sender,
            "recipients": list(entry.recipients),
            "attempts": entry.attempts,
            "due": entry.due,
        }
        write_durably(self.directory / f"{entry.id}.json", json.dumps(document).encode())


def write_durably(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` (mode 0600) atomically and durably: rename after fsync."""
    partial = path.with_suffix(path.suffix + ".partial")
    descriptor = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "wb") as file:
        file.write(data)
        file.flush()
        os.fsync(file.fileno())
    partial.replace(path)


def remove_half_written(directory: Path) -> None:
    """Remove each message without its ``.json``: a write a crash cut short (call before
    anyone writes)."""
    for path in directory.glob("*.eml"):
        if not path.with_suffix(".json").exists():
            path.unlink()


def _entry(entry_id: str, document: dict[str, object]) -> Entry:
    recipients = document["recipients"]
    assert isinstance(recipients, list)
    return Entry(
        entry_id,
        str(document["sender"]),
        tuple(str(r) for r in recipients),
        int(str(document["attempts"])),
        float(str(document["due"])),
    )
