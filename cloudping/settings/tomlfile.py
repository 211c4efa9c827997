"""The settings file: TOML read by the standard library, plus the line each key sits on.

``tomllib`` gives values without positions, so a small scan of the text finds the line of
every table header and ``key =`` assignment: an error then names ``FILE:LINE``.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from cloudping.settings.names import SettingsError

KeyPath = tuple[str, ...]
_BARE = r"[A-Za-z0-9_-]+"
_QUOTED = r'"[^"]*"|\'[^\']*\''
_PART = rf"(?:{_BARE}|{_QUOTED})"
_DOTTED = rf"{_PART}(?:\s*\.\s*{_PART})*"
_HEADER = re.compile(rf"^\s*\[\[?\s*({_DOTTED})\s*\]\]?\s*(?:#.*)?$")
_ASSIGN = re.compile(rf"^\s*({_DOTTED})\s*=")


@dataclass(frozen=True, slots=True)
class SettingsFile:
    """A parsed settings file: its name as given, its tables, the lines of its keys."""

    name: str
    data: Mapping[str, Any]
    lines: Mapping[KeyPath, int] = field(default_factory=dict)

    def where(self, path: KeyPath) -> str:
        """``FILE:LINE`` of the key (or of the nearest table holding it)."""
        for end in range(len(path), 0, -1):
            if (line := self.lines.get(path[:end])) is not None:
                return f"{self.name}:{line}"
        return self.name


def read_settings_file(path: Path) -> SettingsFile:
    """Read and parse ``path``.

    Raises:
        SettingsError: unreadable, or not TOML (the message carries tomllib's line).
    """
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise SettingsError(f"cannot read the settings file: {exc}", where=str(path)) from exc
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:  # its message says "(at line N, column M)"
        raise SettingsError(f"not valid TOML: {exc}", where=str(path)) from exc
    return SettingsFile(str(path), data, key_lines(text))


def key_lines(text: str) -> dict[KeyPath, int]:
    """The 1-based line of each table header and key assignment, by its full key path.

    The first line wins: a table repeated as ``[[array]]`` is found at its first element.
    """
    lines: dict[KeyPath, int] = {}
    table: KeyPath = ()
    for number, line in enumerate(text.splitlines(), start=1):
        if header := _HEADER.match(line):
            table = _parts(header.group(1))
            for end in range(1, len(table) + 1):  # [a.b] also opens a
                lines.setdefault(table[:end], number)
        elif assign := _ASSIGN.match(line):
            lines.setdefault(table + _parts(assign.group(1)), number)
    return lines


def _parts(dotted: str) -> KeyPath:
    return tuple(part.strip().strip("\"'") for part in re.findall(_PART, dotted))
