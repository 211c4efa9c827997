"""``--print-config``: the effective settings as a settings file, each line saying where its
value came from. Secrets appear only as the path of the file that holds them."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from cloudping.settings.resolve import Setting

HEADER = "# effective settings: flag > environment (CLOUDPING_*) > settings file > default"


def print_config(prog: str, settings: Sequence[Setting]) -> str:
    """The text ``--print-config`` prints: TOML that reads back as the same settings."""
    lines = [f"# {prog}", HEADER]
    tables: dict[str | None, list[Setting]] = {}
    for setting in settings:
        tables.setdefault(setting.option.table, []).append(setting)
    for table in sorted(tables, key=lambda name: (name is not None, name or "")):
        if table is not None:
            lines += ["", f"[{table}]"]
        lines += [_line(setting) for setting in tables[table]]
    return "\n".join(lines)


def _line(setting: Setting) -> str:
    key, source = setting.option.key, setting.source
    if setting.option.secret:
        given = "given" if setting.layer != "default" else "not set"
        return f"# {key}: secret, {given} ({source}); use {key}_file"
    # A number or bool as the option reads it (6.0, not the text "6"); the rest as written,
    # which reads back through the option's type (a CIDR, LAT,LON).
    typed = isinstance(setting.value, bool | int | float)
    text = toml_value(setting.value if typed else setting.shown)
    if text is None:
        return f"# {key}: not set ({source})"
    return f"{key} = {text}  # {source}"


def toml_value(value: Any) -> str | None:
    """``value`` as a TOML literal; ``None`` for no value (TOML has no null)."""
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value)
    if isinstance(value, list | tuple):
        return "[" + ", ".join(toml_value(item) or '""' for item in value) + "]"
    return json.dumps(str(value), ensure_ascii=False)  # a JSON string is a TOML basic string
