"""Fetch the free MMDB databases a user has a right to into the data directory, verified and
swapped in atomically (``cloudping ipinfo --update``). Nothing is fetched unless asked.

- DB-IP Lite City and ASN (CC BY 4.0, no key): ``dbip-city-lite-YYYY-MM.mmdb.gz``;
- IPinfo Lite (free with a token, ``CLOUDPING_IPINFO_TOKEN``): ``ipinfo_lite.mmdb``.

Each download is decompressed into a temporary file beside its target, opened as an MMDB file
and checked for the layout expected (its ``database_type``), then renamed over the target: a
hub reading the file sees the old one or the new one, never half of either. Each source's
base URL is a setting (tests serve the files from loopback).
"""

from __future__ import annotations

import gzip
import os
import tempfile
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import BinaryIO

import httpx
from maxminddb.errors import InvalidDatabaseError

from cloudping.datafiles import private_dir
from cloudping.errors import CloudpingError
from cloudping.ipinfo.http import redact  # noqa: F401 (no token in httpx's log lines)
from cloudping.ipinfo.mmdb import MmdbFile

FOLDER = "ipinfo"  # under the data directory
DBIP_URL = "https://download.db-ip.com/free"
IPINFO_DATA_URL = "https://ipinfo.io/data"
TIMEOUT_S = 120.0
MAX_BYTES = 512 * 1024 * 1024  # the largest file accepted (GeoLite2-City is ~70 MB)
CITY_FILE = "dbip-city-lite.mmdb"  # the file names under DATA_DIR/ipinfo/
ASN_FILE = "dbip-asn-lite.mmdb"
IPINFO_FILE = "ipinfo-lite.mmdb"


@dataclass(frozen=True, slots=True)
class Download:
    """One file to fetch: where from, where to, and the layout it must have."""

    name: str
    url: str = field(repr=False)  # it may carry a token
    target: str
    expect: str  # a word its database_type must contain (case-insensitive)
    gzipped: bool


def planned(
    now: datetime,
    token: str | None,
    dbip_url: str = DBIP_URL,
    ipinfo_url: str = IPINFO_DATA_URL,
) -> tuple[Download, ...]:
    """The downloads for this month: DB-IP Lite always, IPinfo Lite with a token."""
    month = now.astimezone(UTC).strftime("%Y-%m")
    found = [
        Download(
            "dbip-city", f"{dbip_url}/dbip-city-lite-{month}.mmdb.gz", CITY_FILE, "city", True
        ),
        Download("dbip-asn", f"{dbip_url}/dbip-asn-lite-{month}.mmdb.gz", ASN_FILE, "asn", True),
    ]
    if token:
        url = f"{ipinfo_url}/ipinfo_lite.mmdb?token={token}"
        found.append(Download("ipinfo-lite", url, IPINFO_FILE, "ipinfo", False))
    return tuple(found)


def fetch_all(downloads: tuple[Download, ...], data_dir: Path, client: httpx.Client) -> list[str]:
    """Fetch, verify and swap in each download; a line per file saying what happened.

    Raises:
        CloudpingError: ``update_failed`` naming the first file that could not be had
            (the files already swapped in stay; the one that failed keeps its old copy).
    """
    folder = data_dir / FOLDER
    private_dir(data_dir)
    private_dir(folder)
    return [_fetch(download, folder, client) for download in downloads]


def _fetch(download: Download, folder: Path, client: httpx.Client) -> str:
    target = folder / download.target
    handle, name = tempfile.mkstemp(prefix=f".{download.target}.", dir=folder)
    tmp = Path(name)
    try:
        with os.fdopen(handle, "wb") as out:
            _copy(download, client, out)
        kind = _verified(tmp, download)
        os.replace(tmp, target)  # atomic: readers see the old file or the new one
    finally:
        tmp.unlink(missing_ok=True)
    return f"{download.name}: {target} ({kind})"


def _copy(download: Download, client: httpx.Client, out: BinaryIO) -> None:
    url = download.url.split("?", maxsplit=1)[0]  # never the token
    try:
        with client.stream("GET", download.url, timeout=TIMEOUT_S) as answer:
            if answer.status_code != 200:
                raise _failed(download, f"{url} answered HTTP {answer.status_code}")
            raw = bytearray()
            for chunk in answer.iter_bytes():
                raw += chunk
                if len(raw) > MAX_BYTES:
                    raise _failed(download, f"{url} is larger than {MAX_BYTES} bytes")
    except httpx.HTTPError as exc:
        raise _failed(download, f"{url} could not be fetched ({type(exc).__name__})") from exc
    try:
        data = gzip.decompress(bytes(raw)) if download.gzipped else bytes(raw)
    except (OSError, EOFError) as exc:
        raise _failed(download, f"{url} is not gzip ({exc})") from exc
    out.write(data)


def _verified(path: Path, download: Download) -> str:
    try:
        kind = MmdbFile(path, download.name).database_type
    except (CloudpingError, InvalidDatabaseError) as exc:
        raise _failed(download, "the file is not a readable MMDB database") from exc
    if download.expect not in kind.lower():
        raise _failed(download, f"the file is a {kind!r} database, not {download.expect}")
    return kind


def _failed(download: Download, why: str) -> CloudpingError:
    message = f"{download.name}: {why}; the copy in place (if any) is kept"
    return CloudpingError(message, code="update_failed", source=download.name)


def updated_files(data_dir: Path) -> tuple[Path | None, Path | None]:
    """(city, ASN) files an earlier update left in the data directory, when there."""
    folder = data_dir / FOLDER
    city = folder / CITY_FILE
    asn = folder / IPINFO_FILE if (folder / IPINFO_FILE).exists() else folder / ASN_FILE
    return (city if city.exists() else None, asn if asn.exists() else None)
