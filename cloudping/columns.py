"""Text in columns, for terminals: what ``list`` and ``cloudping token list`` print. No
dependencies, so the operator's token tool loads no grammar to print a table."""

from __future__ import annotations

from collections.abc import Iterable, Sequence


def padded_table(header: Sequence[str], rows: Iterable[Sequence[str]]) -> str:
    """``rows`` under ``header``, each column as wide as its widest cell, two spaces apart
    (what ``list`` and ``cloudping token list`` print)."""
    lines = [tuple(header), *(tuple(row) for row in rows)]
    widths = [max(len(line[column]) for line in lines) for column in range(len(header))]
    return "\n".join(
        "  ".join(cell.ljust(width) for cell, width in zip(line, widths, strict=True)).rstrip()
        for line in lines
    )
