"""``--help`` that shows each option's default, where there is one worth showing."""

from __future__ import annotations

import argparse


class DefaultsShown(argparse.HelpFormatter):
    """Appends ``(default: X)`` to an option's help, unless the help already names its
    default or there is none to name (off, empty, unset): argparse's own
    ``ArgumentDefaultsHelpFormatter`` prints ``(default: None)`` and ``(default: [])``."""

    def _get_help_string(self, action: argparse.Action) -> str | None:
        text = action.help or ""
        default = action.default
        if "default" in text or default in (None, False, "", [], argparse.SUPPRESS):
            return text
        return f"{text} (default: %(default)s)"
