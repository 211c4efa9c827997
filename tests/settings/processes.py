"""The three processes' parsers as the settings see them, and a valid value for each option,
found from the option itself (its choices, or the first sample its type accepts), so that a
flag added tomorrow is covered by the tests with no change here."""

from __future__ import annotations

import argparse
import json
from collections.abc import Callable, Iterator
from typing import Any

from cloudping.serve import agent, hub, up
from cloudping.settings import Option, add_settings_options, options_of
from cloudping.settings.values import from_env

PARSERS: dict[str, Callable[[], argparse.ArgumentParser]] = {
    "hub": hub.parser,
    "agent": agent.parser,
    "up": up.parser,
}
# Tried in order; the first text an option's type and choices accept is its sample.
SAMPLES = (
    "7",
    "198.18.0.7:4433",
    "198.18.0.0/15",
    "AS64500",
    "52.5,13.4",
    "AB:" * 31 + "AB",
    "https://ping.example.net",
)


def process_parser(name: str) -> argparse.ArgumentParser:
    """The parser of process ``name`` with the settings' own options, as its main sees it."""
    parser = PARSERS[name]()
    add_settings_options(parser)
    return parser


def sample(option: Option) -> Any:
    """A value for ``option`` that differs from its default: a bool, a list of two texts or a
    text, as the file writes it."""
    if option.kind == "bool":
        return True
    if option.action.choices is not None:
        return next(str(c) for c in option.action.choices if c != option.action.default)
    text = next(text for text in SAMPLES if _accepts(option, text))
    return [text, text] if option.kind == "list" else text


def _accepts(option: Option, text: str) -> bool:
    try:
        from_env(option, text)
    except ValueError:
        return False
    return True


def rounds(parser: argparse.ArgumentParser) -> Iterator[list[Option]]:
    """Sets of options to give at once that cover every option that is not a secret: one
    member of each mutually exclusive group per round."""
    options = [o for o in options_of(parser) if not o.secret]
    groups = [
        [o for o in options if o.action in group._group_actions]
        for group in parser._mutually_exclusive_groups
    ]
    grouped = {id(o) for group in groups for o in group}
    free = [o for o in options if id(o) not in grouped]
    for k in range(max([len(g) for g in groups] + [1])):
        yield free + [group[k % len(group)] for group in groups if group]


def as_argv(options: list[Option]) -> list[str]:
    """The flags that give each option its sample."""
    argv: list[str] = []
    for option in options:
        value = sample(option)
        if value is True:
            argv.append(option.flag)
        elif isinstance(value, list):
            for item in value:
                argv += [option.flag, item]
        else:
            argv += [option.flag, value]
    return argv


def as_env(options: list[Option]) -> dict[str, str]:
    """The ``CLOUDPING_*`` variables that give each option its sample."""
    env = {}
    for option in options:
        value = sample(option)
        env[option.env] = (
            "1" if value is True else ",".join(value) if isinstance(value, list) else value
        )
    return env


def as_toml(options: list[Option]) -> str:
    """A settings file that gives each option its sample (top-level keys, then tables)."""
    top = [o for o in options if o.table is None]
    lines = [f"{o.key} = {json.dumps(sample(o))}" for o in top]
    for table in sorted({o.table for o in options if o.table}):
        lines.append(f"[{table}]")
        lines += [f"{o.key} = {json.dumps(sample(o))}" for o in options if o.table == table]
    return "\n".join(lines) + "\n"
