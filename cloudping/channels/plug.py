"""How a channel that lives in the hub process plugs in: Telegram, email, the web page.

A channel is one folder under ``cloudping/channels/`` that exports one :class:`ChannelKind`.
``cloudping/serve/channels.py`` lists the kinds; the hub and ``cloudping up`` add each
kind's options to their parser, ask it whether it was configured (before anything starts,
so a bad option is a usage error), and once the hub runs build it with the one
:class:`CommandService` every channel shares (so quotas count every channel). What the
channel gives back is HTTP routes for the hub's listener (a webhook, a page), how the edge
guards them (body size, media types), and a block that runs while the hub does (polling, an
SMTP server).
"""

from __future__ import annotations

import argparse
from collections.abc import Callable, Sequence
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from starlette.routing import BaseRoute

from cloudping.auth import TokenService
from cloudping.edge import RoutePolicy
from cloudping.service import CommandService


@dataclass(frozen=True, slots=True)
class ChannelContext:
    """What a channel may use once the hub runs.

    Attributes:
        service: the command service (measurements, answers, cancel, read back).
        tokens: the hub's token service (verify; issue for channel identities).
        data_dir: the hub's data directory (a channel keeps its state in a subfolder).
        listening: whether the hub serves HTTP (``--listen``), i.e. whether routes are served.
        public_url: where people reach the hub (``--public-url``; ``up``: its own address),
            for links in replies; None: write no links.
    """

    service: CommandService
    tokens: TokenService
    data_dir: Path
    listening: bool
    public_url: str | None = None


class Channel(Protocol):
    """A running channel: its HTTP routes and what runs beside the hub."""

    def routes(self) -> Sequence[BaseRoute]:
        """Routes mounted on the hub's HTTP listener, in front of the API's."""
        ...

    def running(self) -> AbstractAsyncContextManager[None]:
        """Entered after the hub starts, left before it stops (polling, listeners); the
        routes are asked for once it has been entered."""
        ...

    def policies(self) -> Sequence[tuple[str, RoutePolicy]]:
        """How the edge guards the channel's routes that take other bodies than the API's
        JSON (route template, policy)."""
        ...


ChannelFactory = Callable[[ChannelContext], Channel]
"""Builds a configured channel once the hub runs."""


@dataclass(frozen=True, slots=True)
class ChannelKind:
    """One channel as the processes see it.

    Attributes:
        name: the channel's name (``telegram``), its options' first word.
        add_options: adds the channel's options to a process's parser.
        configure: from parsed options, the factory, or None when the channel is not
            configured; raises ValueError (a usage error naming the option) for bad options.
    """

    name: str
    add_options: Callable[[argparse.ArgumentParser], None]
    configure: Callable[[argparse.Namespace], ChannelFactory | None]
