"""An MMDB file as a local source, reloaded when the file on disk changes.

The file is read whole into memory (``MODE_MEMORY``): a file being rewritten in place cannot
change the bytes under a look-up, and a half-written one fails to open (its metadata is at
the end) and is simply tried again later while the old copy keeps answering. The new copy is
read off the event loop (:func:`watching` runs :meth:`MmdbFile.reload` in a thread) and
swapped in with one assignment, so replacing the file, by rename or in place, never makes a
look-up fail and a look-up never waits for the disk.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
from collections.abc import AsyncIterator, Sequence
from pathlib import Path
from typing import Any, Protocol

import maxminddb
from maxminddb.errors import InvalidDatabaseError

from cloudping.errors import CloudpingError
from cloudping.ipinfo.facts import Facts
from cloudping.ipinfo.layouts import facts_of
from cloudping.special import Address

log = logging.getLogger(__name__)
Stamp = tuple[int, int, int]  # inode, modification time (ns), size: what a replacement changes


class MmdbFile:
    """One MMDB file (MaxMind, DB-IP, IPinfo, Geoacumen layouts).

    Args:
        name: the provider name (``geoip-city``).

    Raises:
        CloudpingError: ``bad_database`` when the file cannot be read at start.
    """

    def __init__(self, path: Path, name: str) -> None:
        self.path = path
        self._name = name
        self.generation = 0  # how many times the file was reloaded (a plain int: read per hop)
        try:
            self._stamp = _stamp(path)
            self._reader = _open(path)
        except (OSError, InvalidDatabaseError, ValueError) as exc:
            message = f"{path} is not a readable MMDB file: {exc}"
            raise CloudpingError(message, code="bad_database", path=str(path)) from exc

    @property
    def name(self) -> str:
        """The provider name."""
        return self._name

    @property
    def database_type(self) -> str:
        """The ``database_type`` of the file's metadata (``GeoLite2-City``)."""
        return str(self._reader.metadata().database_type)

    def find(self, ip: Address) -> Facts | None:
        """The record for ``ip``; ``None`` when the file holds nothing (usable) for it."""
        reader = self._reader
        if ip.version == 6 and reader.metadata().ip_version == 4:
            return None  # an IPv4-only file: maxminddb raises rather than miss
        record, prefix_len = reader.get_with_prefix_len(ip)
        if not isinstance(record, dict):
            return None
        facts = facts_of(record, _network(ip, prefix_len))
        # A record of nothing usable (Geoacumen writes the country "None") holds nothing.
        return None if facts.empty else facts

    def reload(self) -> bool:
        """Read the file again if it changed on disk (blocking: run it in a thread); whether
        a new copy now answers."""
        try:
            stamp = _stamp(self.path)
            if stamp == self._stamp:
                return False
            reader = _open(self.path)
        except (OSError, InvalidDatabaseError, ValueError) as exc:
            # Mid-replacement or gone: the old copy keeps answering until a good one appears.
            log.warning("%s: keeping the loaded copy (%s)", self.path, exc)
            return False
        self._reader, self._stamp = reader, stamp  # one swap: a look-up sees old or new
        self.generation += 1
        log.info("%s: reloaded (%s)", self.path, reader.metadata().database_type)
        return True


class Reloading(Protocol):
    """Local data that reads itself again when its files changed: an MMDB file, the BGP
    table."""

    def reload(self) -> bool:
        """Read again if changed (blocking); whether new data now answers."""
        ...


@contextlib.asynccontextmanager
async def watching(files: Sequence[Reloading], every_s: float = 1.0) -> AsyncIterator[None]:
    """Reload each source when its files change, at once and then every ``every_s`` seconds,
    in a worker thread (the loop never waits for the disk), until the block ends."""

    async def watch() -> None:
        while True:
            for file in files:
                await asyncio.to_thread(file.reload)
            await asyncio.sleep(every_s)  # a period, not a synchronisation

    task = asyncio.create_task(watch(), name="ipinfo file watch")
    try:
        yield
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task


def _network(ip: Address, prefix_len: int) -> str:
    """``ip``'s network as text, by masking (parsing a network string costs more than the
    look-up itself)."""
    host_bits = ip.max_prefixlen - prefix_len
    first = type(ip)(int(ip) >> host_bits << host_bits)
    return f"{first}/{prefix_len}"


def _stamp(path: Path) -> Stamp:
    info = os.stat(path)
    return info.st_ino, info.st_mtime_ns, info.st_size


def _open(path: Path) -> Any:
    return maxminddb.open_database(str(path), maxminddb.MODE_MEMORY)
