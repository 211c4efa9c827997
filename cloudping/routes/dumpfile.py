"""Read an MRT dump from a file or a URL, plain, gzip or bzip2, in bounded chunks, through the
sans-IO :class:`~cloudping.routes.mrt.TableDumpReader`.

The compression is told by the first bytes, not by the name: a collector's ``latest-bview``
has no suffix, and a proxy may rename files.
"""

from __future__ import annotations

import bz2
import zlib
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Protocol

from cloudping.routes.mrt import MrtError, RibRow, TableDumpReader

CHUNK = 1 << 20  # what is read at a time: memory stays near this, whatever the dump's size
_GZIP = b"\x1f\x8b"
_BZIP2 = b"BZh"


class _Decompressor(Protocol):
    @property
    def eof(self) -> bool:
        """The end of this gzip member or bzip2 stream was read."""

    @property
    def unused_data(self) -> bytes:
        """What came after that end."""

    def decompress(self, data: bytes) -> bytes: ...


def decompressor(head: bytes) -> _Decompressor | None:
    """The streaming decompressor the first bytes of a dump call for (``None``: plain)."""
    if head.startswith(_GZIP):
        return zlib.decompressobj(wbits=zlib.MAX_WBITS | 16)
    if head.startswith(_BZIP2):
        return bz2.BZ2Decompressor()
    return None


def decompressed(chunks: Iterable[bytes]) -> Iterator[bytes]:
    """The bytes of a dump from its (maybe compressed) chunks, chunk by chunk.

    Raises:
        MrtError: ``mrt_corrupt`` when the compressed stream does not decode, ``mrt_truncated``
            when it stops before its end.
    """
    head = b""
    engine: _Decompressor | None = None
    plain = False
    try:
        for chunk in chunks:
            data = chunk
            if engine is None and not plain:  # the first bytes tell; a first read may be short
                head += chunk
                if len(head) < len(_BZIP2):
                    continue
                data, head = head, b""
                engine = decompressor(data)
                plain = engine is None
            if engine is None:
                yield data
            else:
                engine, inflated = _inflate(engine, data)
                yield inflated
    except (OSError, EOFError, zlib.error) as exc:
        raise MrtError(f"the dump does not decompress: {exc}", code="mrt_corrupt") from exc
    if head:
        yield head  # a dump too short to be compressed: the reader says what it is
    if engine is not None and not engine.eof:
        raise MrtError("the compressed dump stops before its end", code="mrt_truncated")


def _inflate(engine: _Decompressor, data: bytes) -> tuple[_Decompressor, bytes]:
    """Decompress ``data``, going on into the next gzip member or bzip2 stream when one ends
    (``pbzip2`` and concatenated gzip files have several; each decoder stops at its end)."""
    out = engine.decompress(data)
    while engine.eof and engine.unused_data:
        rest = engine.unused_data
        following = decompressor(rest)
        if following is None:
            raise MrtError("bytes after the compressed dump's end", code="mrt_corrupt")
        engine = following
        out += engine.decompress(rest)
    return engine, out


def rows(chunks: Iterable[bytes], reader: TableDumpReader) -> Iterator[RibRow]:
    """Every RIB row of the dump whose bytes ``chunks`` are (compressed or not).

    Raises:
        MrtError: ``mrt_truncated``, ``mrt_corrupt``.
    """
    for data in decompressed(chunks):
        yield from reader.feed(data)
    reader.close()


def file_chunks(path: Path) -> Iterator[bytes]:
    """The bytes of the file at ``path``, :data:`CHUNK` at a time."""
    with path.open("rb") as handle:
        while chunk := handle.read(CHUNK):
            yield chunk
