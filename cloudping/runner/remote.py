"""The hub runner: a command through a hub's HTTP API (``--hub URL --token T``).

A measurement goes to ``POST /api/v1/measurements`` as text in the shared grammar (in its
structured form when it carries certificates, ``ca_pem``, which have no words); the NDJSON
answer is read line by line into typed events and handed on as a local run's would be, so
the output and the exit status are the same. Any other command goes to
``POST /api/v1/commands``. The token is only ever sent, never printed.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import TYPE_CHECKING, Any

from pydantic import ValidationError

from cloudping.commands import Command, format_command, to_json
from cloudping.commands.answer import Answer
from cloudping.errors import CloudpingError
from cloudping.events import Emit, EndEvent, Event, from_dict
from cloudping.events.status import EndStatus
from cloudping.runner.target import HubTarget

if TYPE_CHECKING:
    import ssl

    import httpx

MEASUREMENTS_PATH = "/api/v1/measurements"
COMMANDS_PATH = "/api/v1/commands"
CONNECT_TIMEOUT_S = 10.0
STREAM_BROKEN = "the hub closed the connection before the end"
# The end statuses of a stream the hub stopped before its jobs were done.
STOPPED: frozenset[EndStatus] = frozenset({"cancelled", "interrupted"})


class HubError(CloudpingError):
    """The command could not go through the hub; the message is for the user (no token in
    it), the code is the hub's own when it answered with one."""

    code = "hub_unreachable"


class HubRunner:
    """Runs and answers commands on one hub."""

    def __init__(self, hub: HubTarget) -> None:
        self.hub = hub

    async def run(self, command: Command, emit: Emit) -> None:
        """Run ``command`` on the hub, handing each event of the stream to ``emit``.

        Raises:
            HubError: the hub cannot be reached, refused the command (its code), or sent
                something that is not an event (``bad_event``); after the events it did
                send, ``stream_stopped`` when it ended the stream ``cancelled`` or
                ``interrupted``, ``stream_broken`` when the stream stopped without an ``end``.
        """
        import httpx  # noqa: PLC0415 (only a run through a hub needs it)

        last: Event | None = None
        async with self._post(MEASUREMENTS_PATH, command, "application/x-ndjson") as response:
            try:
                async for line in response.aiter_lines():
                    if line.strip():
                        last = self._event(line)
                        emit(last)
            except httpx.TransportError as exc:
                raise HubError(STREAM_BROKEN, code="stream_broken") from exc
        if not isinstance(last, EndEvent):
            raise HubError(STREAM_BROKEN, code="stream_broken")
        if last.status in STOPPED:
            raise HubError(f"the hub closed the stream: {last.status}", code="stream_stopped")

    async def answer(self, command: Command) -> Answer:
        """The hub's answer to ``command`` (``list``, ``version``, ...).

        Raises:
            HubError: as :meth:`run`; ``bad_answer`` for a body that is not an answer.
        """
        async with self._post(COMMANDS_PATH, command, "application/json") as response:
            raw = await response.aread()
        try:
            return Answer.from_json(json.loads(raw))
        except (ValueError, AttributeError) as exc:
            message = f"the hub at {self.hub.url} sent something that is not an answer"
            raise HubError(message, code="bad_answer") from exc

    @asynccontextmanager
    async def _post(
        self, path: str, command: Command, accept: str
    ) -> AsyncIterator[httpx.Response]:
        """The hub's 200 response to ``command`` posted to ``path``, open for reading."""
        import httpx  # noqa: PLC0415 (only a run through a hub needs it)

        headers = {"Accept": accept}
        if self.hub.token:
            headers["Authorization"] = f"Bearer {self.hub.token}"
        timeout = httpx.Timeout(CONNECT_TIMEOUT_S, read=None)
        # Certificates (ca_pem) have no words in the text grammar: such a command goes in its
        # structured form.
        structured = getattr(command, "ca_pem", None) is not None
        body = to_json(command) if structured else {"command": format_command(command)}
        try:
            async with (
                httpx.AsyncClient(timeout=timeout, verify=tls_verify(self.hub.url)) as client,
                client.stream("POST", self.hub.url + path, json=body, headers=headers) as response,
            ):
                if response.status_code != httpx.codes.OK:
                    raise _refusal(await response.aread(), response.status_code)
                yield response
        except httpx.TransportError as exc:
            reason = str(exc) or type(exc).__name__
            raise HubError(f"cannot reach the hub at {self.hub.url}: {reason}") from exc

    def _event(self, line: str) -> Event:
        try:
            return from_dict(json.loads(line))
        except (ValueError, ValidationError) as exc:
            message = f"the hub at {self.hub.url} sent a line that is not an event"
            raise HubError(message, code="bad_event") from exc


def tls_verify(url: str) -> ssl.SSLContext | bool:
    """What the client verifies TLS with: httpx's default (``True``, its CA bundle) wherever
    TLS may be spoken, to an https:// hub or to a proxy from the environment.

    A plain http:// hub reached directly never speaks TLS (redirects are not followed), so it
    gets a context that trusts no certificate: loading the bundle costs ~25 ms of start-up
    for nothing, and should TLS ever be spoken, verification fails rather than passes.
    """
    import ssl  # noqa: PLC0415 (a local run never needs it)
    import urllib.request  # noqa: PLC0415 (httpx has imported it already)

    if url.startswith("https://") or urllib.request.getproxies():
        return True
    return ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)


def _refusal(raw: bytes, status: int) -> HubError:
    """The API's ``{"error": {"code", "message"}}`` as an error with the hub's code, or the
    bare status when it is not that."""
    try:
        payload: Any = json.loads(raw)
    except ValueError:
        payload = None
    error = payload.get("error") if isinstance(payload, dict) else None
    if isinstance(error, dict) and isinstance(error.get("message"), str):
        code = error.get("code")
        return HubError(
            str(error["message"]), code=code if isinstance(code, str) else "hub_refused"
        )
    if isinstance(error, str):
        return HubError(error, code="hub_refused")
    return HubError(f"the hub answered HTTP {status}", code="hub_refused", status=status)
