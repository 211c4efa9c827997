"""What every benchmark prints: a table of rows plus notes, and robust statistics."""

from __future__ import annotations

import math
from dataclasses import dataclass, field


def percentile(samples: list[float], pct: float) -> float:
    """The nearest-rank percentile (no interpolation: a value that was measured)."""
    ordered = sorted(samples)
    rank = max(1, math.ceil(pct / 100 * len(ordered)))
    return ordered[rank - 1]


@dataclass
class Table:
    """A titled table of named rows of figures, and free-text notes below it."""

    title: str
    rows: list[tuple[str, dict[str, float | int]]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def row(self, name: str, **figures: float | int) -> None:
        self.rows.append((name, figures))

    def note(self, text: str) -> None:
        self.notes.append(text)

    def print(self) -> None:
        print(f"\n== {self.title}")
        columns = list(dict.fromkeys(key for _, figures in self.rows for key in figures))
        width = max((len(name) for name, _ in self.rows), default=4)
        print(" " * width + "".join(f"{c:>26}" for c in columns))
        for name, figures in self.rows:
            cells = "".join(f"{_fmt(figures.get(c)):>26}" for c in columns)
            print(f"{name:<{width}}{cells}")
        for text in self.notes:
            print(f"  {text}")


def _fmt(value: float | int | None) -> str:
    if value is None:
        return "-"
    if isinstance(value, int):
        return str(value)
    return f"{value:.4g}" if abs(value) < 1000 else f"{value:.0f}"
