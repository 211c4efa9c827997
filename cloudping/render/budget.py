"""Levels of detail, and the most detailed rendering that fits a size budget.

A channel has a size limit (an MCP result's JSON for a model's context, a Telegram message):
:func:`fit` draws at each of :data:`LEVELS` from the most detailed down, then lists fewer
jobs, and returns the first drawing whose size (as the channel counts it) is within budget.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Literal, TypeVar

_T = TypeVar("_T")
DetailLevel = Literal["full", "reduced", "compact", "minimal"]


@dataclass(frozen=True, slots=True)
class Detail:
    """How much of a measurement a rendering carries.

    Attributes:
        level: its name.
        items: the most items of any list (hops, answers, ranges, redirects).
        jobs: the most jobs listed.
        text: the longest string kept (targets, URLs, messages), in characters.
        extras: optional fields (rDNS names, stddev/jitter, DNS flags, TLS details).
    """

    level: DetailLevel
    items: int
    jobs: int
    text: int
    extras: bool


LEVELS: tuple[Detail, ...] = (
    Detail("full", items=64, jobs=50, text=512, extras=True),
    Detail("reduced", items=64, jobs=50, text=256, extras=False),
    Detail("compact", items=16, jobs=20, text=128, extras=False),
    Detail("minimal", items=4, jobs=8, text=64, extras=False),
)


def fit(draw: Callable[[Detail], _T], size: Callable[[_T], int], budget: int) -> _T:
    """The most detailed ``draw(detail)`` whose ``size`` is at most ``budget``.

    With a budget too small even for one job at the least detail, that is what comes back.
    """
    for detail in LEVELS:
        drawn = draw(detail)
        if size(drawn) <= budget:
            return drawn
    detail = LEVELS[-1]
    while detail.jobs > 1 and size(drawn) > budget:
        detail = replace(detail, jobs=detail.jobs // 2)
        drawn = draw(detail)
    return drawn


def cut(text: str, limit: int) -> str:
    """``text`` cut to ``limit`` characters, marked with an ellipsis when cut."""
    return text if len(text) <= limit else text[: limit - 1] + "…"
