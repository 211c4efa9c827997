"""Import an MRT dump, from a file or a URL, as the next generation of a route source."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING

from cloudping.errors import CloudpingError
from cloudping.routes.dumpfile import CHUNK, file_chunks, rows
from cloudping.routes.generation import LoadResult, load, served_validators
from cloudping.routes.mrt import TableDumpReader

if TYPE_CHECKING:
    from cloudping.routes.pgstore import PgRouteStore

URL_SCHEMES = ("http://", "https://")
FETCH_TIMEOUT_S = 60.0  # between two reads: a collector's full RIB takes minutes in all


def ingest(
    store: Path | PgRouteStore,
    source: str,
    location: str,
    *,
    now: float,
    conditional: bool = False,
) -> LoadResult | None:
    """Load the dump at ``location`` (a path, or an http(s) URL) as ``source``'s new generation
    in ``store`` (a data directory's SQLite files, or PostgreSQL).

    ``conditional``: ask a URL for the dump only if it changed since the serving generation
    (``If-None-Match``/``If-Modified-Since`` from its ETag/Last-Modified); ``None`` when it
    answered 304 Not Modified.

    Raises:
        MrtError: ``mrt_truncated``, ``mrt_corrupt``.
        CloudpingError: ``dump_unreadable`` (no such file, an HTTP error), ``empty_dump``.
    """
    write: Callable[..., LoadResult]
    validators_of: Callable[[str], dict[str, str]]
    if isinstance(store, Path):
        write, validators_of = partial(load, store), partial(served_validators, store)
    else:
        write, validators_of = store.load, store.served_validators
    reader = TableDumpReader()
    if not location.startswith(URL_SCHEMES):
        chunks = rows(_path(location), reader)
        return write(source, chunks, reader, origin=location, now=now)
    asked = validators_of(source) if conditional else {}
    got: dict[str, str] = {}
    try:
        chunks = rows(url_chunks(location, asked, got), reader)
        return write(source, chunks, reader, origin=location, now=now, validators=got)
    except NotModified:
        return None


class NotModified(Exception):  # noqa: N818 (HTTP's own name; not an error: nothing to load)
    """The URL's dump has not changed since the serving generation (HTTP 304)."""


def _path(location: str) -> Iterator[bytes]:
    try:
        yield from file_chunks(Path(location))
    except OSError as exc:
        message = f"cannot read {location}: {exc.strerror or exc}"
        raise CloudpingError(message, code="dump_unreadable", location=location) from exc


# RFC 9110 13.1: the validators a conditional request sends back, by the header that gave them.
_CONDITIONS = {"etag": "If-None-Match", "last-modified": "If-Modified-Since"}


def url_chunks(
    url: str, asked: Mapping[str, str] | None = None, got: dict[str, str] | None = None
) -> Iterator[bytes]:
    """The body of ``url``, as it arrives (a compressed dump stays compressed: the reader
    tells gzip and bzip2 by their first bytes). ``asked``: validators to send (see
    :func:`served_validators`); ``got`` receives the answer's.

    Raises:
        NotModified: the server answered 304 to a conditional request.
        CloudpingError: ``dump_unreadable`` for a transport error or another status than 200.
    """
    import httpx  # noqa: PLC0415 (only a URL source needs it)

    headers = {_CONDITIONS[name]: value for name, value in (asked or {}).items()}
    try:
        with httpx.stream("GET", url, headers=headers, timeout=FETCH_TIMEOUT_S,
                          follow_redirects=True) as reply:  # fmt: skip
            if reply.status_code == 304 and headers:
                raise NotModified(url)
            if reply.status_code != 200:
                message = f"{url} answered HTTP {reply.status_code}"
                raise CloudpingError(message, code="dump_unreadable", location=url)
            if got is not None:
                got |= {name: reply.headers[name] for name in _CONDITIONS if name in reply.headers}
            yield from reply.iter_raw(CHUNK)
    except httpx.HTTPError as exc:
        message = f"cannot fetch {url}: {exc}"
        raise CloudpingError(message, code="dump_unreadable", location=url) from exc
