"""The messages still showing a running measurement, kept in the data directory.

A hub that crashes leaves its chat messages saying "running" forever, unless it remembers
them: each live message is written here when its measurement starts and struck out once its
final state is shown. After a restart the bot edits each one left to the stored result, which
the hub has marked ``interrupted`` by then. A small JSON file, rewritten atomically (0600):
a handful of entries, one per measurement running in a chat. Blocking calls: run them off
the event loop.
"""

from __future__ import annotations

import json
import logging
import threading
from dataclasses import asdict, dataclass
from pathlib import Path

from cloudping.datafiles import private_dir, write_private

log = logging.getLogger(__name__)
JOURNAL_FILE = "running.json"


@dataclass(frozen=True, slots=True)
class Entry:
    """A message in ``chat`` showing ``measurement``, run for ``subject`` (``command``: its
    name, the report to draw)."""

    chat: int
    message: int
    measurement: str
    subject: str
    command: str


class Journal:
    """The entries of one directory (``<data dir>/telegram``)."""

    def __init__(self, folder: Path) -> None:
        self.path = folder / JOURNAL_FILE
        self._entries: dict[tuple[int, int], Entry] = {}
        self._lock = threading.Lock()  # calls come from worker threads

    def load(self) -> list[Entry]:
        """The entries a previous run left (a damaged file is logged and ignored)."""
        private_dir(self.path.parent)
        try:
            rows = json.loads(self.path.read_text(encoding="utf-8"))
            entries = [Entry(**row) for row in rows]
        except FileNotFoundError:
            return []
        except (ValueError, TypeError) as exc:
            log.warning("ignoring the damaged journal %s: %s", self.path, exc)
            return []
        self._entries = {(e.chat, e.message): e for e in entries}
        return entries

    def add(self, entry: Entry) -> None:
        """Remember a message showing a running measurement."""
        with self._lock:
            self._entries[(entry.chat, entry.message)] = entry
            self._save()

    def strike(self, chat: int, message: int) -> None:
        """Forget a message (its final state is shown, or it cannot be edited any more)."""
        with self._lock:
            if self._entries.pop((chat, message), None) is not None:
                self._save()

    def _save(self) -> None:
        rows = [asdict(entry) for entry in self._entries.values()]
        write_private(self.path, json.dumps(rows).encode())
