"""The fixed JSON Schemas of the OpenAPI document: errors, agents, stored measurements, events."""

from __future__ import annotations

import json
from typing import Any

from cloudping.auth import AUDIENCES, MAX_LABEL, SCOPES
from cloudping.channels.api.tokens import MAX_TTL_S
from cloudping.events import published_schema
from cloudping.events.status import FINAL_STATUSES

_REF = "#/components/schemas/"
_TEXT: dict[str, Any] = {"type": "string"}
_NULLABLE_TEXT: dict[str, Any] = {"type": ["string", "null"]}


def fixed_schemas() -> dict[str, Any]:
    """Every schema the document names except the commands'."""
    return {
        "Error": _error(),
        "Agent": _agent(),
        "AgentList": _object({"agents": {"type": "array", "items": {"$ref": _REF + "Agent"}}}),
        "Measurement": _measurement(),
        "Started": _object({"id": _TEXT, "read_key": _TEXT}),
        "CommandText": _command_text(),
        **token_schemas(),
        "CommandLine": _command_line(),
        "Answer": _answer(),
        "Cancelled": _object({"id": _TEXT, "status": {"enum": list(FINAL_STATUSES)}}),
        **event_schemas(),
    }


def event_schemas() -> dict[str, Any]:
    """The published event schema as components: ``Event`` and its ``$defs`` beside it.

    The discriminator is left out: its nested mapping (summary by probe) is JSON Schema
    vocabulary OpenAPI's discriminator object cannot say; ``oneOf`` alone is exact.
    """
    text = json.dumps(published_schema()).replace('"#/$defs/', f'"{_REF}')
    schema = json.loads(text)
    defs: dict[str, Any] = schema.pop("$defs")
    event = {"oneOf": schema["oneOf"], "description": schema["title"]}
    return {"Event": event, **defs}


def _object(properties: dict[str, Any]) -> dict[str, Any]:
    return {"type": "object", "required": list(properties), "properties": properties}


def _error() -> dict[str, Any]:
    inner = {
        "type": "object",
        "required": ["code", "message"],
        "properties": {"code": _TEXT, "message": _TEXT},
        "additionalProperties": True,
    }
    return _object({"error": inner})


def _agent() -> dict[str, Any]:
    strings = {"type": "array", "items": _TEXT}
    schema = _object(
        {
            "name": _TEXT,
            "country": _NULLABLE_TEXT,
            "city": _NULLABLE_TEXT,
            "asn": {"type": ["integer", "null"]},
            "isp": _NULLABLE_TEXT,
            "tags": strings,
            "capabilities": strings,
        }
    )
    number = {"type": ["number", "null"], "description": "Only when the hub exposes them."}
    schema["properties"] |= {"lat": number, "lon": number}
    return schema


def _measurement() -> dict[str, Any]:
    status = {"enum": ["running", *FINAL_STATUSES]}
    number = {"type": ["number", "null"]}
    return _object(
        {
            "id": _TEXT,
            "command": _TEXT,
            "command_json": {"type": "object"},
            "subject": _NULLABLE_TEXT,
            "read_key": _NULLABLE_TEXT,
            "agents": {"type": "array", "items": _TEXT},
            "status": status,
            "created_at": {"type": "number"},
            "ended_at": number,
            "summary": {"type": ["object", "null"]},
            "events": {"type": "array", "items": {"$ref": _REF + "Event"}},
        }
    )


def token_schemas() -> dict[str, Any]:
    """``/tokens``: a token's record, a list of them, a new one, and the request for one."""
    scopes = {"type": "array", "items": {"enum": list(SCOPES)}}
    record = {
        "id": _TEXT,
        "subject": _TEXT,
        "audience": {"enum": list(AUDIENCES)},
        "scopes": scopes,
        "issued_at": {"type": "number"},
        "expires_at": {"type": "number"},
        "label": _TEXT,
        "revoked_at": {"type": ["number", "null"]},
        "state": {"enum": ["active", "expired", "revoked"]},
    }
    request = {
        "type": "object",
        "description": "Defaults: your scopes, 30 days, no label, yourself.",
        "properties": {
            "scopes": scopes,
            "ttl_s": {"type": "integer", "minimum": 1, "maximum": MAX_TTL_S},
            "label": {"type": "string", "minLength": 1, "maxLength": MAX_LABEL},
            "subject": {"type": "string", "minLength": 1, "description": "Admins only."},
        },
        "additionalProperties": False,
    }
    return {
        "Token": _object(record),
        "TokenList": _object({"tokens": {"type": "array", "items": {"$ref": _REF + "Token"}}}),
        "IssuedToken": _object({"token": _TEXT, **record}),
        "TokenRequest": request,
    }


def _command_line() -> dict[str, Any]:
    return {
        "type": "object",
        "description": "A command that is not a measurement, in the shared grammar.",
        "required": ["command"],
        "properties": {"command": {"type": "string", "examples": ["list DE", "version"]}},
        "additionalProperties": False,
    }


def _answer() -> dict[str, Any]:
    schema = _object({"command": _TEXT, "text": _TEXT})
    schema["description"] = "The text a person reads, and the command's data beside it."
    return schema | {"additionalProperties": True}


def _command_text() -> dict[str, Any]:
    return {
        "type": "object",
        "description": "A command line in the shared grammar.",
        "required": ["command"],
        "properties": {
            "command": {"type": "string", "examples": ["ping -c 3 example.com"]},
            "background": {"type": "boolean", "default": False},
        },
        "additionalProperties": False,
    }
