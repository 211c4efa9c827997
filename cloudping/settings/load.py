"""The one call a process makes: its parser and argv in, the effective settings out; a bad
setting is one line on stderr and exit 2, ``--print-config`` prints and exits 0."""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Mapping, Sequence

from cloudping.settings.logs import LOG_FORMATS
from cloudping.settings.names import SettingsError
from cloudping.settings.resolve import CONFIG_ENV, Settings, resolve
from cloudping.settings.show import print_config

EXIT_USAGE = 2


def add_settings_options(parser: argparse.ArgumentParser) -> None:
    """``--config``, ``--print-config`` and ``--log-format``, on every process alike (once)."""
    if "--config" in parser._option_string_actions:
        return
    parser.add_argument(
        "--config",
        metavar="FILE",
        help=f"read settings from this TOML file (env {CONFIG_ENV}); flags and CLOUDPING_* "
        "variables win over it",
    )
    parser.add_argument(
        "--print-config",
        action="store_true",
        help="print the effective settings and where each came from, then exit",
    )
    parser.add_argument(
        "--log-format",
        choices=LOG_FORMATS,
        default=LOG_FORMATS[0],
        help="log lines as text, or as one JSON object per line for log shippers "
        "(default %(default)s)",
    )


def load_settings(
    parser: argparse.ArgumentParser, argv: Sequence[str], env: Mapping[str, str] | None = None
) -> Settings:
    """The process's settings from ``argv``, ``env`` (default: ``os.environ``) and the file.

    Raises:
        SystemExit: 2 for a bad flag or setting (one line on stderr), 0 after
            ``--print-config``.
    """
    add_settings_options(parser)
    try:
        settings = resolve(parser, argv, os.environ if env is None else env)
    except SettingsError as exc:
        sys.stderr.write(f"{parser.prog}: {exc.message}\n")
        raise SystemExit(EXIT_USAGE) from None
    if settings.namespace.print_config:
        sys.stdout.write(print_config(parser.prog, settings.settings) + "\n")
        raise SystemExit(0)
    return settings
