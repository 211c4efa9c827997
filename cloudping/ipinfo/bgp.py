"""The ``bgp`` source: the origin AS of the longest prefix covering an address, from the hub's
route store (``DATA_DIR/routes/``), held in memory.

The route store answers one SQLite query per look-up: too slow (and blocking) for every hop a
path annotates. So each serving generation is folded once, in a worker thread, into a flat
table: the prefixes sorted and cut into disjoint ranges, each range remembering the length and
origin AS of the longest prefix covering it. A look-up is one binary search (``bisect`` over a
C array), the prefix is the address masked to the range's length. The new table replaces the
old with one assignment, so a look-up sees one or the other, never half of either.

The origin AS of a prefix is the one most routes to it end in (most peers see), over every
source; a tie goes to the lowest ASN, so two builds of one table always agree.
"""

from __future__ import annotations

import heapq
import itertools
import logging
import os
import sqlite3
import threading
from array import array
from bisect import bisect_right
from collections.abc import Iterable, Iterator
from contextlib import closing
from dataclasses import dataclass
from pathlib import Path

from cloudping.ipinfo.facts import Facts
from cloudping.routes.generation import open_generation, serving_path
from cloudping.routes.lookup import RouteStore
from cloudping.special import Address

log = logging.getLogger(__name__)

NAME = "bgp"
_NONE = 0xFF  # a range no prefix covers (a length never reaches 255)
# The origin of a prefix whose routes all end in an AS_SET: no single origin. AS 0 is never
# an origin (RFC 7607), and the prefix still hides the origin of the prefixes covering it.
_NO_ORIGIN = 0
# Per prefix, how many routes end in each origin: SQLite groups, the prefix index orders.
_ORIGINS = """
SELECT r.family, r.network, r.length, a.origin_as, count(*)
FROM routes r JOIN attrs a ON a.id = r.attrs
GROUP BY r.family, r.network, r.length, a.origin_as
ORDER BY r.family, r.network, r.length
"""
Stamp = tuple[tuple[str, int, int, int], ...]
Row = tuple[int, bytes, int, int | None, int]  # family, network, length, origin, routes


@dataclass(frozen=True, slots=True)
class _Ranges:
    """One family's disjoint ranges: where each starts, and the prefix length and origin AS
    covering it (``_NONE``: no prefix)."""

    starts: array[int] | list[int]
    lengths: array[int]
    origins: array[int]
    bits: int

    def find(self, value: int) -> tuple[int, int] | None:
        index = bisect_right(self.starts, value) - 1
        if index < 0 or self.lengths[index] == _NONE:
            return None
        return self.lengths[index], self.origins[index]


@dataclass(frozen=True, slots=True)
class OriginTable:
    """Every prefix of a set of generations and its origin AS, for longest-prefix look-ups."""

    v4: _Ranges
    v6: _Ranges
    prefixes: int

    def origin_of(self, ip: Address) -> tuple[str, int] | None:
        """The longest prefix covering ``ip`` (as text) and its origin AS; ``None`` when no
        prefix does, or the longest has no single origin (only AS_SET paths)."""
        ranges = self.v4 if ip.version == 4 else self.v6
        value = int(ip)
        found = ranges.find(value)
        if found is None or found[1] == _NO_ORIGIN:
            return None
        length, origin = found
        host_bits = ranges.bits - length
        first = type(ip)(value >> host_bits << host_bits)
        return f"{first}/{length}", origin


def build_table(rows: Iterable[Row]) -> OriginTable:
    """The table of ``rows`` (sorted by family, network, length; one per prefix and origin, a
    prefix's rows together, possibly from several sources)."""
    builders = {4: _Builder(32), 6: _Builder(128)}
    prefixes = 0
    for (family, network, length), group in itertools.groupby(rows, key=lambda r: r[:3]):
        counts: dict[int, int] = {}
        for _, _, _, asn, routes in group:
            if asn is not None:
                counts[asn] = counts.get(asn, 0) + routes
        origin = min(counts, key=lambda a: (-counts[a], a)) if counts else _NO_ORIGIN
        builders[family].add(int.from_bytes(network, "big"), length, origin)
        prefixes += 1
    return OriginTable(builders[4].done(), builders[6].done(), prefixes)


