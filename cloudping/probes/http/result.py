"""What of an HTTP response goes into its event: bounded headers and a lenient body excerpt.

A response is the server's text, shown to people in terminals and chats: control characters
(an ANSI escape, a bare CR) are replaced, so a body cannot rewrite the reader's screen.
"""

from __future__ import annotations

import codecs
import re
from email.message import Message

from cloudping.probes.http.exchange import EXCERPT_BYTES

HEADERS_MAX = 50
HEADER_VALUE_MAX = 256
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")


def printable(text: str) -> str:
    """``text`` with CRLF as LF and every other control character but tab and LF as U+FFFD."""
    return _CONTROL.sub("\ufffd", text.replace("\r\n", "\n"))


def bounded_headers(headers: tuple[tuple[str, str], ...]) -> tuple[tuple[str, str], ...]:
    """The first ``HEADERS_MAX`` headers, each value cut to ``HEADER_VALUE_MAX`` characters."""
    return tuple(
        (printable(name), printable(_cut(value, HEADER_VALUE_MAX)))
        for name, value in headers[:HEADERS_MAX]
    )


def _cut(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def excerpt(head: bytes, content_type: str | None) -> str:
    """The first ``EXCERPT_BYTES`` of a body as text, in its charset (default UTF-8).

    Undecodable bytes become U+FFFD; a character cut by the byte limit is left out.
    """
    decoder = codecs.getincrementaldecoder(_charset(content_type))(errors="replace")
    whole = len(head) <= EXCERPT_BYTES  # the body ended here: nothing was cut
    return printable(decoder.decode(head[:EXCERPT_BYTES], final=whole))


def _charset(content_type: str | None) -> str:
    if not content_type:
        return "utf-8"
    message = Message()
    message["content-type"] = content_type  # RFC 9110 section 8.3.1: charset parameter
    charset = message.get_content_charset() or "utf-8"
    try:
        return codecs.lookup(charset).name
    except LookupError:
        return "utf-8"
