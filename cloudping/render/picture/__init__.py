"""Which commands have a picture, and how it is drawn: one table for every channel.

The CLI's ``--png FILE``, the API's ``picture.png``, MCP's images and Telegram's photo all come
from here. Every measurement command has one: ping and tcping a matrix of targets x agents,
traceroute and mtr the hop table per agent, dns the answer sections, http a waterfall per
request (all as a report card, :mod:`.card`), and scan the address bitmap (:mod:`.bitmap`),
one per job, stacked in the order the jobs started. Pillow loads only when drawing.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime

from cloudping.events import Event
from cloudping.render.snapshot import Snapshot

Picture = Callable[[Sequence[Event], datetime], bytes]


def _card(command: str) -> Picture:
    def draw(events: Sequence[Event], when: datetime) -> bytes:
        from cloudping.render.picture.canvas import png  # noqa: PLC0415 (Pillow only when drawing)
        from cloudping.render.picture.card import draw as draw_card  # noqa: PLC0415
        from cloudping.render.reports import report  # noqa: PLC0415

        snapshot = Snapshot.of(events)
        if not snapshot.jobs and not snapshot.errors:
            raise ValueError(f"no {command} job in these events")
        return png(draw_card(report(command, snapshot, when)))

    return draw


def _scan(events: Sequence[Event], when: datetime) -> bytes:
    from cloudping.render.picture.bitmap import stacked_png  # noqa: PLC0415 (Pillow only when drawing)

    return stacked_png(events, when=when)


CARDS = ("ping", "tcping", "traceroute", "mtr", "dns", "http")
PICTURES: dict[str, Picture] = {**{command: _card(command) for command in CARDS}, "scan": _scan}


def picture(command: str, events: Sequence[Event], when: datetime) -> bytes:
    """The PNG of a measurement of ``command`` from its events, dated ``when``.

    Raises:
        KeyError: ``command`` has no picture (see :data:`PICTURES`).
        ValueError: the events hold nothing to draw (the measurement did not start).
    """
    return PICTURES[command](events, when)


def job_pictures(command: str, events: Sequence[Event], when: datetime, most: int) -> list[bytes]:
    """The PNG of each job (agent x target) of a measurement, in the order the jobs started,
    at most ``most``; a job with nothing to draw (it never started) takes no place.

    Raises:
        KeyError: ``command`` has no picture (see :data:`PICTURES`).
    """
    jobs = dict.fromkeys((e.agent, e.target) for e in events if e.agent and e.target)
    drawn: list[bytes] = []
    for job in jobs:
        if len(drawn) == most:
            break
        own = [e for e in events if (e.agent, e.target) == job]
        try:
            drawn.append(picture(command, own, when))
        except ValueError:
            continue
    return drawn
