"""``/api/v1/measurements``: run a command (streamed or in the background), read, ndjson,
cancel, and draw its picture."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response, StreamingResponse

from cloudping.channels.api.context import Api, api_of
from cloudping.channels.api.errors import bad_request
from cloudping.channels.api.params import whole_number
from cloudping.channels.api.streaming import NDJSON, live, ndjson
from cloudping.commands import Command, from_json
from cloudping.errors import CloudpingError
from cloudping.events import from_dict
from cloudping.ids import new_read_key
from cloudping.render.picture import PICTURES, picture
from cloudping.service import Caller
from cloudping.store import StoredMeasurement


async def create(request: Request) -> Response:
    """``POST /measurements``: NDJSON while it runs, or ``202 {"id", "read_key"}`` with
    ``background``."""
    api = api_of(request)
    caller = api.caller(request)
    # Before the body is read: a caller who may not measure learns nothing of the command.
    caller.require("measure")
    body = await json_body(request)
    background = body.pop("background", False)
    if not isinstance(background, bool):
        raise bad_request('"background" must be true or false', field="background")
    command = from_json(body, limits=api.service.settings.limits)
    return await run(api, caller, command, background=background)


async def run(api: Api, caller: Caller, command: Command, *, background: bool) -> Response:
    """Admit ``command`` for ``caller`` and answer with its stream or its id."""
    if background:
        read_key = new_read_key()
        measurement_id = await api.service.start(caller, command, read_key=read_key)
        return JSONResponse({"id": measurement_id, "read_key": read_key}, status_code=202)
    return await live(lambda emit: api.service.run(caller, command, emit))


async def read(request: Request) -> Response:
    """``GET /measurements/{id}[?key=READ_KEY]``: the stored measurement with every event."""
    return JSONResponse(_public(await _readable(request)))


async def events(request: Request) -> Response:
    """``GET /measurements/{id}/events?after=SEQ[&key=READ_KEY]``: replay, then follow while
    it runs."""
    api = api_of(request)
    stored = await _readable(request)
    after = _after(request.query_params.get("after", "0"))
    return StreamingResponse(ndjson(api.service.follow(stored.id, after)), media_type=NDJSON)


async def _readable(request: Request) -> StoredMeasurement:
    """The measurement of the path, for its owner (or an admin), or for whoever gives its read
    key: with ``?key=`` and no token, nobody is authenticated (a shared link has no account)."""
    api = api_of(request)
    key = request.query_params.get("key")
    shared = key is not None and "authorization" not in request.headers
    caller = None if shared else api.caller(request)
    return await api.service.stored(caller, request.path_params["id"], key=key)


async def cancel(request: Request) -> Response:
    """``DELETE /measurements/{id}``: cancel a running measurement (its owner's, or any for
    an admin); answers once it has ended, with the status it was stored with."""
    api = api_of(request)
    measurement_id = request.path_params["id"]
    status = await api.service.cancel(api.caller(request), measurement_id)
    return JSONResponse({"id": measurement_id, "status": status})


async def png(request: Request) -> Response:
    """``GET /measurements/{id}/picture.png[?key=READ_KEY]``: the measurement's picture, from
    its events."""
    return Response(drawn(await _readable(request)), media_type="image/png")


def drawn(stored: StoredMeasurement) -> bytes:
    """The PNG of ``stored``, dated when it ended (or started, while it runs).

    Raises:
        CloudpingError: ``no_picture`` for a command that has none, ``nothing_to_draw`` for
            events that hold nothing to draw yet.
    """
    command = str(stored.command_json["command"])
    if command not in PICTURES:
        have = ", ".join(sorted(PICTURES))
        message = f"{command} has no picture (these have: {have})"
        raise CloudpingError(message, code="no_picture", command=command)
    events = [from_dict(row.event) for row in stored.events]
    when = datetime.fromtimestamp(stored.ended_at or stored.created_at, UTC)
    try:
        return picture(command, events, when)
    except ValueError as exc:
        message = f"measurement {stored.id} holds nothing to draw yet"
        raise CloudpingError(message, code="nothing_to_draw", id=stored.id) from exc


def _public(stored: StoredMeasurement) -> dict[str, Any]:
    return {
        "id": stored.id,
        "command": stored.command,
        "command_json": stored.command_json,
        "subject": stored.subject,
        "read_key": stored.read_key,
        "agents": list(stored.agents),
        "status": stored.status,
        "created_at": stored.created_at,
        "ended_at": stored.ended_at,
        "summary": stored.summary,
        "events": [stored_event.event for stored_event in stored.events],
    }


def _after(text: str) -> int:
    return whole_number("after", text, most_digits=18, what="a whole number of events")


async def json_body(request: Request) -> dict[str, Any]:
    """The request's body as a JSON object (``bad_request`` when it is not one).

    Its size and media type were checked by the HttpGuard in front of every route.
    """
    raw = await request.body()
    try:
        body = json.loads(raw)
    except (ValueError, RecursionError) as exc:
        raise bad_request("the body is not JSON") from exc
    if not isinstance(body, dict):
        raise bad_request('the body must be a JSON object such as {"command": "ping x"}')
    return body
