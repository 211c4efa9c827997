"""Renderers: pure functions from events to what a channel shows (text, NDJSON, ...)."""

from cloudping.render.text import TextStyle, render

__all__ = ["TextStyle", "render"]
