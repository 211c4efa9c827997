"""The names of the commands, their aliases, and "did you mean" for the rest."""

from __future__ import annotations

from cloudping.commands.values import shown

COMMAND_NAMES: tuple[str, ...] = (
    "ping",
    "traceroute",
    "mtr",
    "tcping",
    "dns",
    "http",
    "scan",
    "list",
    "ipinfo",
    "route",
    "version",
    "token",
    "help",
)
ALIASES: dict[str, str] = {"trace": "traceroute", "probe": "scan"}
GENERAL_USAGE = (
    "usage: COMMAND [OPTION]... [ARGUMENT]...  (commands: "
    + ", ".join(COMMAND_NAMES)
    + "; 'help COMMAND' explains one)"
)


def canonical_name(word: str) -> str | None:
    """The canonical command a word names, case-insensitively (``TRACE`` -> ``traceroute``)."""
    name = word.lower()
    name = ALIASES.get(name, name)
    return name if name in COMMAND_NAMES else None


def did_you_mean(word: str, choices: list[str] | tuple[str, ...]) -> str:
    """`` (did you mean X?)`` when one choice is close to ``word``, else an empty string."""
    import difflib  # noqa: PLC0415 (only a mistyped word needs it)

    close = difflib.get_close_matches(word, choices, n=1, cutoff=0.6)
    return f" (did you mean {close[0]}?)" if close else ""


def unknown_command(word: str) -> str:
    """The message for a word that names no command."""
    choices = (*COMMAND_NAMES, *ALIASES)
    return f"unknown command {shown(word)}{did_you_mean(word.lower(), choices)}"


def topic(value: object) -> object:
    """A help topic: a command name or alias, made canonical."""
    if not isinstance(value, str):
        return value
    name = canonical_name(value)
    if name is None:
        raise ValueError(unknown_command(value))
    return name
