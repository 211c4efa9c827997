"""The OpenAPI 3.1 document of the API, written from the command table and the event schema.

Request bodies of ``POST /measurements`` are the commands' own JSON Schemas
(:func:`cloudping.commands.json_schema`), so the document cannot drift from the parser.
"""

from __future__ import annotations

from functools import cache
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from cloudping.channels.api.keys import JWKS_PATH
from cloudping.channels.api.schemas import fixed_schemas
from cloudping.commands import MEASUREMENT_COMMANDS, json_schema
from cloudping.edge import COMMAND_BODY_LIMIT
from cloudping.edge.errors import EDGE_STATUS

PREFIX = "/api/v1"
# GET /routes takes the route command's fields (design.md "Names": the same names).
ROUTE_PARAMETERS = (
    "prefix", "origin", "neighbor", "path", "community", "more_specific", "less_specific",
    "source", "limit",
)  # fmt: skip
_REF = "#/components/schemas/"
_CANCEL = "Cancel a running measurement (yours); answers once it has ended."
_ERROR_TEXT = {
    400: "A bad command or request (the error names the word and shows the usage).",
    401: "No token (anonymous access off), or a bad, expired or revoked one.",
    403: "The token lacks the scope (admin, to act on another subject; a scope asked for), "
    "or the request came from a page on another site; token_not_issued: not issued here.",
    404: "No such measurement or token (or not yours); no_picture: its command draws none; "
    "no_routes: no route source serves (or not the one named).",
    409: "not_running (cancel), or nothing_to_draw yet (picture).",
    413: f"The body is over the route's limit ({COMMAND_BODY_LIMIT // 1024} KiB for a command).",
    415: "The body is not of the route's media type (application/json).",
    421: "A Host header this server does not answer for (DNS rebinding protection).",
    422: "No agent matches the selection (no_agent_matched); a name that did not resolve "
    "(resolve_failed, ipinfo).",
    429: "Over a quota: the numbers, and Retry-After when waiting helps.",
    501: "Not built into this hub (not_implemented: route without a route store).",
}
# What the guard in front of every route may answer (403 also: an Origin not allowed).
_GUARD = tuple(sorted(set(EDGE_STATUS.values())))


async def openapi(request: Request) -> Response:
    """``GET /api/v1/openapi.json``."""
    return JSONResponse(document())


@cache
def document() -> dict[str, Any]:
    """The whole OpenAPI document."""
    return {
        "openapi": "3.1.0",
        "info": {"title": "cloudping API", "version": "1"},
        "paths": _paths(),
        "components": {
            "schemas": _schemas(),
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
        },
        "security": [{"bearer": []}, {}],
    }


def _paths() -> dict[str, Any]:
    measurement_id = _path_param("id", "The measurement id.")
    return {
        f"{PREFIX}/agents": {"get": _op("listAgents", "The live agents.", _json("AgentList"))},
        f"{PREFIX}/measurements": {"post": _create()},
        f"{PREFIX}/measurements/{{id}}": {
            "get": _op("getMeasurement", "A stored measurement.", _json("Measurement"), 401, 404)
            | {"parameters": [measurement_id, _key()]},
            "delete": _op("cancelMeasurement", _CANCEL, _json("Cancelled"), 401, 404, 409)
            | {"parameters": [measurement_id]},
        },
        f"{PREFIX}/measurements/{{id}}/events": {
            "get": _op("followMeasurement", "Replay, then follow.", _ndjson(), 400, 401, 404)
            | {"parameters": [measurement_id, _after(), _key()]}
        },
        f"{PREFIX}/tokens": {"get": _list_tokens(), "post": _issue_token()},
        f"{PREFIX}/tokens/{{id}}": {
            "delete": _op("revokeToken", "Revoke a token of yours.", _json("Token"), 401, 404)
            | {"parameters": [_path_param("id", "The token id (jti).")]}
        },
        f"{PREFIX}/measurements/{{id}}/picture.png": {
            "get": _op("getMeasurementPicture", "Its picture.", _png(), 401, 404, 409)
            | {"parameters": [measurement_id, _key()]}
        },
        f"{PREFIX}/commands": {"post": _command()},
        f"{PREFIX}/routes": {"get": _routes()},
        f"{PREFIX}/ipinfo/{{address}}": {"get": _ipinfo()},
        f"{PREFIX}/openapi.json": {
            "get": _op("openapi", "This document.", _json_any("The OpenAPI document."))
        },
        "/": {
            "get": _op(
                "index",
                "What this server is: its links as JSON, or a page for browsers (text/html).",
                _json_any("The links: openapi, agents, measurements, healthz, mcp."),
            )
        },
        "/healthz": {"get": _op("healthz", "Liveness.", _json_any("ok"))},
        JWKS_PATH: {
            "get": _op("jwks", "The public keys tokens are signed with.", _json_any("A JWK Set."))
        },
        "/ping": {"get": _seed()},
    }


def _create() -> dict[str, Any]:
    body = {"anyOf": [{"$ref": _REF + "CommandText"}, *_command_refs()]}
    operation = _op(
        "createMeasurement",
        "Run a command: NDJSON events while it runs, or 202 with its id when background.",
        _ndjson(),
        400,
        401,
        422,
        429,
        *_GUARD,
    )
    operation["requestBody"] = {"required": True, "content": {"application/json": {"schema": body}}}
    operation["responses"]["202"] = _json("Started", "Started in the background.")
    return operation


def _list_tokens() -> dict[str, Any]:
    subject = _query("subject", {"type": "string"}, "Another subject's (admin only).")
    operation = _op("listTokens", "Your API tokens.", _json("TokenList"), 401, 403)
    return operation | {"parameters": [subject]}


