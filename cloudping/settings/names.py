"""The one rule that names every option of a process three ways: a flag, a key of the settings
file and an environment variable.

``--smtp-relay`` is key ``relay`` of table ``[smtp]`` and ``CLOUDPING_SMTP_RELAY``: the flag's
first word names the table when that word is one of :data:`SECTIONS`; any other flag is a key
at the top level (``--data-dir`` is ``data_dir``, ``CLOUDPING_DATA_DIR``). The sections are a
fixed list, not "words that several flags share", so a key never moves to a table because
someone added a flag beside it: a settings file written today reads the same next year.

The rule reads the process's argparse parser, so a flag added to it tomorrow is a key and a
variable at once, with no change here.
"""

from __future__ import annotations

import argparse
from dataclasses import dataclass
from typing import Literal

from cloudping.errors import CloudpingError

SECTIONS = frozenset(
    {
        "agent",  # the hub's listeners for agents: [agent] listen, ws_listen
        "mcp",
        "log",
        "smtp",
        "imap",
        "mail",
        "telegram",
        "web",
        "metrics",
        "probe",
        "geoip",
        "ipinfo",
        "route",
        "login",
    }
)
"""Words that name a table when they start a flag; every other flag sits at the top level."""

SECRET_WORDS = frozenset({"token", "password", "secret", "key", "passphrase", "credentials"})
"""A value option whose last word is one of these holds a secret: it is never read from the
settings file or the environment (only its ``_file`` sibling is), never printed."""

ENV_PREFIX = "CLOUDPING_"
PROCESS_OPTIONS = frozenset({"config", "print_config", "help", "version"})
"""Options about reading the settings themselves: they are flags only."""

Kind = Literal["bool", "list", "value"]


class SettingsError(CloudpingError):
    """A setting that cannot be used: an unknown key, a wrong type, a secret written inline.

    Args:
        message: what is wrong, naming the key (and the flag or variable it stands for).
        where: ``FILE:LINE``, ``env NAME`` or ``flag --x``, when the value came from one.
    """

    code = "bad_setting"

    def __init__(self, message: str, *, where: str | None = None) -> None:
        super().__init__(f"{where}: {message}" if where else message)
        self.where = where


@dataclass(frozen=True, slots=True)
class Option:
    """One option of a process, named the three ways, with its argparse action."""

    action: argparse.Action
    flag: str  # --smtp-relay
    table: str | None  # smtp (None: the top level)
    key: str  # relay
    env: str  # CLOUDPING_SMTP_RELAY
    kind: Kind
    secret: bool  # a secret value: flag only, never shown

    @property
    def dest(self) -> str:
        """The attribute of the parsed namespace."""
        return self.action.dest

    @property
    def path(self) -> str:
        """``smtp.relay`` (or ``data_dir``): how messages and ``--print-config`` name it."""
        return f"{self.table}.{self.key}" if self.table else self.key


def options_of(parser: argparse.ArgumentParser) -> tuple[Option, ...]:
    """Every option of ``parser`` the settings cover, in the parser's order.

    Raises:
        SettingsError: two flags map to one key or variable, or a key is also a table name
            (a bug of the parser: the test over every process's parser catches it).
    """
    found = tuple(
        _option(action, flag)
        for action in parser._actions
        if (flag := _long_flag(action)) is not None and action.dest not in PROCESS_OPTIONS
    )
    _check_unique(parser.prog, found)
    return found


def _long_flag(action: argparse.Action) -> str | None:
    """The option's first long spelling (its canonical name; later ones are old aliases)."""
    if isinstance(action, argparse._HelpAction | argparse._VersionAction):
        return None
    return next((s for s in action.option_strings if s.startswith("--")), None)


def _option(action: argparse.Action, flag: str) -> Option:
    words = flag.removeprefix("--").split("-")
    table = words[0] if len(words) > 1 and words[0] in SECTIONS else None
    key = "_".join(words[1:] if table else words)
    kind: Kind = "value"
    if action.nargs == 0:
        kind = "bool"
    elif isinstance(action, argparse._AppendAction) or action.nargs in ("*", "+"):
        kind = "list"
    secret = kind != "bool" and words[-1] in SECRET_WORDS
    env = ENV_PREFIX + "_".join(words).upper()
    return Option(action, flag, table, key, env, kind, secret)


def _check_unique(prog: str, options: tuple[Option, ...]) -> None:
    # A dest shared by two flags (--x and --no-x) would make one key overwrite the other.
    names = [[o.path for o in options], [o.env for o in options], [o.dest for o in options]]
    for name in sorted({n for kind in names for n in kind if kind.count(n) > 1}):
        raise SettingsError(f"{prog}: two options map to {name}")
    tables = {option.table for option in options if option.table}
    for option in options:
        if option.table is None and option.key in tables:
            raise SettingsError(f"{prog}: {option.flag} is key {option.key}, also a table")
