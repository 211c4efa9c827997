"""NDJSON encoding of events, and their published JSON Schema.

An event's optional fields that are null are left out of its line (a ping reply has no
``port``, a DNS answer no ``error``): the schema lists them as optional, and reading a line
back gives them their null default, so lines written before this rule still read. ``agent``
and ``target`` stay on every line (null on the two that speak for the whole measurement), and
records inside an event keep their nulls: a hop probe's null ``address`` is its answer, nobody.
"""

from __future__ import annotations

import dataclasses
import json
from functools import cache
from typing import TYPE_CHECKING, Annotated, Any, get_args, get_origin

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


_NAMED = ("agent", "target")  # every line says who and what, null or not


@cache
def _optional(cls: type) -> frozenset[str]:
    """The fields of an event class left out of its line when null."""
    fields = dataclasses.fields(cls)
    return frozenset(f.name for f in fields if f.default is None and f.name not in _NAMED)


def to_dict(event: Event) -> dict[str, Any]:
    """The JSON object of an event (``type`` first, nested records as objects, tuples as lists;
    optional fields that are null left out)."""
    out: dict[str, Any] = {"type": event.type}
    optional = _optional(type(event))  # type: ignore[arg-type]  # a class is hashable
    out.update(
        (name, value)
        for name, value in _record(event).items()
        if value is not None or name not in optional
    )
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
    for cls in _event_classes():
        definition = schema["$defs"][cls.__name__]
        definition["required"] = [
            name for name in definition["required"] if name not in _optional(cls)
        ]
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": "https://cloudping.dev/schema/event.json",
        "title": "cloudping event",
        **schema,
    }


def _event_classes() -> list[type]:
    """The classes of the ``Event`` union (the summaries are an annotated union of their own)."""
    classes: list[type] = []
    for member in get_args(get_args(Event)[0]):
        inner = get_args(member)[0] if get_origin(member) is Annotated else member
        classes += get_args(inner) or [inner]
    return classes


@cache
def published_schema() -> dict[str, Any]:
    """The schema shipped in the package (``cloudping/events/schema.json``)."""
    from importlib import resources  # noqa: PLC0415 (only the tests and the API read it)

    text = resources.files("cloudping.events").joinpath("schema.json").read_text("utf-8")
    result: dict[str, Any] = json.loads(text)
    return result
