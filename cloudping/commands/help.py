"""Usage lines and help text, generated from the command table (never written by hand)."""

from __future__ import annotations

from itertools import groupby

from cloudping.commands.commandnames import GENERAL_USAGE, command_list
from cloudping.commands.spec import CommandSpec, OptionSpec, default_of
from cloudping.commands.table import HELP_OPTION, lookup

_COLUMN = 28
_USAGE = "usage: "


def as_invoked(text: str, prefix: str) -> str:
    """A usage line, or help that starts with one, as a channel invokes the command.

    The grammar's usage lines name the bare command (``usage: ping ...``), since each channel
    types it its own way: ``as_invoked(line, "cloudping ")`` on the command line, ``"/"`` in a
    chat. Other text is returned as it is.
    """
    return _USAGE + prefix + text.removeprefix(_USAGE) if text.startswith(_USAGE) else text


def usage(name: str) -> str:
    """The usage line of a command: ``usage: ping [-4|-6] [-c N] ... TARGET...``.

    Raises:
        UsageError: when ``name`` names no command.
    """
    return usage_line(lookup(name))


def usage_line(spec: CommandSpec) -> str:
    """The usage line of ``spec``."""
    parts = [f"{_USAGE}{spec.name}"]
    parts += [_group_usage(list(group)) for _, group in _groups(spec.text_options)]
    if spec.positional is not None:
        parts.append(spec.positional.usage)
    return " ".join(parts)


def _groups(options: tuple[OptionSpec, ...]) -> groupby[str, OptionSpec]:
    """Options side by side that set one key (-4 and -6) form one group."""
    return groupby(options, key=lambda option: option.key)


def _group_usage(group: list[OptionSpec]) -> str:
    if len(group) > 1:
        return "[" + "|".join(option.flag for option in group) + "]"
    option = group[0]
    text = f"[{option.flag} {option.metavar}]" if option.takes_value else f"[{option.flag}]"
    return text + "..." if option.repeat else text


def help_text(name: str | None = None) -> str:
    """Help on one command (its usage, arguments, options, examples), or the list of commands.

    Raises:
        UsageError: when ``name`` names no command.
    """
    if name is None:
        return f"{GENERAL_USAGE}\n{command_list()}"
    spec = lookup(name)
    options = [_option_line(spec, option) for option in (*spec.text_options, HELP_OPTION)]
    sections = [
        [usage_line(spec)],
        [_sentence(spec.summary), *([spec.note] if spec.note else [])],
        _argument_lines(spec),
        ["options:", *options],
        _structured_lines(spec),
        _from_lines(spec),
        ["examples:", *(f"  {example}" for example in spec.examples)] if spec.examples else [],
    ]
    return "\n\n".join("\n".join(lines) for lines in sections if lines) + "\n"


def _sentence(text: str) -> str:
    return text[:1].upper() + text[1:] + "."


def _structured_lines(spec: CommandSpec) -> list[str]:
    fields = [option for option in spec.options if not option.in_text]
    if not fields:
        return []
    lines = [_columns(option.key, option.help) for option in fields]
    return ["in the structured form only (API JSON, MCP):", *lines]


def _argument_lines(spec: CommandSpec) -> list[str]:
    positional = spec.positional
    if positional is None:
        return []
    return ["arguments:", _columns(positional.usage, positional.help)]


def _option_line(spec: CommandSpec, option: OptionSpec) -> str:
    flags = ", ".join(option.flags)
    left = f"{flags} {option.metavar}" if option.takes_value else flags
    default = default_of(spec.model, option.key) if option.key != "help" else None
    if option.takes_value and default not in (None, ()):
        return _columns(left, f"{option.help} (default: {option.kind.render(default)})")
    return _columns(left, option.help)


def _columns(left: str, right: str) -> str:
    left = f"  {left}"
    if len(left) >= _COLUMN:
        return f"{left}\n{'':<{_COLUMN}}{right}"
    return f"{left:<{_COLUMN}}{right}"


def _from_lines(spec: CommandSpec) -> list[str]:
    if not spec.takes_from:
        return []
    return [
        "FROM (the agents that run it; default: one agent chosen by the hub):",
        "  -s SELECTOR[,SELECTOR...] [--limit N], or the word form",
        f"  'from SELECTOR[,SELECTOR...]' (one word after 'from'): {spec.name} from DE,fra1 ...",
        "  SELECTOR: an agent name (fra1), a country (DE), a city (Berlin), an ASN (AS13335),",
        "  a network name or a tag (dn42, datacenter); '+' joins terms that must all match",
        "  (DE+AS3320), ',' separates alternatives (fra1,ams1).",
    ]
