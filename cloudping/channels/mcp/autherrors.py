"""The MCP SDK's 401/403 bodies in the API's error shape, ``{"error": {"code", "message"}}``.

The SDK's Bearer middleware answers ``{"error": "invalid_token", "error_description":
"Authentication required"}`` whatever was wrong, and its verifier hook only says yes or no. A
client of both the API and ``/mcp`` should read one shape with the same codes, so a refusal
is answered again here: the token is checked once more (only on this path) for the reason.
The status and ``WWW-Authenticate`` (RFC 6750 section 3) stay as the SDK sent them.
"""

from __future__ import annotations

import json
from collections.abc import Callable

from starlette.datastructures import Headers
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from cloudping.auth import AuthError, TokenService, bearer_token

_REFUSALS = (401, 403)


class ApiShapedAuthErrors:
    """ASGI middleware: the SDK's authentication refusals, reworded in the API's shape.

    Args:
        app: the SDK's app.
        tokens: the hub's tokens, to tell why a token was refused.
        clock: the hub's clock (POSIX seconds).
    """

    def __init__(self, app: ASGIApp, tokens: TokenService, clock: Callable[[], float]) -> None:
        self.app = app
        self.tokens = tokens
        self.clock = clock

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        held: list[Message] = []

        async def reshape(message: Message) -> None:
            if message["type"] == "http.response.start" and message["status"] in _REFUSALS:
                held.append(message)  # until its body is whole
                return
            if not held:
                await send(message)
                return
            held.append(message)
            if not message.get("more_body", False):
                for shaped in self._reshaped(scope, held):
                    await send(shaped)

        await self.app(scope, receive, reshape)

    def _reshaped(self, scope: Scope, messages: list[Message]) -> list[Message]:
        """The held answer with the API's body, or as it was when it is not the SDK's."""
        start = messages[0]
        raw = b"".join(message.get("body", b"") for message in messages[1:])
        try:
            sdk = json.loads(raw)
        except ValueError:
            return messages
        if not isinstance(sdk, dict) or not isinstance(sdk.get("error"), str):
            return messages
        error = self._error(scope, start["status"], str(sdk.get("error_description", "")))
        body = json.dumps({"error": error.to_dict()}, separators=(",", ":")).encode()
        headers = [(k, v) for k, v in start["headers"] if k.lower() != b"content-length"]
        headers.append((b"content-length", str(len(body)).encode()))
        return [{**start, "headers": headers}, {"type": "http.response.body", "body": body}]

    def _error(self, scope: Scope, status: int, description: str) -> AuthError:
        if status == 403:  # the SDK checks the scope MCP requires
            return AuthError(
                f"the token lacks a scope MCP needs ({description})", code="scope_missing"
            )
        try:
            token = bearer_token(Headers(scope=scope).get("authorization"))
            self.tokens.verify(token, "api", self.clock())
        except AuthError as exc:
            return exc
        return AuthError("the token was refused", code="token_invalid")
