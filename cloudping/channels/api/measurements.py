"""``/api/v1/measurements``: run a command (streamed or in the background), read, follow."""

from __future__ import annotations

import json
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response, StreamingResponse

from cloudping.channels.api.context import Api, api_of
from cloudping.channels.api.errors import bad_request
from cloudping.channels.api.params import whole_number
from cloudping.channels.api.streaming import NDJSON, follow, live
from cloudping.commands import Command, from_json
from cloudping.service import Caller
from cloudping.store import StoredMeasurement

MAX_BODY = 64 * 1024  # bytes: a command is far smaller


async def create(request: Request) -> Response:
    """``POST /measurements``: NDJSON while it runs, or ``202 {"id"}`` with ``background``."""
    api = api_of(request)
    caller = api.caller(request)
    caller.require("measure")
    body = await _json_body(request)
    background = body.pop("background", False)
    if not isinstance(background, bool):
        raise bad_request('"background" must be true or false', field="background")
    command = from_json(body)
    return await run(api, caller, command, background=background)


async def run(api: Api, caller: Caller, command: Command, *, background: bool) -> Response:
    """Admit ``command`` for ``caller`` and answer with its stream or its id."""
    if background:
        measurement_id = await api.service.start(caller, command)
        return JSONResponse({"id": measurement_id}, status_code=202)
    return await live(lambda emit: api.service.run(caller, command, emit))


async def read(request: Request) -> Response:
    """``GET /measurements/{id}``: the stored measurement with every event."""
    api = api_of(request)
    stored = await api.service.stored(api.caller(request), request.path_params["id"])
    return JSONResponse(_public(stored))


async def events(request: Request) -> Response:
    """``GET /measurements/{id}/events?after=SEQ``: replay, then follow while it runs."""
    api = api_of(request)
    stored = await api.service.stored(api.caller(request), request.path_params["id"])
    after = _after(request.query_params.get("after", "0"))
    lines = follow(api.store, stored.id, after, api.settings.follow_interval_s)
    return StreamingResponse(lines, media_type=NDJSON)


def _public(stored: StoredMeasurement) -> dict[str, Any]:
    return {
        "id": stored.id,
        "command": stored.command,
        "command_json": stored.command_json,
        "subject": stored.subject,
        "agents": list(stored.agents),
        "status": stored.status,
        "created_at": stored.created_at,
        "ended_at": stored.ended_at,
        "summary": stored.summary,
        "events": [stored_event.event for stored_event in stored.events],
    }


def _after(text: str) -> int:
    return whole_number("after", text, most_digits=18, what="a whole number of events")


async def _json_body(request: Request) -> dict[str, Any]:
    raw = await request.body()
    if len(raw) > MAX_BODY:
        raise bad_request(f"the body is over {MAX_BODY} bytes", limit=MAX_BODY)
    try:
        body = json.loads(raw)
    except (ValueError, RecursionError) as exc:
        raise bad_request("the body is not JSON") from exc
    if not isinstance(body, dict):
        raise bad_request('the body must be a JSON object such as {"command": "ping x"}')
    return body
