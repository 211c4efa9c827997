"""An MMDB file as a local source, reloaded when the file on disk changes.

The file is read whole into memory (``MODE_MEMORY``): a file being rewritten in place cannot
change the bytes under a look-up, and a half-written one fails to open (its metadata is at
the end) and is simply tried again later while the old copy keeps answering. So replacing the
file, by rename or in place, never makes a look-up fail.
"""

from __future__ import annotations

import ipaddress
import logging
import os
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

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
        recheck_s: how often at most the file's stamp is looked at.
        clock: monotonic seconds; tests pass a fake.

    Raises:
        CloudpingError: ``bad_database`` when the file cannot be read at start.
    """

    def __init__(
        self,
        path: Path,
        name: str,
        *,
        recheck_s: float = 1.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.path = path
        self._name = name
        self._recheck_s = recheck_s
        self._clock = clock
        self._generation = 0
        try:
            self._stamp = _stamp(path)
            self._reader = _open(path)
        except (OSError, InvalidDatabaseError, ValueError) as exc:
            message = f"{path} is not a readable MMDB file: {exc}"
            raise CloudpingError(message, code="bad_database", path=str(path)) from exc
        self._checked = clock()

    @property
    def name(self) -> str:
        """The provider name."""
        return self._name

    @property
    def generation(self) -> int:
        """How many times the file was reloaded (looking whether it changed first)."""
        self._refresh()
        return self._generation

    @property
    def database_type(self) -> str:
        """The ``database_type`` of the file's metadata (``GeoLite2-City``)."""
        return str(self._reader.metadata().database_type)

    def find(self, ip: Address) -> Facts | None:
        """The record for ``ip``; ``None`` when the file holds nothing for it."""
        self._refresh()
        reader = self._reader
        if ip.version == 6 and reader.metadata().ip_version == 4:
            return None  # an IPv4-only file: maxminddb raises rather than miss
        record, prefix_len = reader.get_with_prefix_len(ip)
        if not isinstance(record, dict):
            return None
        return facts_of(record, str(ipaddress.ip_network(f"{ip}/{prefix_len}", strict=False)))

    def _refresh(self) -> None:
        now = self._clock()
        if now - self._checked < self._recheck_s:
            return
        self._checked = now
        try:
            stamp = _stamp(self.path)
            if stamp == self._stamp:
                return
            reader = _open(self.path)
        except (OSError, InvalidDatabaseError, ValueError) as exc:
            # Mid-replacement or gone: the old copy keeps answering until a good one appears.
            log.warning("%s: keeping the loaded copy (%s)", self.path, exc)
            return
        self._reader, self._stamp = reader, stamp
        self._generation += 1
        log.info("%s: reloaded (%s)", self.path, reader.metadata().database_type)


def _stamp(path: Path) -> Stamp:
    info = os.stat(path)
    return info.st_ino, info.st_mtime_ns, info.st_size


def _open(path: Path) -> Any:
    return maxminddb.open_database(str(path), maxminddb.MODE_MEMORY)
