"""The names of the commands, what each does, their aliases, and "did you mean" for the rest.

The CLI's overview (`cloudping --help`) needs only this module: no pydantic, no table."""

from __future__ import annotations

from cloudping.commands.values import shown

# What each command does, in one line, in the order of the list of commands: the help overview
# reads this alone (no pydantic, no table), so a bare `cloudping --help` starts fast.
SUMMARIES: dict[str, str] = {
    "ping": "send echo requests and report loss and round-trip times",
    "traceroute": "show the path to a target, hop by hop",
    "mtr": "traceroute and ping combined: loss and latency of every hop",
    "tcping": "time TCP connections to HOST[:PORT] (port 443 unless given)",
    "dns": "resolve names, optionally through a given resolver",
    "http": "fetch URLs and time every phase (DNS, connect, TLS, first byte)",
    "scan": "sweep every address of a prefix and draw which answered",
    "list": "list the agents, with network and place",
    "ipinfo": "network, organisation and place of IP addresses",
    "route": "BGP routes by address or prefix, origin, neighbor, AS path or community",
    "version": "show the version of the hub and the agents",
    "token": "issue a personal API/MCP token, or revoke one",
    "help": "list the commands, or explain one",
}
COMMAND_NAMES: tuple[str, ...] = tuple(SUMMARIES)
ALIASES: dict[str, str] = {"trace": "traceroute", "probe": "scan"}
GENERAL_USAGE = (
    "usage: COMMAND [OPTION]... [ARGUMENT]...  (commands: "
    + ", ".join(COMMAND_NAMES)
    + "; 'help COMMAND' explains one)"
)


def command_list() -> str:
    """The commands, one a line with what it does, without a usage line (a channel that has
    its own, as the CLI does, puts this list under it)."""
    aliases = {name: alias for alias, name in ALIASES.items()}
    lines = ["commands:"]
    for name, summary in SUMMARIES.items():
        alias = f" (alias: {aliases[name]})" if name in aliases else ""
        lines.append(f"  {name:<12}{summary}{alias}")
    lines.append("Type 'help COMMAND' or 'COMMAND --help' for the options of one command.")
    return "\n".join(lines) + "\n"


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
