"""The CLI through a hub: ``--hub URL --token T`` runs a command via the HTTP API.

The command goes to ``POST /api/v1/measurements`` as text in the shared grammar (in its
structured form when it carries certificates, ``ca_pem``, which have no words); the NDJSON
answer is read line by line into typed events and handed to the same printer as a local run,
so the output and the exit status are the same. The token is only ever sent, never printed.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from cloudping.commands import Command, format_command, to_json
from cloudping.errors import UsageError

if TYPE_CHECKING:
    import ssl

    from cloudping.events import Event

HUB_ENV, TOKEN_ENV = "CLOUDPING_HUB", "CLOUDPING_TOKEN"
MEASUREMENTS_PATH = "/api/v1/measurements"
CONNECT_TIMEOUT_S = 10.0


@dataclass(frozen=True, slots=True)
class HubTarget:
    """The hub's base URL (``http://127.0.0.1:8080``) and the bearer token, if any."""

    url: str
    token: str | None = field(default=None, repr=False)


class HubError(Exception):
    """The run could not go through the hub; the message is for the user (no token in it)."""


def take_hub(words: Sequence[str], env: Mapping[str, str]) -> tuple[HubTarget | None, list[str]]:
    """Take ``--hub URL`` and ``--token T`` (or ``--opt=VALUE``) out of the words, up to a
    ``--``; ``CLOUDPING_HUB``/``CLOUDPING_TOKEN`` fill in what the words do not say.

    Raises:
        UsageError: an option without its value, a token without a hub, a URL not http(s).
    """
    found: dict[str, str] = {}
    rest: list[str] = []
    index = 0
    while index < len(words):
        word = words[index]
        if word == "--":
            rest.extend(words[index:])
            break
        name, eq, value = word.partition("=")
        if name in ("--hub", "--token"):
            if not eq:
                if index + 1 >= len(words) or words[index + 1] == "--":
                    raise UsageError(f"{name} needs a value", word=name)
                index += 1
                value = words[index]
            found[name] = value
        else:
            rest.append(word)
        index += 1
    url = found.get("--hub") or env.get(HUB_ENV) or None
    token = found.get("--token") or env.get(TOKEN_ENV) or None
    if url is None:
        if "--token" in found:
            raise UsageError("--token needs --hub URL (or CLOUDPING_HUB)", word="--token")
        return None, rest
    if not url.startswith(("http://", "https://")):
        raise UsageError(f"--hub {url!r} must be an http:// or https:// URL", word=url)
    return HubTarget(url.rstrip("/"), token), rest


async def run_via_hub(hub: HubTarget, cmd: Command, on_event: Callable[[Event], None]) -> None:
    """Run ``cmd`` on ``hub``, handing each event of the stream to ``on_event``.

    Raises:
        HubError: the hub cannot be reached, refused the command, or sent something that
            is not an event.
    """
    import httpx  # noqa: PLC0415 (only a run through a hub needs it)

    headers = {"Accept": "application/x-ndjson"}
    if hub.token:
        headers["Authorization"] = f"Bearer {hub.token}"
    timeout = httpx.Timeout(CONNECT_TIMEOUT_S, read=None)
    # Certificates (ca_pem) have no words in the text grammar: such a command goes structured.
    ca_pem = getattr(cmd, "ca_pem", None)
    body = to_json(cmd) if ca_pem is not None else {"command": format_command(cmd)}
    try:
        async with (
            httpx.AsyncClient(timeout=timeout, verify=tls_verify(hub.url)) as client,
            client.stream(
                "POST", hub.url + MEASUREMENTS_PATH, json=body, headers=headers
            ) as response,
        ):
            if response.status_code != httpx.codes.OK:
                raise HubError(_error_message(await response.aread(), response.status_code))
            async for line in response.aiter_lines():
                if line.strip():
                    on_event(_event(line, hub.url))
    except httpx.TransportError as exc:
        reason = str(exc) or type(exc).__name__
        raise HubError(f"cannot reach the hub at {hub.url}: {reason}") from exc


def tls_verify(url: str) -> ssl.SSLContext | bool:
    """What the client verifies TLS with: httpx's default (``True``, its CA bundle) wherever
    TLS may be spoken, to an https:// hub or to a proxy from the environment.

    A plain http:// hub reached directly never speaks TLS (redirects are not followed), so it
    gets a context that trusts no certificate: loading the bundle costs ~25 ms of start-up
    for nothing, and should TLS ever be spoken, verification fails rather than passes.
    """
    import ssl  # noqa: PLC0415 (this module also serves the CLI before it knows of a hub)
    import urllib.request  # noqa: PLC0415 (httpx has imported it already)

    if url.startswith("https://") or urllib.request.getproxies():
        return True
    return ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)


def _event(line: str, url: str) -> Event:
    # Imported here: the CLI loads this module for take_hub before it knows there is a hub.
    from pydantic import ValidationError  # noqa: PLC0415

    from cloudping.events import from_dict  # noqa: PLC0415

    try:
        return from_dict(json.loads(line))
    except (ValueError, ValidationError) as exc:
        raise HubError(f"the hub at {url} sent a line that is not an event") from exc


def _error_message(raw: bytes, status: int) -> str:
    """The API's ``{"error": {"message": ...}}``, or the bare status when it is not that."""
    try:
        payload: Any = json.loads(raw)
    except ValueError:
        payload = None
    if isinstance(payload, dict):
        error = payload.get("error")
        if isinstance(error, dict) and isinstance(error.get("message"), str):
            return str(error["message"])
        if isinstance(error, str):
            return error
    return f"the hub answered HTTP {status}"
