"""Never a mail loop: which mail gets no answer at all, and a cap on answers per sender.

RFC 3834 section 2: an automatic responder answers no message marked ``Auto-Submitted``
(other than ``no``), no list mail (``List-Id``, RFC 2919; ``Precedence: bulk|list|junk``) and
no bounce (a null reverse path, ``MAILER-DAEMON``). Our own address never gets an answer, so
two cloudping hubs cannot talk to each other forever. Pure: the message and the envelope in,
the reason out.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field
from email.message import Message
from email.utils import getaddresses

_AUTOMATIC_PRECEDENCE = frozenset({"bulk", "list", "junk"})
_DAEMONS = frozenset({"mailer-daemon", "postmaster"})
HOUR_S = 3600.0


def no_answer_reason(message: Message, envelope_sender: str | None, own: str) -> str | None:
    """Why ``message`` must get no answer, or None when it may.

    Args:
        envelope_sender: ``MAIL FROM`` (``""`` for the null sender); None when unknown (a
            message forwarded over HTTP).
        own: our address, lower-cased.
    """
    auto = str(message.get("Auto-Submitted", "no")).split(";")[0].strip().lower()
    precedence = str(message.get("Precedence", "")).strip().lower()
    senders = _addresses(message)
    envelope = (envelope_sender or "").lower()
    locals_ = {address.rpartition("@")[0] for address in (*senders, envelope) if address}
    reasons = (
        (auto != "no", f"Auto-Submitted: {auto}"),
        (precedence in _AUTOMATIC_PRECEDENCE, f"Precedence: {precedence}"),
        (message.get("List-Id") is not None, "list mail (List-Id)"),
        (envelope_sender == "", "a null sender (a bounce)"),
        (bool(locals_ & _DAEMONS), "a mailer daemon"),
        (own in senders or envelope == own, "our own address"),
    )
    return next((reason for matched, reason in reasons if matched), None)


def _addresses(message: Message) -> set[str]:
    """The addresses of ``From``, lower-cased (none when it cannot be read)."""
    try:
        values = [str(value) for value in message.get_all("From", [])]
    except (TypeError, ValueError):
        return set()
    return {address.lower() for _, address in getaddresses(values) if address}


@dataclass
class AnswerCap:
    """At most ``per_hour`` answers to one sender in any sliding hour (time passed in)."""

    per_hour: int
    _sent: dict[str, deque[float]] = field(default_factory=dict)

    def take(self, sender: str, now: float) -> bool:
        """Count an answer to ``sender`` at ``now``; False (nothing counted) when the cap is
        reached."""
        times = self._sent.setdefault(sender, deque())
        while times and times[0] <= now - HOUR_S:
            times.popleft()
        if len(times) >= self.per_hour:
            return False
        times.append(now)
        return True
