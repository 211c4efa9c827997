"""Where each option's value comes from: flag > environment > file > default.

The command line is parsed by a copy of the process's parser that keeps each flag's text
and sets nothing it was not given, so the layers below show through; every layer's value then
goes through one conversion (:mod:`.values`), and argparse's own rules that layers could
break (required options, mutually exclusive groups) are checked on the result.
"""

from __future__ import annotations

import argparse
import copy
import dataclasses
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from cloudping.settings.names import (
    ENV_PREFIX,
    SECRET_WORDS,
    SECTIONS,
    Option,
    SettingsError,
    options_of,
)
from cloudping.settings.tables import TableRule, registered_tables
from cloudping.settings.tomlfile import KeyPath, SettingsFile, read_settings_file
from cloudping.settings.values import env_shown, from_env, from_flag, from_toml

CONFIG_ENV = f"{ENV_PREFIX}CONFIG"
Layer = Literal["flag", "env", "file", "default"]
_LAYERS: tuple[Layer, ...] = ("flag", "env", "file", "default")  # highest first


@dataclass(frozen=True, slots=True)
class Setting:
    """One option's effective value, the layer it came from, and the value as written there
    (text, TOML) for ``--print-config``."""

    option: Option
    value: Any
    layer: Layer
    shown: Any
    line: str | None = None  # FILE:LINE, for a value from the file

    @property
    def source(self) -> str:
        """``flag --x``, ``env NAME``, ``FILE:LINE`` or ``default``."""
        if self.layer == "flag":
            return f"flag {self.option.flag}"
        if self.layer == "env":
            return f"env {self.option.env}"
        return self.line or self.layer

    @classmethod
    def default(cls, option: Option) -> Setting:
        """The option's argparse default."""
        return cls(option, option.action.default, "default", option.action.default)


@dataclass(frozen=True, slots=True)
class Settings:
    """A process's effective settings."""

    namespace: argparse.Namespace  # what parse_args would have returned
    settings: tuple[Setting, ...]  # the options, in the parser's order
    tables: Mapping[str, object]  # checked structured tables (register_table)


def resolve(
    parser: argparse.ArgumentParser,
    argv: Sequence[str],
    env: Mapping[str, str],
    tables: Mapping[str, TableRule] | None = None,
) -> Settings:
    """Parse ``argv`` over the environment, the settings file and the defaults.

    Args:
        parser: the process's parser, with the settings' own options (``--config``).
        env: the environment (``CLOUDPING_*`` read from it).
        tables: structured tables accepted in the file (default: those registered).

    Raises:
        SettingsError: a bad file, key or variable (the message names it and where).
        SystemExit: argparse's usage error for the command line (exit 2).
    """
    options = options_of(parser)
    given = _command_line(parser, argv)
    config = given.get("config") or env.get(CONFIG_ENV)
    file = read_settings_file(Path(config)) if config else None
    rules = registered_tables() if tables is None else tables
    in_file, checked = _file_values(options, file, rules)
    settings = [_setting(parser, option, given, env, in_file) for option in options]
    settings = _exclusive(parser, settings)
    _required(parser, settings)
    values = {a.dest: a.default for a in parser._actions if a.default is not argparse.SUPPRESS}
    values |= given | {s.option.dest: s.value for s in settings}
    # Each registered table is also on the namespace (``login.provider`` as
    # ``login_provider``, None when the file has none), so that what a process configures
    # from its parsed options (the channels) reads it as it reads a flag.
    values |= {name.replace(".", "_"): checked.get(name) for name in rules}
    return Settings(argparse.Namespace(**values), tuple(settings), checked)


def _command_line(parser: argparse.ArgumentParser, argv: Sequence[str]) -> dict[str, Any]:
    """Only what ``argv`` gives, as text: a parser copy with no defaults, types or required."""
    bare = copy.deepcopy(parser)
    for action in bare._actions:
        action.default, action.required = argparse.SUPPRESS, False
        action.type, action.choices = None, None
    for group in bare._mutually_exclusive_groups:
        group.required = False
    # --help and usage errors speak with the real parser's words (defaults, choices).
    bare.print_help = parser.print_help  # type: ignore[method-assign]
    bare.error = parser.error  # type: ignore[method-assign]
    return vars(bare.parse_args(argv))


def _setting(
    parser: argparse.ArgumentParser,
    option: Option,
    given: Mapping[str, Any],
    env: Mapping[str, str],
    in_file: Mapping[str, Setting],
) -> Setting:
    if option.dest in given:
        try:
            text = given[option.dest]
            return Setting(option, from_flag(option, text), "flag", text)
        except ValueError as exc:
            parser.error(f"argument {option.flag}: {exc}")
    if option.env in env and not option.secret:  # a secret never comes from the environment
        try:
            value = from_env(option, env[option.env])
            return Setting(option, value, "env", env_shown(option, env[option.env]))
        except ValueError as exc:
            raise SettingsError(f"{option.env} ({option.flag}): {exc}", where="env") from exc
    if option.dest in in_file:
        return in_file[option.dest]
    setting = Setting.default(option)
    if isinstance(setting.value, str) and option.kind == "value":  # argparse types a text default
        return dataclasses.replace(setting, value=from_flag(option, setting.value))
    return setting


