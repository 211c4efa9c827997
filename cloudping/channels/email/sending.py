"""The outbound queue's sender: hands each due reply to the relay, keeps what it cannot take
(down, 4xx) for a later attempt, drops and logs what it refuses for good (5xx)."""

from __future__ import annotations

import asyncio
import logging
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from cloudping.channels.email.channel import MailChannel

log = logging.getLogger(__name__)


async def send_queued(channel: MailChannel) -> None:
    """Send due replies until cancelled; sleeps until the next is due or one is queued."""
    outbox, relay = channel.outbox, channel.settings.relay
    while True:
        entries = await asyncio.to_thread(outbox.entries)
        now = channel.clock()
        for entry in (e for e in entries if e.due <= now):
            message = await asyncio.to_thread(outbox.message, entry)
            outcome, said = await relay.send(message, entry.sender, entry.recipients)
            if outcome == "sent":
                await asyncio.to_thread(outbox.remove, entry)
            elif outcome == "refused":
                log.warning("mail: the relay refused the reply to %s: %s", entry.recipients, said)
                await asyncio.to_thread(outbox.remove, entry)
            else:
                later = await asyncio.to_thread(outbox.failed, entry, channel.clock())
                log.info("mail: reply %s waits (attempt %d): %s", entry.id, later.attempts, said)
            _stop_when_cancelled()
        waiting = await asyncio.to_thread(outbox.entries)
        due = min((entry.due for entry in waiting), default=None)
        await channel.woken(None if due is None else max(0.0, due - channel.clock()))


def _stop_when_cancelled() -> None:
    """Raise CancelledError when this task is being cancelled: aiosmtplib swallows a cancel
    that arrives mid-conversation (or turns it into its own error), and a sender that went on
    would keep the hub from stopping. Raised after the outcome is recorded, so a reply the
    relay took is never sent twice."""
    task = asyncio.current_task()
    if task is not None and task.cancelling():
        raise asyncio.CancelledError
