"""``GET /api/v1/routes?...``: the ``route`` command with its fields as query parameters
(``prefix, origin, neighbor, path, community, more_specific, less_specific, source, limit``),
answered by the command service as ``POST /commands`` answers ``route``."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from cloudping.channels.api.context import api_of
from cloudping.channels.api.errors import bad_request
from cloudping.channels.api.openapi import ROUTE_PARAMETERS as PARAMETERS
from cloudping.commands import from_json

_FLAGS = {"more_specific", "less_specific"}
_TRUTH = {"true": True, "1": True, "": True, "false": False, "0": False}


async def lookup(request: Request) -> Response:
    """The routes: ``{"command": "route", "text", "routes", "groups", "truncated"}``."""
    api = api_of(request)
    caller = api.caller(request)
    fields = _fields(request.query_params.multi_items())
    result = await api.service.answer(caller, from_json({"command": "route", **fields}))
    return JSONResponse(result.to_json())


def _fields(items: list[tuple[str, str]]) -> dict[str, Any]:
    fields: dict[str, Any] = {}
    for key, value in items:
        if key not in PARAMETERS:
            raise bad_request(f"unknown parameter {key!r}", parameter=key, allowed=PARAMETERS)
        if key in fields:
            raise bad_request(f"parameter {key!r} given twice", parameter=key)
        if key in _FLAGS:
            if value.lower() not in _TRUTH:
                raise bad_request(f"{key} is true or false", parameter=key)
            fields[key] = _TRUTH[value.lower()]
        elif key == "limit":
            fields[key] = _integer(key, value)
        else:
            fields[key] = value
    return fields


def _integer(key: str, value: str) -> int:
    if not value.isdigit():
        raise bad_request(f"{key} is a whole number", parameter=key)
    return int(value)
