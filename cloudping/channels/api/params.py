"""Numbers in query parameters: ASCII digits only.

``str.isdigit`` is true for superscript, circled and full-width digits too; ``int`` refuses the
first two (a 500 where a 400 belongs) and reads the last. A query number is spelt 0-9.
"""

from __future__ import annotations

import re

from cloudping.channels.api.errors import bad_request

_DIGITS = re.compile(r"[0-9]+", re.ASCII)


def whole_number(name: str, text: str, *, most_digits: int, what: str = "a whole number") -> int:
    """``text`` as a whole number of at most ``most_digits`` ASCII digits.

    Raises:
        CloudpingError: ``bad_request`` naming the parameter and the text.
    """
    if len(text) > most_digits or not _DIGITS.fullmatch(text):
        raise bad_request(f"{name} must be {what}, not {text!r}", word=text)
    return int(text)
