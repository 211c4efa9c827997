"""The Telegram bot: every command in chat, live edits, buttons, pictures, per-user limits.

The channel runs inside the hub process (``cloudping hub`` or ``cloudping up`` with
``--telegram-token-file``). Sans-IO pieces: :mod:`.reading` (a message to a command line),
:mod:`.access` (who, as which caller), :mod:`.pacing` (when to edit), :mod:`.buttons` (the
keyboard and its callback data), :mod:`.recent` (bounded state). The Bot API plumbing
(python-telegram-bot) is :mod:`.bot` and :mod:`.outbox`; live messages are :mod:`.live`,
and :mod:`.journal` keeps the ids of running messages across a crash.
"""

from __future__ import annotations

import argparse

from cloudping.channels.plug import Channel, ChannelContext, ChannelFactory, ChannelKind

from .settings import add_options, settings_from


def configure(args: argparse.Namespace) -> ChannelFactory | None:
    """The bot's factory when ``--telegram-token-file`` is given.

    Raises:
        ValueError: a bad ``--telegram-...`` option (the message names it).
    """
    settings = settings_from(args)
    if settings is None:
        return None

    def build(context: ChannelContext) -> Channel:
        from .bot import TelegramChannel  # noqa: PLC0415 (python-telegram-bot only when used)

        return TelegramChannel(context, settings)

    return build


TELEGRAM = ChannelKind("telegram", add_options, configure)

__all__ = ["TELEGRAM"]
