"""A client that goes away in the middle of a stream cancels its measurement's jobs."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import pytest
from starlette.types import Message

from .world import WAIT, world

pytestmark = pytest.mark.anyio


def post_scope(path: str, token: str) -> dict[str, Any]:
    """An ASGI HTTP scope (spec 2.0: Starlette watches for http.disconnect itself)."""
    headers = [
        (b"authorization", f"Bearer {token}".encode()),
        (b"content-type", b"application/json"),
    ]
    return {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "POST",
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "query_string": b"",
        "root_path": "",
        "headers": headers,
        "client": ("127.0.0.1", 4000),
        "server": ("testserver", 80),
    }


async def test_a_client_that_disconnects_mid_stream_cancels_its_jobs() -> None:
    body = json.dumps({"command": "ping -c 2 -s ams1 example.com"}).encode()
    inbox: list[Message] = [{"type": "http.request", "body": body, "more_body": False}]
    streaming = asyncio.Event()

    async def receive() -> Message:
        if inbox:
            return inbox.pop(0)
        await streaming.wait()
        return {"type": "http.disconnect"}

    async def send(message: Message) -> None:
        if message["type"] == "http.response.body" and message.get("body"):
            streaming.set()

    async with world() as w:
        scope = post_scope("/api/v1/measurements", w.token("measure"))
        async with asyncio.timeout(WAIT):
            await w.app(scope, receive, send)
            await w.hub.wait("m1")
        stored = await w.store.get("m1")
    assert stored.status == "cancelled"
    assert w.links["ams1"].cancels == ["m1.1"]


async def test_a_client_gone_before_the_first_line_cancels_its_jobs_too() -> None:
    body = json.dumps({"command": "ping -c 2 -s ams1 example.com"}).encode()
    inbox: list[Message] = [{"type": "http.request", "body": body, "more_body": False}]

    async def receive() -> Message:
        return inbox.pop(0) if inbox else {"type": "http.disconnect"}

    async def send(message: Message) -> None:
        return None

    async with world() as w:
        scope = post_scope("/api/v1/measurements", w.token("measure"))
        async with asyncio.timeout(WAIT):
            await w.app(scope, receive, send)
            await w.hub.wait("m1")
        stored = await w.store.get("m1")
    assert stored.status == "cancelled"
