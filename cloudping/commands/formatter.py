"""A command back to its canonical text: ``parse(format_command(c)) == c``.

Canonical means: the command's canonical name, only the options that differ from their
defaults, in table order, each by its first spelling, then the positional words. A field only
the structured form carries (``ca_pem``) has no words: the text shows the rest of the command.
"""

from __future__ import annotations

from collections.abc import Iterator

from cloudping.commands.lexer import quote
from cloudping.commands.model import Command
from cloudping.commands.scanner import FROM_WORD
from cloudping.commands.spec import CommandSpec, OptionSpec, default_of, value_of
from cloudping.commands.table import spec_for

_DASH_STARTS = ("-", "\u2014", "\u2013")


def format_command(command: Command) -> str:
    """The canonical command line of ``command``."""
    spec = spec_for(command)
    words = [spec.name, *_option_words(spec, command), *_positional_words(spec, command)]
    return " ".join(quote(word) for word in words)


def _option_words(spec: CommandSpec, command: Command) -> Iterator[str]:
    for option in spec.text_options:
        value = value_of(command, option.key)
        if value is None or value == default_of(spec.model, option.key):
            continue
        if not option.takes_value:
            if value == option.const:
                yield option.flag
            continue
        for item in value if option.repeat else (value,):
            yield from _valued(option, option.kind.render(item))


def _valued(option: OptionSpec, text: str) -> Iterator[str]:
    """``-d TEXT``; ``--data=-TEXT`` when the text would read as an option."""
    if text.startswith(_DASH_STARTS):
        long = next(flag for flag in option.flags if flag.startswith("--"))
        yield f"{long}={text}"
    else:
        yield option.flag
        yield text


def _positional_words(spec: CommandSpec, command: Command) -> list[str]:
    positional = spec.positional
    value = None if positional is None else value_of(command, positional.key)
    if positional is None or value is None:
        return []
    words = [positional.kind.render(item) for item in (value if positional.many else (value,))]
    ambiguous = any(
        word.startswith(_DASH_STARTS) or (spec.takes_from and word.lower() == FROM_WORD)
        for word in words
    )
    return ["--", *words] if ambiguous else words
