"""The bot on a hub of scripted agents, against the Bot API stand-in, in one event loop."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, replace
from pathlib import Path

from cloudping.auth import KeyRing, SigningKey, TokenService
from cloudping.channels.plug import ChannelContext
from cloudping.channels.telegram.bot import TelegramChannel
from cloudping.channels.telegram.settings import TelegramSettings
from cloudping.hub import Hub
from cloudping.service import ApiSettings, CommandService
from cloudping.testing import ScriptedAgent, scripted_hub

from .botapi import TOKEN, USER, BotApi

PUBLIC_URL = "https://ping.example.net"


@dataclass
class World:
    """What a test touches: the stand-in, the channel, the hub and its command service."""

    api: BotApi
    channel: TelegramChannel
    hub: Hub
    service: CommandService
    tokens: TokenService


def settings_for(api: BotApi, **changes: object) -> TelegramSettings:
    """The bot's settings against ``api``: Ada allowed, short edit intervals (fast tests)."""
    base = TelegramSettings(
        token=TOKEN,
        api_url=api.url,
        allow=frozenset({USER["id"]}),
        edit_interval_s=0.2,
        group_edit_interval_s=0.6,
    )
    return replace(base, **changes)  # type: ignore[arg-type]


@asynccontextmanager
async def bot_world(
    api: BotApi,
    data_dir: Path,
    *agents: ScriptedAgent,
    settings: TelegramSettings,
    api_settings: ApiSettings | None = None,
) -> AsyncIterator[World]:
    """The bot running (its commands published, polling or its webhook set)."""
    async with scripted_hub(*agents) as hub:
        service = CommandService(hub, hub.store, api_settings or ApiSettings())
        tokens = TokenService(KeyRing.of(SigningKey.generate()))
        context = ChannelContext(service, tokens, data_dir, listening=True, public_url=PUBLIC_URL)
        channel = TelegramChannel(context, settings)
        async with channel.running():
            await api.until(lambda a: a.called("setmycommands"), what="setMyCommands")
            async with asyncio.timeout(20):
                await channel.ready.wait()
            yield World(api, channel, hub, service, tokens)
