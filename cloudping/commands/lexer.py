"""Split one command line into words, with shell-like quoting.

POSIX shell rules, minus expansion: ``'...'`` keeps everything, ``"..."`` keeps everything but
``\\"`` and ``\\\\``, a backslash outside quotes keeps the next character. Phones "smarten"
quotes as people type, so typographic double (U+201C ... U+201D) and single (U+2018 ...
U+2019) quotes quote too. ``''`` is an empty word.
"""

from __future__ import annotations

from cloudping.commands.values import clip
from cloudping.errors import UsageError

# opening quote -> (closing quote, does a backslash escape inside)
_QUOTES: dict[str, tuple[str, bool]] = {
    "'": ("'", False),
    '"': ('"', True),
    "\u201c": ("\u201d", False),  # typographic double quotes
    "\u2018": ("\u2019", False),  # typographic single quotes
}
_ESCAPABLE_IN_DOUBLE = frozenset('"\\')


class _Lexer:
    def __init__(self, line: str) -> None:
        self.line = line
        self.pos = 0
        self.words: list[str] = []
        self.current: list[str] = []
        self.in_word = False

    def run(self) -> list[str]:
        while self.pos < len(self.line):
            ch = self.line[self.pos]
            if ch.isspace():
                self._end_word()
                self.pos += 1
            elif ch in _QUOTES:
                self._quoted(ch)
            elif ch == "\\":
                self._escaped()
            else:
                self._take(ch, 1)
        self._end_word()
        return self.words

    def _take(self, text: str, advance: int) -> None:
        self.current.append(text)
        self.in_word = True
        self.pos += advance

    def _end_word(self) -> None:
        if self.in_word:
            self.words.append("".join(self.current))
        self.current, self.in_word = [], False

    def _escaped(self) -> None:
        following = self.line[self.pos + 1 : self.pos + 2]
        self._take(following or "\\", 2)

    def _quoted(self, opening: str) -> None:
        closing, escapes = _QUOTES[opening]
        start, self.pos, self.in_word = self.pos, self.pos + 1, True
        while self.pos < len(self.line):
            ch = self.line[self.pos]
            if ch == closing:
                self.pos += 1
                return
            if (
                escapes
                and ch == "\\"
                and self.line[self.pos + 1 : self.pos + 2] in _ESCAPABLE_IN_DOUBLE
            ):
                self._take(self.line[self.pos + 1], 2)
            else:
                self._take(ch, 1)
        rest = self.line[start:]
        raise UsageError(f"unterminated quote {opening} in {clip(rest)}", word=rest)


def split_line(line: str) -> list[str]:
    """The words of ``line``.

    Raises:
        UsageError: an unterminated quote, naming the text from the quote on.
    """
    return _Lexer(line).run()


_SPECIAL = frozenset("\\'\"\u201c\u2018")


def quote(word: str) -> str:
    """``word`` as :func:`split_line` reads back as exactly that word."""
    if word and not any(ch.isspace() or ch in _SPECIAL for ch in word):
        return word
    return "'" + word.replace("'", "'\\''") + "'"
