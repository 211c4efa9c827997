"""Scalar values as people type them: whole numbers, seconds, words shown back in messages.

The converters accept the typed word (``"5"``, ``"500ms"``) and the JSON value (``5``, ``0.5``)
alike, so the text grammar and the structured form share one validation and one wording.
"""

from __future__ import annotations

import json
import math
import re
import unicodedata

_INT = re.compile(r"[+-]?[0-9]{1,100}")
_FLOAT = re.compile(r"([+-]?(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]{1,3})?)(ms|s)?")
# Unicode categories no command word may carry: controls, format characters (bidi overrides,
# zero-width joiners), surrogates, private use and unassigned code points.
_FORBIDDEN_CATEGORIES = frozenset({"Cc", "Cf", "Cs", "Co", "Cn"})
_SHOWN_MAX = 60


def shown(value: object) -> str:
    """A value as an error message quotes it: escaped, in double quotes, clipped."""
    if not isinstance(value, str):
        try:
            value = json.dumps(value, ensure_ascii=False)
        except (TypeError, ValueError):
            value = type(value).__name__
        return clip(value)
    return clip(json.dumps(value, ensure_ascii=False))


def clip(text: str) -> str:
    """``text`` cut to a length a message can carry, with control characters escaped."""
    escaped = "".join(_escape(ch) for ch in text[: _SHOWN_MAX + 1])
    return escaped if len(text) <= _SHOWN_MAX else escaped[:_SHOWN_MAX] + "…"


def _escape(ch: str) -> str:
    if unicodedata.category(ch) in _FORBIDDEN_CATEGORIES:
        return f"\\u{ord(ch):04x}"
    return ch


def forbidden_character(word: str) -> str | None:
    """The first character of ``word`` no command may contain (a control, NUL, bidi...)."""
    for ch in word:
        if unicodedata.category(ch) in _FORBIDDEN_CATEGORIES:
            return ch
    return None


def whole_number(value: object) -> int:
    """A whole number from ``5``, ``"5"`` or ``"+5"``.

    Raises:
        ValueError: naming the value when it is not a whole number (``true`` is not).
    """
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, str) and _INT.fullmatch(value):
        return int(value)
    raise ValueError(f"{shown(value)} is not a whole number")


def seconds(value: object) -> float:
    """A duration in seconds from ``0.5``, ``"0.5"``, ``"0.5s"`` or ``"500ms"``.

    Raises:
        ValueError: naming the value when it is not a finite number of seconds.
    """
    number: float | None = None
    if isinstance(value, int | float) and not isinstance(value, bool):
        number = float(value) if abs(value) < 1e300 else math.inf  # float(10**400) overflows
    elif isinstance(value, str) and (match := _FLOAT.fullmatch(value)):
        number = float(match[1]) / (1000.0 if match[2] == "ms" else 1.0)
    if number is None or not math.isfinite(number):
        raise ValueError(f"{shown(value)} is not a number of seconds")
    return number


def render_seconds(value: float) -> str:
    """Seconds as the shortest text that reads back to the same float (``1``, ``0.2``)."""
    text = repr(float(value))
    return text.removesuffix(".0")


def render_number(value: float) -> str:
    """A bound or a value in a message: whole numbers without ``.0``."""
    return str(value) if isinstance(value, int) else render_seconds(value)


def lowercase(value: object) -> object:
    """Lowercase a word so that ``--proto UDP`` means ``udp``; other values pass through."""
    return value.lower() if isinstance(value, str) else value


def uppercase(value: object) -> object:
    """Uppercase a word so that ``-X get`` means ``GET``; other values pass through."""
    return value.upper() if isinstance(value, str) else value
