"""Build a command from its fields, and word every failure as a ``UsageError``.

The same model validation and policy check serve the text grammar and the structured form;
only the names differ: on a command line an error names the flag and the word as typed
(``ping: -c: 0 is out of range (1-100)``), in JSON the field and its value
(``ping: count: 0 is out of range (1-100)``); ranges are written with an en dash.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Protocol

from pydantic import ValidationError
from pydantic_core import ErrorDetails

from cloudping.commands.help import usage_line
from cloudping.commands.model import CommandModel
from cloudping.commands.spec import Bounds, CommandSpec, value_of
from cloudping.commands.values import clip, render_number, shown
from cloudping.errors import UsageError
from cloudping.policy import Limits

EN_DASH = "\u2013"  # ranges read "(1\u2013100)"
_TYPE_NAMES = {
    "string_type": "a string",
    "bool_type": "true or false",
    "bool_parsing": "true or false",
    "tuple_type": "a list",
    "list_type": "a list",
    "dict_type": "an object",
    "model_type": "an object",
    "model_attributes_type": "an object",
    "int_type": "a whole number",
    "int_parsing": "a whole number",
}


class Labels(Protocol):
    """How one channel names fields and shows values in messages."""

    def label(self, key: str) -> str | None:
        """The name of ``key`` before a message (None: the message names the word itself)."""

    def name(self, key: str) -> str:
        """The name of ``key`` inside a message (``--proto`` or ``proto``)."""

    def word(self, key: str, index: int | None, value: object) -> str | None:
        """The offending word: as typed on a command line, the value in JSON; None if absent."""


class JsonLabels:
    """Labels of the structured form: JSON keys and values."""

    def label(self, key: str) -> str | None:
        return self.name(key)

    def name(self, key: str) -> str:
        return "from" if key == "from.selectors" else key

    def word(self, key: str, index: int | None, value: object) -> str | None:
        if value is None or isinstance(value, str):
            return value
        if isinstance(value, int | float) and not isinstance(value, bool):
            return render_number(value)
        try:
            return json.dumps(value, ensure_ascii=False)
        except (TypeError, ValueError):
            return type(value).__name__


def fail(spec: CommandSpec, text: str, word: str | None = None) -> UsageError:
    """A ``UsageError`` about ``spec``: ``"{name}: {text}"`` with its usage line."""
    return UsageError(f"{spec.name}: {text}", word=word, usage=usage_line(spec))


def build(
    spec: CommandSpec, data: Mapping[str, Any], limits: Limits, labels: Labels
) -> CommandModel:
    """The command ``data`` describes, valid in itself and under ``limits``.

    Raises:
        UsageError: the first thing wrong, naming the field and the word.
    """
    try:
        command = spec.model.model_validate(data)
    except ValidationError as exc:
        raise _translate(spec, exc.errors()[0], limits, labels) from None
    check_policy(spec, command, limits, labels)
    return command


def check_policy(spec: CommandSpec, command: CommandModel, limits: Limits, labels: Labels) -> None:
    """Raise ``UsageError`` when ``command`` asks for more than ``limits`` allow."""
    for key, bounds, noun in _bounded(spec):
        value = value_of(command, key)
        if isinstance(value, tuple):
            _check_items(spec, labels, key, items=value, most=bounds(limits)[1], noun=noun)
        elif value is not None and not bounds(limits)[0] <= value <= bounds(limits)[1]:
            word = labels.word(key, None, value) or str(value)
            extent = _range(bounds, limits)
            raise fail(spec, f"{labels.name(key)}: {clip(word)} is out of range {extent}", word)
    violation = spec.check(command, limits) if spec.check else None
    if violation is not None:
        key, message = violation
        label = labels.label(key)
        prefix = f"{label}: " if label else ""
        raise fail(spec, prefix + message, labels.word(key, None, value_of(command, key)))


def _check_items(
    spec: CommandSpec, labels: Labels, key: str, *, items: tuple[Any, ...], most: float, noun: str
) -> None:
    if len(items) > most:
        word = labels.word(key, int(most), items[int(most)])
        raise fail(spec, f"too many {noun}: {len(items)} (at most {int(most)})", word)


def _bounded(spec: CommandSpec) -> list[tuple[str, Bounds, str]]:
    """Every (key, bounds, noun) the policy ranges; the noun names a positional's items."""
    bounded = [(option.key, option.bounds, "") for option in spec.options if option.bounds]
    positional = spec.positional
    if positional is not None and positional.bounds is not None:
        bounded.append((positional.key, positional.bounds, positional.noun))
    return bounded


