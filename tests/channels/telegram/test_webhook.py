"""``cloudping hub --telegram-webhook-url``: updates arrive as POSTs to the hub's listener,
behind its HTTP guard, and only with the secret the bot gave ``setWebhook``."""

from __future__ import annotations

import argparse
import asyncio
import socket
from pathlib import Path

import httpx
from upprocess import free_port

from cloudping.channels.telegram.bot import SECRET_HEADER
from cloudping.hub.server import HubServerSettings
from cloudping.serve.channels import add_channel_options, configure_channels
from cloudping.serve.http import ApiListen
from cloudping.serve.hub import serve
from cloudping.service import ApiSettings

from .botapi import TOKEN, USER, BotApi

WAIT = 20.0


def test_webhook_updates_need_the_secret_and_are_answered(tmp_path: Path) -> None:
    api = BotApi().start()
    port = free_port(socket.SOCK_STREAM)
    hook = f"http://127.0.0.1:{port}/telegram/webhook"
    token_file = tmp_path / "bot-token"
    token_file.write_text(TOKEN)
    p = argparse.ArgumentParser()
    add_channel_options(p)
    p.add_argument("--listen")
    args = p.parse_args([
        "--telegram-token-file", str(token_file), "--telegram-api-url", api.url,
        "--telegram-webhook-url", hook, "--telegram-allow", str(USER["id"]),
        "--listen", f"127.0.0.1:{port}",
    ])  # fmt: skip
    factories = configure_channels(args)

    async def scenario() -> None:
        stop = asyncio.Event()
        listen = ApiListen("127.0.0.1", port, ApiSettings())
        hub = HubServerSettings(data_dir=tmp_path / "hub", agent_port=0)
        task = asyncio.create_task(
            serve(hub, stop=stop, api=listen, greeting=lambda *_: "", channels=factories)
        )
        try:
            secret = (await api.until(lambda a: a.webhook, what="setWebhook"))["secret_token"]
            assert len(secret) >= 32
            await asyncio.to_thread(api.say, "/version")
            await api.until(lambda a: a.messages(USER["id"]), what="the answer by webhook")
            update = {"update_id": 99, "message": {
                "message_id": 99, "date": 0, "text": "/version",
                "chat": {"id": USER["id"], "type": "private"}, "from": USER,
            }}  # fmt: skip
            async with httpx.AsyncClient(trust_env=False) as client:
                wrong = await client.post(hook, json=update, headers={SECRET_HEADER: "guess"})
                missing = await client.post(hook, json=update)
                right = await client.post(hook, json=update, headers={SECRET_HEADER: secret})
            await api.until(lambda a: len(a.messages(USER["id"])) == 2, what="the second answer")
        finally:
            stop.set()
            async with asyncio.timeout(WAIT):
                await task
        assert (wrong.status_code, missing.status_code, right.status_code) == (403, 403, 200)
        assert api.webhook_answers == [200]
        assert not api.called("getUpdates")  # no polling in webhook mode
        answers = api.messages(USER["id"])
        assert len(answers) == 2  # the refused POSTs were never handled
        assert all(m.text.startswith("hub: cloudping") for m in answers)

    try:
        asyncio.run(scenario())
    finally:
        api.stop()
