"""When to edit a live message: a pure edit scheduler (time is an argument).

Telegram limits a bot to about one message or edit per second in a chat and twenty a minute
in a group (Bot API FAQ, "My bot is hitting limits"); past that it answers 429 with
``retry_after``. So: the first result goes out at once (nobody waits for a coalescing
window), later edits are spaced by the chat's interval and carry whatever is latest by then
(the states in between are coalesced), identical text is never sent (Telegram answers 400
"message is not modified"), and after a 429 nothing is sent before ``retry_after`` has
passed. The final state is never dropped: it waits like any other edit, then goes.
"""

from __future__ import annotations

from dataclasses import dataclass, replace


@dataclass(frozen=True, slots=True)
class Send:
    """Edit now, with the latest text."""


@dataclass(frozen=True, slots=True)
class Wait:
    """Nothing before ``until`` (then decide again, with whatever is latest then)."""

    until: float


@dataclass(frozen=True, slots=True)
class Skip:
    """The message already shows the latest text."""


Decision = Send | Wait | Skip
SEND, SKIP = Send(), Skip()


@dataclass(frozen=True, slots=True)
class Pace:
    """One chat's budget: when the bot last wrote there and until when Telegram said wait."""

    last_write: float | None = None
    blocked_until: float = 0.0

    def wrote(self, now: float) -> Pace:
        """After a message was sent or edited at ``now``."""
        return replace(self, last_write=now)

    def told_to_wait(self, now: float, retry_after_s: float) -> Pace:
        """After a 429 at ``now`` saying ``retry_after`` seconds."""
        return replace(self, blocked_until=max(self.blocked_until, now + retry_after_s))


def decide(now: float, pace: Pace, interval_s: float, shown: str, latest: str, *,
           first: bool) -> Decision:  # fmt: skip
    """Whether to edit a message showing ``shown`` to ``latest`` at ``now``.

    Args:
        pace: the chat's budget.
        interval_s: the least time between two writes in the chat.
        first: no result is shown yet (the message still says "running"): no spacing.
    """
    if latest == shown:
        return SKIP
    if now < pace.blocked_until:
        return Wait(pace.blocked_until)
    if first or pace.last_write is None or now >= pace.last_write + interval_s:
        return SEND
    return Wait(pace.last_write + interval_s)
