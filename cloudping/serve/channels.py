"""The channels that live in the hub process (see ``cloudping/channels/plug.py``).

Adding one is one line in :data:`KINDS`; the hub and ``cloudping up`` take its options and
run it when configured.
"""

from __future__ import annotations

import argparse
from collections.abc import AsyncIterator, Sequence
from contextlib import AsyncExitStack, asynccontextmanager

from cloudping.channels import probe, signin, web
from cloudping.channels.email import EMAIL
from cloudping.channels.plug import Channel, ChannelContext, ChannelFactory, ChannelKind
from cloudping.channels.telegram import TELEGRAM

KINDS: tuple[ChannelKind, ...] = (signin.KIND, probe.KIND, web.KIND, TELEGRAM, EMAIL)


def add_channel_options(p: argparse.ArgumentParser, kinds: Sequence[ChannelKind] = KINDS) -> None:
    """Every channel's options on a process's parser."""
    for kind in kinds:
        kind.add_options(p)


def configure_channels(
    args: argparse.Namespace, kinds: Sequence[ChannelKind] = KINDS
) -> tuple[ChannelFactory, ...]:
    """The channels configured by ``args``.

    Raises:
        ValueError: a channel's options are wrong (the message names the option).
    """
    return tuple(f for kind in kinds if (f := kind.configure(args)) is not None)


@asynccontextmanager
async def running_channels(
    factories: Sequence[ChannelFactory], context: ChannelContext
) -> AsyncIterator[tuple[Channel, ...]]:
    """Build and run each channel until the block ends (in reverse order on the way out)."""
    channels = tuple(factory(context) for factory in factories)
    async with AsyncExitStack() as stack:
        for channel in channels:
            await stack.enter_async_context(channel.running())
        yield channels
