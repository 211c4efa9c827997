"""``GET /probe?module=NAME&target=...&from=SELECTOR``: blackbox_exporter's endpoint, run from
cloudping's agents through the command service (a token with ``measure``, its quotas, the
target policy, as every channel).

A channel of its own (``channels/plug.py``) rather than a route of the API: it speaks
Prometheus' exposition, not the API's JSON, and Prometheus is one more client of the one
command service, counted under its own name (``probe``) in the requests metric.
"""

from __future__ import annotations

import argparse
import asyncio
import math
import time
from collections.abc import Mapping, Sequence
from contextlib import AbstractAsyncContextManager, nullcontext

from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import BaseRoute, Route

from cloudping.auth import bearer_token
from cloudping.channels.api.errors import error_response
from cloudping.channels.plug import Channel, ChannelContext, ChannelFactory, ChannelKind
from cloudping.channels.probe.command import probe_command
from cloudping.channels.probe.exposition import exposition, readings
from cloudping.channels.probe.modules import BUILTIN, ProbeModule, modules_from_table
from cloudping.commands import Command
from cloudping.edge import RoutePolicy
from cloudping.errors import CloudpingError
from cloudping.events import Event
from cloudping.service import Caller, token_caller
from cloudping.settings import register_table

PROBE_PATH = "/probe"
CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"
# Prometheus says in each scrape how long it waits; a probe past it is cut short, and what
# came so far is answered, as blackbox_exporter does.
SCRAPE_TIMEOUT_HEADER = "x-prometheus-scrape-timeout-seconds"
# blackbox_exporter leaves this much of the scrape's time for the answer to travel.
TIMEOUT_OFFSET_S = 0.5


class ProbeChannel:
    """The ``/probe`` route over the shared command service."""

    def __init__(self, context: ChannelContext, modules: Mapping[str, ProbeModule]) -> None:
        self._context = context
        self._modules = dict(modules)

    def routes(self) -> Sequence[BaseRoute]:
        """``GET /probe``."""
        return [Route(PROBE_PATH, self._probe, methods=["GET"])]

    def running(self) -> AbstractAsyncContextManager[None]:
        """Nothing runs beside the hub: each scrape is one request."""
        return nullcontext()

    def policies(self) -> Sequence[tuple[str, RoutePolicy]]:
        """None of its own: ``/probe`` is a GET."""
        return ()

    async def _probe(self, request: Request) -> Response:
        try:
            caller = self._caller(request)  # first: nothing is said to a caller without one
        except CloudpingError as exc:
            return error_response(exc)
        params = request.query_params
        name, target = params.get("module", "http_2xx"), params.get("target", "")
        module = self._modules.get(name)
        # blackbox_exporter's own answers to these two, word for word.
        if module is None:
            return PlainTextResponse(f"Unknown module {name!r}", status_code=400)
        if not target:
            return PlainTextResponse("Target parameter is missing", status_code=400)
        started = time.perf_counter()
        try:
            command = probe_command(module, target, params.get("from") or None)
            events = await self._run(request, caller, command)
        except CloudpingError as exc:
            return error_response(exc)
        found = readings(module, target, events, time.perf_counter() - started)
        return Response(exposition(found), media_type=CONTENT_TYPE)

    def _caller(self, request: Request) -> Caller:
        """Who scrapes: the subject of an ``api`` token, counted under channel ``probe``.

        Raises:
            AuthError: no, bad, expired or revoked token (401).
        """
        settings = self._context.service.settings
        token = bearer_token(request.headers.get("authorization"))
        principal = self._context.tokens.verify(token, "api", settings.clock())
        return token_caller(principal.subject, principal.scopes, settings, channel="probe")

    async def _run(self, request: Request, caller: Caller, command: Command) -> list[Event]:
        """The events of the probe's measurement, up to the scrape's deadline.

        Raises:
            CloudpingError: before any event: ``scope_missing``, ``quota_exceeded``,
                ``no_agent_matched``.
        """
        events: list[Event] = []
        try:
            async with asyncio.timeout(_deadline(request)):
                await self._context.service.run(caller, command, events.append)
        except TimeoutError:
            pass  # cancelled with the deadline: the agents that answered in time count
        return events


def _deadline(request: Request) -> float | None:
    """Seconds the scraper still waits for the answer (None: it did not say)."""
    try:
        seconds = float(request.headers.get(SCRAPE_TIMEOUT_HEADER, "nan"))
    except ValueError:
        return None
    return max(0.1, seconds - TIMEOUT_OFFSET_S) if math.isfinite(seconds) else None


def _add_options(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--probe-endpoint",
        choices=("on", "off"),
        default="on",
        help="serve GET /probe (blackbox_exporter's endpoint, run from the agents; tokens "
        "with the measure scope) on the HTTP listener (default on)",
    )


def _configure(args: argparse.Namespace) -> ChannelFactory | None:
    if args.probe_endpoint == "off":
        return None
    # The settings file's [probe.modules] (checked when it was read), else the built-in ones.
    return probe_channel(getattr(args, "probe_modules", None) or BUILTIN)


def probe_channel(modules: Mapping[str, ProbeModule]) -> ChannelFactory:
    """The channel's factory with ``modules`` (see :func:`modules_from_table`)."""

    def build(context: ChannelContext) -> Channel:
        return ProbeChannel(context, modules)

    return build


register_table("probe.modules", modules_from_table)
KIND = ChannelKind("probe", _add_options, _configure)
