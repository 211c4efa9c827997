"""``GET /api/v1/ipinfo/{address}``: the hub's providers on one address (or host name), the
same answer as the ``ipinfo`` command (``?provider=NAME``, repeatable, asks only those)."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from cloudping.channels.api.context import api_of
from cloudping.commands import from_json


async def ipinfo(request: Request) -> Response:
    """``{"command": "ipinfo", "text", "results": [{address, asn, as_name, ...}]}``."""
    api = api_of(request)
    caller = api.caller(request)
    command = from_json(
        {
            "command": "ipinfo",
            "addresses": [request.path_params["address"]],
            "providers": request.query_params.getlist("provider"),
        }
    )
    result = await api.service.answer(caller, command)
    return JSONResponse(result.to_json())
