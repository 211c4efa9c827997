"""Accepted requests, kept in the data directory from the moment they are taken (before the
SMTP ``250`` or the HTTP answer) until their reply is in the outbound queue: a hub that stops
or crashes in between answers them when it starts again (the measurement runs anew), so
nothing accepted is lost.

Entries are ``<id>.eml`` (the request) and ``<id>.json`` (the decision), ids sortable by
time. Blocking file I/O: the channel calls these off the event loop.
"""

from __future__ import annotations

import json
import time
import uuid
from pathlib import Path

from cloudping.channels.email.outbox import remove_half_written, write_durably


class Inbox:
    """The kept requests in ``directory`` (created, private)."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        directory.mkdir(mode=0o700, parents=True, exist_ok=True)
        remove_half_written(directory)

    def keep(self, raw: bytes, decision: str) -> str:
        """Keep ``raw`` with its ``decision``; its id."""
        kept = f"{time.time_ns():020d}-{uuid.uuid4().hex[:8]}"
        write_durably(self.directory / f"{kept}.eml", raw)
        write_durably(self.directory / f"{kept}.json", json.dumps({"decision": decision}).encode())
        return kept

    def kept(self) -> list[tuple[str, str, bytes]]:
        """Every kept request, oldest first: ``(id, decision, raw)``."""
        found = []
        for meta in sorted(self.directory.glob("*.json")):
            try:
                decision = str(json.loads(meta.read_text())["decision"])
                found.append((meta.stem, decision, meta.with_suffix(".eml").read_bytes()))
            except FileNotFoundError:  # answered and removed since the listing
                continue
        return found

    def done(self, kept: str) -> None:
        """Forget a request whose reply is queued."""
        (self.directory / f"{kept}.json").unlink(missing_ok=True)
        (self.directory / f"{kept}.eml").unlink(missing_ok=True)