def _issue_token() -> dict[str, Any]:
    operation = _op("issueToken", "A new API token for you.", _json("Token"), 400, 401, 403)
    operation["responses"] = {
        "201": _json("IssuedToken", "The token (shown once) and its record."),
        **{key: value for key, value in operation["responses"].items() if key != "200"},
    }
    content = {"application/json": {"schema": {"$ref": _REF + "TokenRequest"}}}
    return operation | {"requestBody": {"required": True, "content": content}}


def _command() -> dict[str, Any]:
    operation = _op(
        "answerCommand",
        "Answer a command that is not a measurement (list, version, help, ...) as one document.",
        _json("Answer"),
        400,
        401,
        403,
        501,
    )
    schema = {"$ref": _REF + "CommandLine"}
    operation["requestBody"] = {
        "required": True,
        "content": {"application/json": {"schema": schema}},
    }
    return operation


def _routes() -> dict[str, Any]:
    """The route command's fields as query parameters, their schemas taken from its own."""
    fields = json_schema("route")["properties"]
    parameters = []
    for name in ROUTE_PARAMETERS:
        schema = {k: v for k, v in fields[name].items() if k not in ("title", "default")}
        if isinstance(schema.get("type"), list):  # a parameter left out is the JSON null
            schema["type"] = next(kind for kind in schema["type"] if kind != "null")
        if name == "path":  # an array in JSON; one parameter here, as the grammar writes it
            schema = {"type": "string", "description": "ASNs, spaces or commas between them"}
        parameters.append(_query(name, schema, fields[name].get("description", name)))
    summary = (
        "BGP routes from the hub's MRT dumps: give one of prefix/origin/neighbor/path/community."
    )
    operation = _op("lookupRoutes", summary, _json("Answer"), 400, 401, 404)
    return operation | {"parameters": parameters}


def _ipinfo() -> dict[str, Any]:
    address = _path_param("address", "An IP address or a host name (resolved on the hub).")
    provider = _query("provider", {"type": "string"}, "Ask only this provider (repeatable).")
    operation = _op(
        "ipinfo",
        "Network (ASN, AS name), place and special range of an address, from the hub's "
        "providers: the answer of the ipinfo command (results: one object per address).",
        _json("Answer"),
        400,
        401,
        422,
    )
    return operation | {"parameters": [address, provider]}


def _seed() -> dict[str, Any]:
    text = {"type": "string"}
    number = {"type": "string", "pattern": "^[0-9]+$"}
    parameters = [
        _query("targets", text, "Targets, comma-separated.", required=True),
        _query("from", text, "A selector (fra1, DE, AS13335, ...)."),
        _query("count", number, "Packets per target."),
        _query("intervalMs", number, "Milliseconds between packets."),
        _query("pktTimeoutMs", number, "Milliseconds to wait for each reply."),
    ]
    operation = _op("seedPing", "Seed-compatible ping.", _ndjson(), 400, 401, 403, 422, 429)
    return operation | {"parameters": parameters}


def _op(op_id: str, summary: str, ok: dict[str, Any], *errors: int) -> dict[str, Any]:
    responses = {"200": ok} | {str(status): _error(status) for status in errors}
    return {"operationId": op_id, "summary": summary, "responses": responses}


def _error(status: int) -> dict[str, Any]:
    response = _json("Error", _ERROR_TEXT[status])
    if status == 429:
        seconds = {"schema": {"type": "string"}, "description": "Seconds until a retry helps."}
        response["headers"] = {"Retry-After": seconds}
    return response


def _json(name: str, description: str = "OK") -> dict[str, Any]:
    content = {"application/json": {"schema": {"$ref": _REF + name}}}
    return {"description": description, "content": content}


def _json_any(description: str) -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {"schema": {}}}}


def _png() -> dict[str, Any]:
    schema = {"type": "string", "format": "binary"}
    return {"description": "A PNG picture.", "content": {"image/png": {"schema": schema}}}


def _ndjson() -> dict[str, Any]:
    schema = {"$ref": _REF + "Event"}
    return {
        "description": "One event per line (see the Event schema), from measurement to end.",
        "content": {"application/x-ndjson": {"schema": schema}},
    }


def _path_param(name: str, description: str) -> dict[str, Any]:
    schema = {"type": "string"}
    return {
        "name": name,
        "in": "path",
        "required": True,
        "schema": schema,
        "description": description,
    }


def _key() -> dict[str, Any]:
    schema = {"type": "string"}
    return _query("key", schema, "The measurement's read_key: read it without being its owner.")


def _after() -> dict[str, Any]:
    schema = {"type": "integer", "minimum": 0, "default": 0}
    return _query("after", schema, "Skip the events up to this seq.")


def _query(
    name: str, schema: dict[str, Any], description: str, *, required: bool = False
) -> dict[str, Any]:
    return {
        "name": name,
        "in": "query",
        "required": required,
        "schema": schema,
        "description": description,
    }


def _command_refs() -> list[dict[str, str]]:
    return [{"$ref": _REF + _command_schema_name(name)} for name in sorted(MEASUREMENT_COMMANDS)]


def _command_schema_name(name: str) -> str:
    return name.capitalize() + "Command"


def _schemas() -> dict[str, Any]:
    schemas = fixed_schemas()
    for name in sorted(MEASUREMENT_COMMANDS):
        schemas[_command_schema_name(name)] = _with_background(json_schema(name))
    return schemas


def _with_background(schema: dict[str, Any]) -> dict[str, Any]:
    """A command's schema plus the API's ``background`` flag (its schema is closed)."""
    schema = {key: value for key, value in schema.items() if key != "$schema"}
    background = {"type": "boolean", "default": False, "description": "Answer 202 at once."}
    return schema | {"properties": schema["properties"] | {"background": background}}
