"""A JSON-RPC request id that is not a string or a number is refused before the SDK.

JSON-RPC 2.0 (section 4) allows a string or a number (null discouraged; MCP forbids it). In
a session the SDK reads a message whose id is an object, an array, a boolean or null as a
notification and answers 202 Accepted, so the client waits for an answer that never comes.
This check answers such a message (alone or in a batch) with HTTP 400 and the JSON-RPC error
-32600 (Invalid Request), and lets every other request through untouched (its body replayed
to the SDK).
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator

from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

INVALID_REQUEST = -32600


class RequestIdCheck:
    """ASGI middleware in front of the SDK's StreamableHTTP app."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] != "POST":
            await self.app(scope, receive, send)
            return
        messages = [message async for message in _body(receive)]
        body = b"".join(message.get("body", b"") for message in messages)
        if _bad_id(body):
            error = {
                "code": INVALID_REQUEST,
                "message": "Invalid Request: id must be a string or a number",
            }
            answer = JSONResponse({"jsonrpc": "2.0", "id": None, "error": error}, status_code=400)
            await answer(scope, receive, send)
            return
        await self.app(scope, _replay(messages, receive), send)


async def _body(receive: Receive) -> AsyncIterator[Message]:
    while True:
        message = await receive()
        yield message
        if message["type"] != "http.request" or not message.get("more_body", False):
            return


def _replay(messages: list[Message], receive: Receive) -> Receive:
    pending = list(messages)

    async def replay() -> Message:
        return pending.pop(0) if pending else await receive()

    return replay


def _bad_id(body: bytes) -> bool:
    try:
        payload = json.loads(body)
    except ValueError:
        return False  # not JSON: the SDK answers that itself (parse error)
    batch = payload if isinstance(payload, list) else [payload]
    return any(isinstance(item, dict) and _bad_request_id(item) for item in batch)


def _bad_request_id(message: dict[str, object]) -> bool:
    if "id" not in message:
        return False  # a notification
    request_id = message["id"]
    if request_id is None:
        return "method" in message  # a request; an error response may carry null (section 5)
    return isinstance(request_id, dict | list | bool)
