"""One conversion for every layer: a flag's text, a variable's text or a TOML value becomes
what argparse would have made of the flag (its ``type``, ``choices``, ``store_true`` as a
bool, ``append`` as a list).

Every function raises ``ValueError`` with a message about the value only; the caller adds
the key and where the value came from.
"""

from __future__ import annotations

import argparse
from typing import Any

from cloudping.settings.names import Option

TRUE_WORDS = frozenset({"1", "true", "yes", "on"})
FALSE_WORDS = frozenset({"0", "false", "no", "off"})
LIST_SEPARATOR = ","  # in an environment variable: CLOUDPING_TAG=dn42,datacenter


def from_flag(option: Option, given: Any) -> Any:
    """A value as the command line gave it (``type`` not yet applied: see :mod:`.resolve`)."""
    if option.kind == "bool":
        return given
    if option.kind == "list":
        return [_scalar(option.action, item) for item in given]
    return _scalar(option.action, given)


def from_env(option: Option, text: str) -> Any:
    """A value from an environment variable: words for a bool, commas between list items."""
    if option.kind == "bool":
        word = text.strip().lower()
        if word not in TRUE_WORDS | FALSE_WORDS:
            raise ValueError(f"{text!r} is not one of {', '.join(sorted(TRUE_WORDS))} (or 0, ...)")
        return _switch(option, word in TRUE_WORDS)
    if option.kind == "list":
        return [_scalar(option.action, item) for item in env_shown(option, text)]
    return _scalar(option.action, text)


def env_shown(option: Option, text: str) -> Any:
    """A variable's text as the file would write it: a bool, a list of items, or the text."""
    if option.kind == "bool":
        return text.strip().lower() in TRUE_WORDS
    if option.kind == "list":
        return [item.strip() for item in text.split(LIST_SEPARATOR) if item.strip()]
    return text


def from_toml(option: Option, value: Any) -> Any:
    """A value from the settings file, whose TOML type must fit the option."""
    if option.kind == "bool":
        if not isinstance(value, bool):
            raise ValueError(f"expects true or false, not {_shown(value)}")
        return _switch(option, value)
    if option.kind == "list":
        if not isinstance(value, list):
            raise ValueError(f"expects a list ([...]), not {_shown(value)}")
        return [_toml_scalar(option.action, item) for item in value]
    return _toml_scalar(option.action, value)


def _switch(option: Option, on: bool) -> Any:
    """``--guest-anywhere`` given (true) or not (false), as argparse stores it."""
    return option.action.const if on else option.action.default


def _toml_scalar(action: argparse.Action, value: Any) -> Any:
    if isinstance(value, str):
        return _scalar(action, value)
    numeric = isinstance(value, int | float) and not isinstance(value, bool)
    if not (numeric and action.type is not None):
        raise ValueError(f"expects a string, not {_shown(value)}")
    return _scalar(action, str(value))  # `heartbeat = 5`: the type reads its text


def _scalar(action: argparse.Action, text: str) -> Any:
    """``text`` through the option's ``type`` and ``choices``, as argparse checks a flag."""
    convert = action.type
    try:
        value = convert(text) if callable(convert) else text
    except argparse.ArgumentTypeError as exc:
        raise ValueError(str(exc)) from exc
    except (TypeError, ValueError) as exc:
        name = getattr(convert, "__name__", "value")
        raise ValueError(f"invalid {name} value: {text!r}") from exc
    if action.choices is not None and value not in action.choices:
        raise ValueError(f"{text!r} is not one of {', '.join(map(str, action.choices))}")
    return value


def _shown(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dict):
        return "a table"
    if isinstance(value, list):
        return "a list"
    return repr(value)