class _Builder:
    """Cuts nested prefixes, met in (start, length) order, into disjoint ranges."""

    def __init__(self, bits: int) -> None:
        self.bits = bits
        # IPv4 starts fit a C array (4 bytes each, no int objects while building either).
        self.starts: array[int] | list[int] = array("I") if bits == 32 else []
        self.lengths = array("B")
        self.origins = array("I")
        self.open: list[tuple[int, int, int]] = []  # (last address, length, origin), nested

    def add(self, start: int, length: int, origin: int) -> None:
        self._close_before(start)
        self._cut(start, length, origin)
        self.open.append((start + (1 << (self.bits - length)) - 1, length, origin))

    def done(self) -> _Ranges:
        self._close_before(1 << self.bits)
        return _Ranges(self.starts, self.lengths, self.origins, self.bits)

    def _close_before(self, start: int) -> None:
        """End the open prefixes that end before ``start``: past each, its parent covers."""
        while self.open and self.open[-1][0] < start:
            end = self.open.pop()[0]
            if end + 1 < 1 << self.bits:
                parent = self.open[-1] if self.open else (0, _NONE, 0)
                self._cut(end + 1, parent[1], parent[2])

    def _cut(self, start: int, length: int, origin: int) -> None:
        if self.starts and self.starts[-1] == start:  # the range before was empty: replace it
            self.starts.pop()
            self.lengths.pop()
            self.origins.pop()
        if self.lengths and self.lengths[-1] == length and self.origins[-1] == origin:
            return  # the same length and origin go on: masking gives each address its prefix
        self.starts.append(start)
        self.lengths.append(length)
        self.origins.append(origin)


EMPTY = build_table(())


def _rows(path: Path) -> Iterator[Row]:
    """A generation's prefixes with their origins' route counts, in table order."""
    try:
        db = open_generation(path)
    except sqlite3.Error:  # swapped out between listing and opening: the next poll sees it
        return
    with closing(db):
        yield from db.execute(_ORIGINS)


class BgpTable:
    """The ``bgp`` local source over a route store's serving generations.

    :meth:`reload` (blocking: a worker thread) rebuilds the table when a source's serving
    file changed (a load renames a new one in) or appeared or went; :meth:`find` never does
    I/O.
    """

    def __init__(self, store: RouteStore) -> None:
        self.store = store
        self.generation = 0
        self._table = EMPTY
        self._stamp: Stamp = ()
        self._building = threading.Lock()  # one rebuild at a time; the next finds it done

    @property
    def name(self) -> str:
        return NAME

    @property
    def prefixes(self) -> int:
        """How many prefixes the serving table holds."""
        return self._table.prefixes

    def find(self, ip: Address) -> Facts | None:
        """The origin AS and prefix of ``ip``; ``None`` when no route covers it."""
        found = self._table.origin_of(ip)
        if found is None:
            return None
        network, origin = found
        return Facts(asn=origin, network=network)

    def reload(self) -> bool:
        """Rebuild the table if the serving generations changed; whether a new one serves."""
        with self._building:
            stamp = self._stamp_now()
            if stamp == self._stamp:
                return False
            paths = [serving_path(self.store.data_dir, name) for name, *_ in stamp]
            order = lambda row: (row[0], row[1], row[2])  # noqa: E731
            try:
                table = build_table(heapq.merge(*(_rows(p) for p in paths), key=order))
            except sqlite3.Error as exc:  # a damaged file: the table built before still serves
                log.warning("bgp: keeping the table built before (%s)", exc)
                self._stamp = stamp  # not again until a load replaces the file
                return False
            self._table, self._stamp = table, stamp  # the swap: a look-up sees old or new
            self.generation += 1
        log.info("bgp: %d prefixes from %d route sources", table.prefixes, len(stamp))
        return True

    def _stamp_now(self) -> Stamp:
        found = []
        for name in self.store.sources():
            try:
                info = os.stat(serving_path(self.store.data_dir, name))
            except OSError:  # gone since the listing
                continue
            found.append((name, info.st_ino, info.st_mtime_ns, info.st_size))
        return tuple(found)
