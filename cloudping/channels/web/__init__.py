"""The web page: served by the hub at ``/`` (browsers) and ``/m/<id>`` from ``frontends/web/``.

On by default wherever the hub serves HTTP (``--no-web`` switches it off); ``--web-root DIR``
serves the page from another folder. The page runs every command through the API; this
channel only serves its files.
"""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from contextlib import AbstractAsyncContextManager, nullcontext
from pathlib import Path

from starlette.routing import BaseRoute

from cloudping.channels.plug import Channel, ChannelContext, ChannelFactory, ChannelKind
from cloudping.channels.web.assets import DEFAULT_ROOT, Assets, load_assets
from cloudping.channels.web.page import page_routes
from cloudping.edge import RoutePolicy


class WebPage:
    """The page's routes (none when the hub serves no HTTP); nothing runs beside the hub."""

    def __init__(self, assets: Assets, listening: bool) -> None:
        self.assets, self.listening = assets, listening

    def routes(self) -> Sequence[BaseRoute]:
        """``/``, ``/m/{id}`` and the files, when the hub listens."""
        return page_routes(self.assets) if self.listening else ()

    def running(self) -> AbstractAsyncContextManager[None]:
        """Nothing to run: the page is files."""
        return nullcontext()

    def policies(self) -> Sequence[tuple[str, RoutePolicy]]:
        """None of its own: the page takes no bodies (the API's routes do)."""
        return ()


def add_options(p: argparse.ArgumentParser) -> None:
    """``--no-web``, ``--web-root``."""
    p.add_argument("--no-web", action="store_true", help="do not serve the web page at /")
    p.add_argument(
        "--web-root",
        type=Path,
        default=DEFAULT_ROOT,
        metavar="DIR",
        help="serve the web page from DIR (default: the page shipped with cloudping)",
    )


def configure(args: argparse.Namespace) -> ChannelFactory | None:
    """The page's factory, unless ``--no-web``; the files are read now.

    Raises:
        ValueError: ``--web-root`` holds no page.
    """
    if args.no_web:
        return None
    assets = load_assets(args.web_root)

    def build(context: ChannelContext) -> Channel:
        return WebPage(assets, context.listening)

    return build


KIND = ChannelKind("web", add_options, configure)

__all__ = ["KIND", "WebPage"]
