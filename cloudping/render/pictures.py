"""Which commands have a picture, and how it is drawn: one table for every channel.

The CLI's ``--png FILE``, the MCP ``scan`` tool's image and Telegram's photo all come from here;
a command without an entry has no picture.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime

from cloudping.events import Event

Picture = Callable[[Sequence[Event], datetime], bytes]


def _scan(events: Sequence[Event], when: datetime) -> bytes:
    from cloudping.render.bitmap import scan_png  # noqa: PLC0415 (Pillow only when drawing)

    return scan_png(events, when=when)


PICTURES: dict[str, Picture] = {
    "scan": _scan,
}


def picture(command: str, events: Sequence[Event], when: datetime) -> bytes:
    """The PNG of a measurement of ``command`` from its events, dated ``when``.

    Raises:
        KeyError: ``command`` has no picture (see :data:`PICTURES`).
        ValueError: the events hold nothing to draw (the measurement did not start).
    """
    return PICTURES[command](events, when)
