"""Renderers: pure functions from events to what a channel shows, shared by every channel.

The terminal's line per event (:mod:`.terminal`); the measurement so far (:mod:`.snapshot`),
its progress and levels of detail; a report per command (:mod:`.reports`) drawn as a PNG card
(:mod:`.picture`), and as pages (:mod:`.pages`): Telegram HTML, email HTML and plain text,
all with one RTT colour scale (:mod:`.colours`). Nothing here imports a channel, the hub or a
probe.
"""

from cloudping.render.terminal.text import TextStyle, render

__all__ = ["TextStyle", "render"]
