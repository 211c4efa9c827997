"""Sort the words after a command name into options (with their values) and positionals.

getopt/argparse conventions: ``-c 5``, ``-c5``, ``--count 5``, ``--count=5``, clusters of
flags (``-Lk``), ``--`` ends the options, and the word ``from`` takes the next word as FROM
(as does any option spelled as a bare word: ``token revoke ID``).
A ``-h``/``--help`` anywhere before ``--`` asks for help, even when other words are wrong,
so scanning goes on past the first error and reports it only when no help was asked for.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field

from cloudping.commands.commandnames import did_you_mean
from cloudping.commands.pem import CA_FLAG, CA_REFUSED
from cloudping.commands.spec import CommandSpec, OptionSpec
from cloudping.commands.table import HELP_OPTION
from cloudping.commands.values import shown

FROM_WORD = "from"
# Phones turn "--" into an em dash (and sometimes "-" into an en dash) as people type.
_DASHES = ("\u2014", "\u2013")


@dataclass(frozen=True, slots=True)
class Occurrence:
    """One option as given: the option, its spelling as typed, its value word."""

    option: OptionSpec
    flag: str
    word: str | None = None


@dataclass(slots=True)
class Scan:
    """The words of a command, sorted."""

    occurrences: list[Occurrence] = field(default_factory=list)
    positionals: list[str] = field(default_factory=list)
    help: bool = False
    errors: list[tuple[str, str]] = field(default_factory=list)  # (message, word)


def undash(word: str) -> str:
    """An em or en dash before a flag read as ``--`` (``-`` before one letter): a phone's doing."""
    if word[:1] in _DASHES:
        return ("--" if len(word) > 2 else "-") + word[1:]
    return word


def is_option(word: str) -> bool:
    """True when ``word``, in an option position, is meant as an option."""
    return word.startswith("-") and len(word) > 1


def scan_words(spec: CommandSpec, words: list[str]) -> Scan:
    """Sort ``words`` (the command name excluded) into options and positionals."""
    scanner = _Scanner(spec, words)
    scanner.run()
    return scanner.scan


class _Scanner:
    def __init__(self, spec: CommandSpec, words: list[str]) -> None:
        self.spec = spec
        self.options = (*spec.options, HELP_OPTION)
        self.queue = deque(words)
        self.scan = Scan()

    def run(self) -> None:
        while self.queue:
            word = self.queue.popleft()
            if word == "--":
                self.scan.positionals.extend(self.queue)
                return
            self._word(word)

    def _word(self, word: str) -> None:
        flag = undash(word)
        if self.spec.takes_from and word.lower() == FROM_WORD:
            from_option = self.spec.option("-s")
            assert from_option is not None
            self._add(from_option, word, self._next_value(from_option, word))
        elif (keyword := self._keyword(word)) is not None:
            self._add(keyword, word, self._next_value(keyword, word))
        elif is_option(flag) and flag.startswith("--"):
            self._long(flag)
        elif is_option(flag):
            self._short(flag)
        else:
            self.scan.positionals.append(word)

    def _keyword(self, word: str) -> OptionSpec | None:
        """The option a bare word spells (``revoke`` of ``token revoke ID``), if any."""
        if word.startswith("-"):
            return None
        return next((o for o in self.spec.options if word.lower() in o.flags), None)

    def _find(self, flag: str) -> OptionSpec | None:
        return next((option for option in self.options if flag in option.flags), None)

    def _long(self, word: str) -> None:
        flag, equals, inline = word.partition("=")
        option = self._find(flag)
        if option is None:
            self._unknown(flag, word)
        elif not option.takes_value:
            if equals:
                self._error(f"{flag}: takes no value", word)
            self._add(option, flag, None)
        else:
            self._add(option, flag, inline if equals else self._next_value(option, flag))

    def _short(self, word: str) -> None:
        if self._find("-" + word.partition("=")[0]) is not None:
            self._long("-" + word)  # -count: a Go-style long flag
            return
        for position in range(1, len(word)):
            flag = "-" + word[position]
            option = self._find(flag)
            if option is None:
                self._unknown(flag, word)
                return
            if option.takes_value:
                attached = word[position + 1 :].removeprefix("=")
                self._add(option, flag, attached or self._next_value(option, flag))
                return
            self._add(option, flag, None)

    def _next_value(self, option: OptionSpec, flag: str) -> str | None:
        following = self.queue[0] if self.queue else None
        spelled = None if following is None else undash(following).partition("=")[0]
        if spelled is None or (is_option(spelled) and self._find(spelled) is not None):
            self._error(f"{flag}: missing {option.metavar}", flag)
            return None
        return self.queue.popleft()

    def _add(self, option: OptionSpec, flag: str, word: str | None) -> None:
        if option is HELP_OPTION:
            self.scan.help = True
        elif word is not None or not option.takes_value:
            self.scan.occurrences.append(Occurrence(option, flag, word))

    def _unknown(self, flag: str, word: str) -> None:
        if flag == CA_FLAG and any(option.key == "ca_pem" for option in self.spec.options):
            self._error(CA_REFUSED, word)
            return
        where = "" if flag == word else f" in {shown(word)}"
        hint = did_you_mean(flag, [*self.spec.flags, *HELP_OPTION.flags])
        self._error(f"unknown option {shown(flag)}{where}{hint}", word)

    def _error(self, message: str, word: str) -> None:
        self.scan.errors.append((message, word))
