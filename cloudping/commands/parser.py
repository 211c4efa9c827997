"""Text and argv to a typed, validated ``Command``: the one place commands are parsed.

``parse`` takes a message from any channel (it finds the command line, then splits it);
``parse_args`` takes words already split (CLI argv). Both end in the same table-driven steps:
sort the words (``scanner``), gather them into fields, validate the model and the policy
(``diagnose``). Every failure is a ``UsageError`` naming the word and carrying the usage line.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, cast

from cloudping.commands.channel import command_line
from cloudping.commands.commandnames import GENERAL_USAGE, canonical_name
from cloudping.commands.diagnose import build, fail
from cloudping.commands.lexer import split_line
from cloudping.commands.model import Command, HelpCommand
from cloudping.commands.scanner import Occurrence, scan_words
from cloudping.commands.spec import CommandSpec
from cloudping.commands.table import SPECS, lookup
from cloudping.commands.values import clip, forbidden_character, shown
from cloudping.errors import UsageError
from cloudping.policy import DEFAULT_LIMITS, Limits


def parse(text: str, *, limits: Limits = DEFAULT_LIMITS) -> Command:
    """The command in a message: a chat line, an email body, a CLI line, a web form.

    Raises:
        UsageError: naming the offending word, with the command's usage line.
    """
    if not isinstance(text, str):
        raise UsageError("a command is text", usage=GENERAL_USAGE)
    if len(text) > limits.max_message_chars:
        raise _too_long("message", len(text), limits.max_message_chars, text)
    line = command_line(text)
    if len(line) > limits.max_input_chars:
        raise _too_long("command", len(line), limits.max_input_chars, line)
    try:
        words = split_line(line)
    except UsageError as exc:
        raise _about(line.split(), exc.message, exc.word) from None
    return parse_args(words, limits=limits)


def parse_args(argv: Sequence[str], *, limits: Limits = DEFAULT_LIMITS) -> Command:
    """The command in words already split: ``["ping", "-c", "3", "example.com"]``.

    Raises:
        UsageError: naming the offending word, with the command's usage line.
    """
    words = _checked(argv, limits)
    if not words:
        raise UsageError("empty command", usage=GENERAL_USAGE)
    spec = lookup(words[0])
    scan = scan_words(spec, words[1:])
    if scan.help:
        return HelpCommand(topic=spec.name)
    if scan.errors:
        message, word = scan.errors[0]
        raise fail(spec, message, word)
    data, labels = _gather(spec, scan.occurrences, scan.positionals)
    return cast(Command, build(spec, data, limits, labels))


def _checked(argv: Sequence[str], limits: Limits) -> list[str]:
    """The words of ``argv``, refused when too many, too long, or carrying control characters."""
    if isinstance(argv, str) or not all(isinstance(word, str) for word in argv):
        raise UsageError("parse_args takes a list of words", usage=GENERAL_USAGE)
    words = list(argv)
    if len(words) > limits.max_words:
        message = f"too many words: {len(words)} (at most {limits.max_words})"
        raise _about(words, message, words[limits.max_words])
    length = sum(len(word) + 1 for word in words) - 1
    if length > limits.max_input_chars:
        raise _too_long("command", length, limits.max_input_chars, " ".join(words))
    for word in words:
        bad = forbidden_character(word)
        if bad is not None:
            raise _about(words, f"control character U+{ord(bad):04X} in {shown(word)}", word)
    return words


def _about(words: Sequence[str], message: str, word: str | None) -> UsageError:
    """An error in the words of a command not parsed yet: prefixed and with usage if named."""
    name = canonical_name(words[0]) if words else None
    if name is None:
        return UsageError(message, word=word, usage=GENERAL_USAGE)
    return fail(SPECS[name], message, word)


def _too_long(what: str, length: int, most: int, text: str) -> UsageError:
    message = f"{what} too long: {length} characters (at most {most})"
    return _about(text.split()[:1], message, clip(text))


class TextLabels:
    """Labels of the command line: flags and words as the person typed them."""

    def __init__(self, spec: CommandSpec, typed: dict[str, list[tuple[str, str]]]) -> None:
        self.spec = spec
        self.typed = typed

    def label(self, key: str) -> str | None:
        positional = self.spec.positional
        return None if positional is not None and positional.key == key else self.name(key)

    def name(self, key: str) -> str:
        if key in self.typed and self.typed[key][0][0]:
            return self.typed[key][0][0]
        positional = self.spec.positional
        if positional is not None and positional.key == key:
            return positional.metavar
        return next((o.flag for o in self.spec.options if o.key == key), key)

    def word(self, key: str, index: int | None, value: object) -> str | None:
        typed = self.typed.get(key, [])
        if index is not None and index < len(typed):
            return typed[index][1]
        if typed:
            return typed[-1][1]
        return value if value is None or isinstance(value, str) else shown(value)


def _gather(
    spec: CommandSpec, occurrences: list[Occurrence], positionals: list[str]
) -> tuple[dict[str, Any], TextLabels]:
    """The fields the words give (as typed: the model converts), and how to name them."""
    data: dict[str, Any] = {}
    typed: dict[str, list[tuple[str, str]]] = {}
    for occurrence in occurrences:
        _set_option(spec, occurrence, data, typed)
    _set_positionals(spec, positionals, data, typed)
    return _nested(data), TextLabels(spec, typed)


def _set_option(
    spec: CommandSpec,
    occurrence: Occurrence,
    data: dict[str, Any],
    typed: dict[str, list[tuple[str, str]]],
) -> None:
    option, flag = occurrence.option, occurrence.flag
    earlier = typed.get(option.key)
    if earlier and not option.repeat:
        clash = (
            "given more than once" if earlier[0][0] == flag else f"conflicts with {earlier[0][0]}"
        )
        raise fail(spec, f"{flag}: {clash}", flag)
    value = occurrence.word if option.takes_value else option.const
    if option.repeat:
        data.setdefault(option.key, []).append(value)
    else:
        data[option.key] = value
    typed.setdefault(option.key, []).append((flag, occurrence.word or flag))


def _set_positionals(
    spec: CommandSpec,
    words: list[str],
    data: dict[str, Any],
    typed: dict[str, list[tuple[str, str]]],
) -> None:
    positional = spec.positional
    room = 0 if positional is None else len(words) if positional.many else 1
    if len(words) > room:
        raise fail(spec, f"unexpected argument {shown(words[room])}", words[room])
    if positional is None:
        return
    if not words:
        if positional.required:
            raise fail(spec, f"missing {positional.metavar}")
        return
    data[positional.key] = tuple(words) if positional.many else words[0]
    typed[positional.key] = [("", word) for word in words]


def _nested(data: dict[str, Any]) -> dict[str, Any]:
    """``{"from.limit": "2"}`` -> ``{"from": {"limit": "2"}}``."""
    nested: dict[str, Any] = {}
    for key, value in data.items():
        head, dot, rest = key.partition(".")
        if dot:
            nested.setdefault(head, {})[rest] = value
        else:
            nested[key] = value
    return nested
