"""How numbers read in text output, shared by every text renderer."""

from __future__ import annotations


def format_rtt(ms: float) -> str:
    """An RTT with iputils' precision: 3 significant digits below 100 ms."""
    if ms >= 100:
        return f"{ms:.0f}"
    if ms >= 10:
        return f"{ms:.1f}"
    if ms >= 1:
        return f"{ms:.2f}"
    return f"{ms:.3f}"
