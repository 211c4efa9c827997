"""Rows of an MRT file as ``bgpdump -m`` prints them and as our reader and store give them,
in one shape, so that tests compare them row for row."""

from __future__ import annotations

import ipaddress
import subprocess
from pathlib import Path
from typing import NamedTuple

from cloudping.routes.dumpfile import file_chunks, rows
from cloudping.routes.model import Route, as_path_text
from cloudping.routes.mrt import TableDumpReader


class Row(NamedTuple):
    peer: str
    peer_as: int
    prefix: str
    path_id: int | None
    as_path: str
    next_hop: str | None
    communities: str


def bgpdump_rows(path: Path) -> list[Row]:
    """``bgpdump -m``'s rows (TABLE_DUMP2, and TABLE_DUMP2_AP with its path id column)."""
    out = subprocess.run(
        ["bgpdump", "-m", str(path)], capture_output=True, text=True, timeout=60, check=True
    )
    found = []
    for line in out.stdout.splitlines():
        cells = line.split("|")
        path_id = None
        if cells[0] == "TABLE_DUMP2_AP":
            path_id = int(cells.pop(6))
        # BIRD's own routes have no next hop: bgpdump prints the unset address it keeps.
        hop = None if cells[8] in ("", "255.255.255.255") else cells[8]
        found.append(Row(cells[3], int(cells[4]), cells[5], path_id, cells[6], hop, cells[11]))
    return found


def bgpdump_large_communities(path: Path) -> list[str]:
    """The LARGE_COMMUNITY line of each entry (empty when none) from bgpdump's long form."""
    out = subprocess.run(
        ["bgpdump", str(path)], capture_output=True, text=True, timeout=60, check=True
    )
    return [_large(entry) for entry in out.stdout.split("\n\n") if "PREFIX:" in entry]


def _large(entry: str) -> str:
    lines = (line for line in entry.splitlines() if line.startswith("LARGE_COMMUNITY: "))
    return next((line.removeprefix("LARGE_COMMUNITY: ") for line in lines), "")


def reader_rows(path: Path) -> list[Row]:
    """Our reader's rows of the file, in bgpdump's shape."""
    reader = TableDumpReader()
    found = []
    for row in rows(file_chunks(path), reader):
        peer = reader.peers[row.peer]
        prefix = str(ipaddress.ip_network((row.network, row.length)))
        a = row.attributes
        path_text = as_path_text(a.as_path)
        communities = " ".join(a.communities)
        found.append(
            Row(peer.address, peer.asn, prefix, row.path_id, path_text, a.next_hop, communities)
        )
    return found


def store_row(route: Route, path_id: int | None = None) -> Row:
    """A stored route in bgpdump's shape."""
    communities = " ".join(route.communities)
    path_text = as_path_text(route.as_path)
    return Row(
        route.peer, route.peer_as, route.prefix, path_id, path_text, route.next_hop, communities
    )
