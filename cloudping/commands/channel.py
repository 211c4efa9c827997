"""Find the command line in a message as channels deliver it (a thin pre-step of ``parse``).

Telegram sends ``/ping@mybot -c 3 x``; an email body carries CRLF line ends, quoted lines
(``> ...``), a signature after a ``-- `` line (RFC 3676 section 4.3) and perhaps a greeting.
The command is the first line whose first word names a command, else the first non-empty line
(so that the error names what the person wrote).
"""

from __future__ import annotations

import re

from cloudping.commands.commandnames import canonical_name

# "/ping@mybot rest": the name, the bot it is addressed to, the rest of the line.
_TELEGRAM = re.compile(r"/([^\s@]*)(?:@\S*)?(.*)", re.DOTALL)
_TELEGRAM_ALIASES = {"start": "help"}


def command_line(text: str) -> str:
    """The command line within ``text``, stripped; empty when there is none."""
    lines = [line.strip() for line in _body(text)]
    candidates = [_unslash(line) for line in lines if line]
    for line in candidates:
        words = line.split(maxsplit=1)
        if words and canonical_name(words[0]) is not None:
            return line
    return candidates[0] if candidates else ""


def _body(text: str) -> list[str]:
    """The lines before the signature, without quoted lines."""
    body = []
    for line in text.replace("\r\n", "\n").replace("\r", "\n").split("\n"):
        if line.rstrip() == "--":
            break
        if not line.lstrip().startswith(">"):
            body.append(line)
    return body


def _unslash(line: str) -> str:
    """``/ping@mybot -c 3 x`` -> ``ping -c 3 x``; ``/start`` -> ``help``."""
    match = _TELEGRAM.fullmatch(line)
    if match is None:
        return line
    name = match[1]
    return (_TELEGRAM_ALIASES.get(name.lower(), name) + match[2]).strip()
