"""The seed project's ``GET /ping?targets=a,b&from=SEL&count=N&intervalMs=&pktTimeoutMs=``.

Existing cloudping (Go) clients keep working: the query becomes a structured ``ping`` command
(so it is checked exactly as any other) and the answer is the NDJSON event stream.
"""

from __future__ import annotations

from typing import Any

from starlette.datastructures import QueryParams
from starlette.requests import Request
from starlette.responses import Response

from cloudping.channels.api.context import api_of
from cloudping.channels.api.errors import bad_request
from cloudping.channels.api.measurements import run
from cloudping.channels.api.params import whole_number
from cloudping.commands import from_json

# query parameter -> (field of the ping command, scale into its unit)
_NUMBERS: dict[str, tuple[str, float]] = {
    "count": ("count", 1.0),
    "intervalMs": ("interval", 0.001),
    "pktTimeoutMs": ("timeout", 0.001),
}


async def seed_ping(request: Request) -> Response:
    """Run the ping the query describes and stream its events."""
    api = api_of(request)
    caller = api.caller(request)
    # Before the body is read: a caller who may not measure learns nothing of the command.
    caller.require("measure")
    command = from_json(ping_form(request.query_params), limits=api.service.settings.limits)
    return await run(api, caller, command, background=False)


def ping_form(query: QueryParams) -> dict[str, Any]:
    """The structured ping command of a seed query.

    Raises:
        CloudpingError: ``bad_request`` for a missing ``targets`` or a number that is not one.
    """
    targets = [word for word in query.get("targets", "").split(",") if word]
    if not targets:
        raise bad_request("targets is required: /ping?targets=example.com,1.1.1.1")
    form: dict[str, Any] = {"command": "ping", "targets": targets}
    for name, (key, scale) in _NUMBERS.items():
        if name in query:
            form[key] = _number(name, query[name]) * scale
    if query.get("from"):
        form["from"] = {"selectors": query["from"]}
    if "count" in form:
        form["count"] = int(form["count"])
    return form


def _number(name: str, text: str) -> float:
    return float(whole_number(name, text, most_digits=9))
