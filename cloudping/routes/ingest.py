"""Import an MRT dump, from a file or a URL, as the next generation of a route source."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from cloudping.errors import CloudpingError
from cloudping.routes.dumpfile import CHUNK, file_chunks, rows
from cloudping.routes.generation import LoadResult, load
from cloudping.routes.mrt import TableDumpReader

URL_SCHEMES = ("http://", "https://")
FETCH_TIMEOUT_S = 60.0  # between two reads: a collector's full RIB takes minutes in all


def ingest(data_dir: Path, source: str, location: str, *, now: float) -> LoadResult:
    """Load the dump at ``location`` (a path, or an http(s) URL) as ``source``'s new generation.

    Raises:
        MrtError: ``mrt_truncated``, ``mrt_corrupt``.
        CloudpingError: ``dump_unreadable`` (no such file, an HTTP error), ``empty_dump``.
    """
    reader = TableDumpReader()
    chunks = url_chunks(location) if location.startswith(URL_SCHEMES) else _path(location)
    return load(data_dir, source, rows(chunks, reader), reader, origin=location, now=now)


def _path(location: str) -> Iterator[bytes]:
    try:
        yield from file_chunks(Path(location))
    except OSError as exc:
        message = f"cannot read {location}: {exc.strerror or exc}"
        raise CloudpingError(message, code="dump_unreadable", location=location) from exc


def url_chunks(url: str) -> Iterator[bytes]:
    """The body of ``url``, as it arrives (a compressed dump stays compressed: the reader
    tells gzip and bzip2 by their first bytes).

    Raises:
        CloudpingError: ``dump_unreadable`` for a transport error or a status other than 200.
    """
    import httpx  # noqa: PLC0415 (only a URL source needs it)

    try:
        with httpx.stream("GET", url, timeout=FETCH_TIMEOUT_S, follow_redirects=True) as reply:
            if reply.status_code != 200:
                message = f"{url} answered HTTP {reply.status_code}"
                raise CloudpingError(message, code="dump_unreadable", location=url)
            yield from reply.iter_raw(CHUNK)
    except httpx.HTTPError as exc:
        message = f"cannot fetch {url}: {exc}"
        raise CloudpingError(message, code="dump_unreadable", location=url) from exc
