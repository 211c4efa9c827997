"""Tables of the settings file that are not flags: a consumer registers a name and a validator.

Sign-in's ``[login]`` (its keys and its ``[[login.provider]]`` array of tables) is the first
of them: ``cloudping.channels.signin`` calls ``register_table("login", login_settings)`` at
import, and the process finds the checked value in ``Settings.tables["login"]`` and on its
namespace as ``args.login`` (None when the file has no such table).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

Validator = Callable[[Any], object]
"""Takes the TOML value as read; returns the checked value; raises ``ValueError`` saying what
is wrong (the settings add the key and the line)."""


@dataclass(frozen=True, slots=True)
class TableRule:
    """A structured table: its dotted name in the file and its validator."""

    name: str
    validate: Validator


_registered: dict[str, TableRule] = {}


def register_table(name: str, validate: Validator) -> None:
    """Accept ``name`` (``login.provider``) in settings files, checked by ``validate``.

    Raises:
        ValueError: another validator already owns ``name``.
    """
    known = _registered.get(name)
    if known is not None and known.validate is not validate:
        raise ValueError(f"settings table {name!r} is already registered")
    _registered[name] = TableRule(name, validate)


def registered_tables() -> Mapping[str, TableRule]:
    """Every structured table registered so far, by dotted name."""
    return dict(_registered)