def _file_values(
    options: Sequence[Option], file: SettingsFile | None, tables: Mapping[str, TableRule]
) -> tuple[dict[str, Setting], dict[str, object]]:
    """The file's settings by dest, and its checked structured tables.

    Raises:
        SettingsError: an unknown key, a secret written inline, a wrong type.
    """
    if file is None:
        return {}, {}
    by_path = {tuple(o.path.split(".")): o for o in options}
    # A section another process uses ([smtp] in an agent's file) is walked too, so that the
    # error names the key inside it.
    known_tables = SECTIONS | _parents(tables)
    values: dict[str, Setting] = {}
    checked: dict[str, object] = {}

    def walk(table: Mapping[str, Any], path: KeyPath) -> None:
        for key, value in table.items():
            here = (*path, key)
            name = ".".join(here)
            if (option := by_path.get(here)) is not None:
                converted = _file_value(file, option, value, here)
                values[option.dest] = Setting(option, converted, "file", value, file.where(here))
            elif (rule := tables.get(name)) is not None:
                checked[name] = _validated(file, rule, value, here)
            elif not path and key in known_tables and isinstance(value, dict):
                walk(value, here)
            else:
                raise SettingsError(_unknown(name, by_path), where=file.where(here))

    walk(file.data, ())
    return values, checked


def _file_value(file: SettingsFile, option: Option, value: Any, here: KeyPath) -> Any:
    if option.secret:
        raise SettingsError(
            f"{option.path}: a secret is never written in the settings file; "
            f"put it in a file and name that file with {option.path}_file",
            where=file.where(here),
        )
    try:
        return from_toml(option, value)
    except ValueError as exc:
        message = f"{option.path} ({option.flag}): {exc}"
        raise SettingsError(message, where=file.where(here)) from exc


def _validated(file: SettingsFile, rule: TableRule, value: Any, here: KeyPath) -> object:
    try:
        return rule.validate(value)
    except ValueError as exc:
        raise SettingsError(f"{rule.name}: {exc}", where=file.where(here)) from exc


def _parents(tables: Mapping[str, TableRule]) -> set[str]:
    return {name.partition(".")[0] for name in tables if "." in name}


def _unknown(name: str, by_path: Mapping[KeyPath, Option]) -> str:
    """The message for a key no option has; a secret-looking one is told to use ``_file``."""
    leaf = name.rpartition(".")[2]
    if leaf.split("_")[-1] in SECRET_WORDS:
        return (
            f"unknown key {name}: a secret is never written in the settings file; "
            f"put it in a file and name that file with {name}_file"
        )
    return f"unknown key {name}"


def _exclusive(parser: argparse.ArgumentParser, settings: list[Setting]) -> list[Setting]:
    """In each mutually exclusive group the highest layer wins; two at one layer are an
    error (the command line's own clash argparse already refused)."""
    by_action = {id(s.option.action): i for i, s in enumerate(settings)}
    for group in parser._mutually_exclusive_groups:
        members = [by_action[id(a)] for a in group._group_actions if id(a) in by_action]
        chosen = [i for i in members if settings[i].layer != "default"]
        if not chosen:
            continue
        top = min(chosen, key=lambda i: _LAYERS.index(settings[i].layer))
        clash = [i for i in chosen if i != top and settings[i].layer == settings[top].layer]
        if clash:
            a, b = settings[top], settings[clash[0]]
            raise SettingsError(
                f"{a.option.path} and {b.option.path} exclude each other", where=a.source
            )
        for i in chosen:
            if i != top:
                settings[i] = Setting.default(settings[i].option)
    return settings


def _required(parser: argparse.ArgumentParser, settings: Sequence[Setting]) -> None:
    """argparse's required options and groups, satisfied by any layer."""
    unset = {id(s.option.action) for s in settings if s.layer == "default"}
    missing = [s.option.flag for s in settings if s.option.action.required and s.layer == "default"]
    if missing:
        parser.error(f"the following arguments are required: {', '.join(missing)} {_ways()}")
    for group in parser._mutually_exclusive_groups:
        actions = group._group_actions
        if group.required and all(id(a) in unset for a in actions):
            flags = " ".join(a.option_strings[0] for a in actions)
            parser.error(f"one of the arguments {flags} is required {_ways()}")


def _ways() -> str:
    return "(as a flag, a CLOUDPING_* variable or a key of the --config file)"