def _range(bounds: Bounds, limits: Limits) -> str:
    low, high = bounds(limits)
    return f"({render_number(low)}{EN_DASH}{render_number(high)})"


def _bounds_of(spec: CommandSpec, key: str) -> Bounds | None:
    return next((option.bounds for option in spec.options if option.key == key), None)


def _locate(detail: ErrorDetails) -> tuple[str, int | None]:
    """The key and the item index an error is about."""
    if detail["type"] == "cloudping":
        return str(detail.get("ctx", {})["field"]), None
    loc = detail["loc"]
    key = str(loc[0]) if loc else ""
    if key == "from":
        key = "from.limit" if loc[1:2] == ("limit",) else "from.selectors"
    index = next((part for part in loc[1:] if isinstance(part, int)), None)
    return key, index


@dataclass(frozen=True, slots=True)
class _Failure:
    """One pydantic error, with what it takes to word it."""

    spec: CommandSpec
    detail: ErrorDetails
    key: str
    word: str | None
    limits: Limits
    labels: Labels

    @property
    def ctx(self) -> dict[str, Any]:
        return self.detail.get("ctx", {})

    @property
    def given(self) -> str:
        return shown(self.detail["input"])


def _translate(
    spec: CommandSpec, detail: ErrorDetails, limits: Limits, labels: Labels
) -> UsageError:
    key, index = _locate(detail)
    kind, given = detail["type"], detail["input"]
    if kind == "cloudping":  # an error between fields: its input is the whole object
        given = given.get(key) if isinstance(given, Mapping) else None
    word = labels.word(key, index, given)
    if kind == "missing" or (kind == "too_short" and len(detail["loc"]) == 1):
        return fail(spec, f"missing {_missing_name(spec, key, labels)}")
    if kind == "extra_forbidden":
        return fail(spec, f"unknown field {shown(key)}", key)
    label = labels.label(key)
    prefix = f"{label}: " if label else ""
    return fail(spec, prefix + _describe(_Failure(spec, detail, key, word, limits, labels)), word)


def _missing_name(spec: CommandSpec, key: str, labels: Labels) -> str:
    positional = spec.positional
    if positional is not None and positional.key == key and labels.label(key) is None:
        return positional.metavar
    return f"field {shown(labels.name(key))}"


def _describe(failure: _Failure) -> str:
    describe = _DESCRIBE.get(failure.detail["type"])
    if describe is not None:
        return describe(failure)
    expected = _TYPE_NAMES.get(failure.detail["type"])
    if expected is not None:
        return f"{failure.given} is not {expected}"
    return f"{failure.given}: {failure.detail['msg']}"


def _out_of_range(failure: _Failure) -> str:
    bounds = _bounds_of(failure.spec, failure.key)
    if bounds is not None:
        extent = _range(bounds, failure.limits)
    else:
        relation = _RELATION[failure.detail["type"]]
        extent = f"(must be {relation} {render_number(next(iter(failure.ctx.values())))})"
    return f"{clip(failure.word or '')} is out of range {extent}"


def _too_many(failure: _Failure) -> str:
    return f"too many items: {failure.ctx['actual_length']} (at most {failure.ctx['max_length']})"


def _too_few(failure: _Failure) -> str:
    return f"{failure.given} has too few items (at least {failure.ctx['min_length']})"


def _too_long(failure: _Failure) -> str:
    return f"{failure.given} is too long (at most {failure.ctx['max_length']} characters)"


def _not_one_of(failure: _Failure) -> str:
    return f"{failure.given} is not one of {failure.ctx['expected']}"


_RELATION = {
    "greater_than": "above",
    "greater_than_equal": "at least",
    "less_than": "below",
    "less_than_equal": "at most",
}
_DESCRIBE: dict[str, Callable[[_Failure], str]] = {
    "value_error": lambda failure: str(failure.ctx["error"]),
    "cloudping": lambda failure: str(failure.ctx["message"]).format_map(_Names(failure.labels)),
    "too_long": _too_many,
    "too_short": _too_few,
    "string_too_long": _too_long,
    "literal_error": _not_one_of,
    **dict.fromkeys(_RELATION, _out_of_range),
}


class _Names(dict[str, str]):
    """``{proto}`` in a cross-field message -> the channel's name for ``proto``."""

    def __init__(self, labels: Labels) -> None:
        super().__init__()
        self.labels = labels

    def __missing__(self, key: str) -> str:
        return self.labels.name(key)
