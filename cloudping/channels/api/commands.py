"""``POST /api/v1/commands``: any command that is not a measurement, answered as one JSON
document by the command service (``list``, ``version``, ``help``, ``route``, ``ipinfo``; a hub
without a route store says ``not_implemented`` to ``route``, ``token`` is not issued over the
API)."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from cloudping.channels.api.context import api_of
from cloudping.channels.api.errors import bad_request
from cloudping.channels.api.measurements import json_body
from cloudping.commands import parse


async def answer(request: Request) -> Response:
    """The command's answer: ``{"command", "text", ...}`` (the data depends on the command)."""
    api = api_of(request)
    caller = api.caller(request)
    body = await json_body(request)
    text = body.get("command")
    if set(body) != {"command"} or not isinstance(text, str):
        raise bad_request('the body must be {"command": "..."}, a command line as text')
    result = await api.service.answer(caller, parse(text, limits=api.service.settings.limits))
    return JSONResponse(result.to_json())
