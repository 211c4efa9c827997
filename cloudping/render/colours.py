"""The one RTT colour scale of every picture and page (design.md's names list): green below
100 ms, orange below 250 ms, red above, grey for no answer, as the predecessor's users know it.
"""

from __future__ import annotations

import math

RGB = tuple[int, int, int]

GREEN: RGB = (26, 152, 80)
ORANGE: RGB = (245, 137, 30)
RED: RGB = (215, 48, 39)
GREY: RGB = (160, 160, 160)
# (upper bound in ms, legend label, colour), fastest first.
RTT_SCALE: tuple[tuple[float, str, RGB], ...] = (
    (100.0, "<100 ms", GREEN),
    (250.0, "<250 ms", ORANGE),
    (math.inf, ">=250 ms", RED),
)
NO_ANSWER_LABEL = "no answer"
# Waterfall phases: a colour each (these are phases, not RTTs: the RTT scale does not apply).
PHASE_FILL: dict[str, RGB] = {
    "dns": (102, 153, 204),
    "connect": (255, 179, 71),
    "tls": (170, 120, 200),
    "ttfb": (90, 180, 170),
    "transfer": (120, 120, 120),
}


def rtt_step(rtt_ms: float) -> int:
    """The index in :data:`RTT_SCALE` of an answer that took ``rtt_ms``."""
    return next(i for i, (bound, *_) in enumerate(RTT_SCALE) if rtt_ms < bound)


def rtt_colour(rtt_ms: float | None) -> RGB:
    """The colour of an answer that took ``rtt_ms``; grey when nothing answered (``None``)."""
    return GREY if rtt_ms is None else RTT_SCALE[rtt_step(rtt_ms)][2]


def css(colour: RGB) -> str:
    """``#rrggbb``, for the HTML pages and mails."""
    return "#{:02x}{:02x}{:02x}".format(*colour)


# The same scale for text media, where a cell cannot be coloured: a mark before the RTT.
MARKS: tuple[str, ...] = (
    "\N{LARGE GREEN CIRCLE}",
    "\N{LARGE ORANGE CIRCLE}",
    "\N{LARGE RED CIRCLE}",
)
NO_ANSWER_MARK = "\N{MEDIUM WHITE CIRCLE}"


def rtt_mark(rtt_ms: float | None) -> str:
    """The mark of :func:`rtt_colour`'s colour, for text."""
    return NO_ANSWER_MARK if rtt_ms is None else MARKS[rtt_step(rtt_ms)]
