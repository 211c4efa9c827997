"""NDJSON encoding of events, and their published JSON Schema."""

from __future__ import annotations

import dataclasses
import json
from functools import cache
from typing import TYPE_CHECKING, Any

from cloudping.events.model import Event

if TYPE_CHECKING:
    from pydantic import TypeAdapter


@cache
def _adapter() -> TypeAdapter[Event]:
    # Built (and imported) on first use: it costs tens of ms, and a process that only emits
    # events (the CLI, a probe) never reads one back.
    from pydantic import TypeAdapter  # noqa: PLC0415

    return TypeAdapter(Event)


@cache
def _field_names(cls: type) -> tuple[str, ...]:
    return tuple(f.name for f in dataclasses.fields(cls))


def to_dict(event: Event) -> dict[str, Any]:
    """The JSON object of an event (``type`` first, nested records as objects, tuples as lists)."""
    out: dict[str, Any] = {"type": event.type}
    out.update(_record(event))
    return out


def _record(record: object) -> dict[str, Any]:
    names = _field_names(type(record))  # type: ignore[arg-type]  # a class is hashable
    return {name: _plain(getattr(record, name)) for name in names}


def _plain(value: Any) -> Any:
    if isinstance(value, tuple):
        return [_plain(item) for item in value]
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return _record(value)
    return value


def to_json_line(event: Event) -> str:
    """One NDJSON line (no trailing newline), compact and ASCII-safe."""
    return json.dumps(to_dict(event), separators=(",", ":"))


def from_dict(obj: Any) -> Event:
    """Validate a decoded JSON object into a typed event (raises ``pydantic.ValidationError``)."""
    return _adapter().validate_python(obj)


def generate_schema() -> dict[str, Any]:
    """The JSON Schema of one event line, generated from the event classes."""
    schema = _adapter().json_schema(mode="serialization")
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": "https://cloudping.dev/schema/event.json",
        "title": "cloudping event",
        **schema,
    }


@cache
def published_schema() -> dict[str, Any]:
    """The schema shipped in the package (``cloudping/events/schema.json``)."""
    from importlib import resources  # noqa: PLC0415 (only the tests and the API read it)

    text = resources.files("cloudping.events").joinpath("schema.json").read_text("utf-8")
    result: dict[str, Any] = json.loads(text)
    return result
