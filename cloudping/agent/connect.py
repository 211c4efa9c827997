"""Staying connected: dial the hub, run until the connection ends, wait, dial again.

The wait is jittered exponential backoff (AWS "Exponential Backoff and Jitter", the "equal
jitter" variant: half the delay fixed, half random, so that a hub restart does not bring every
agent back in the same instant, and no delay is ever near zero). A refusal that will not fix
itself soon (a bad token, a name in use, an untrusted certificate) waits longer. The loop
gives up never; it ends when its task is cancelled, after the jobs have sent their ends.
"""

from __future__ import annotations

import asyncio
import logging
import random
from collections.abc import Awaitable, Callable
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass
from typing import NoReturn, Protocol

from cloudping.agent.runtime import Agent, HubSender
from cloudping.errors import CloudpingError
from cloudping.transport.core import ConnectionEvent
from cloudping.wire import Disconnected, HubRefusedError, HubUnreachableError

log = logging.getLogger(__name__)

LONG_REFUSALS = frozenset({"unauthorized", "name_in_use"})
"""Refusals an operator has to fix (or a live twin has to leave): worth the long backoff."""


class Rng(Protocol):
    """What the backoff needs of a random source (``random.Random`` is one)."""

    def random(self) -> float:
        """A float in [0, 1)."""


@dataclass(frozen=True, slots=True)
class Backoff:
    """Delays between attempts, in seconds: ``base * 2**attempt`` up to ``cap``, jittered.

    ``long_base``/``long_cap`` apply after a refusal that needs a person (see
    :func:`is_long_failure`).
    """

    base: float = 1.0
    cap: float = 60.0
    long_base: float = 30.0
    long_cap: float = 900.0

    def delay(self, attempt: int, rng: Rng, *, long: bool = False) -> float:
        """The wait before attempt ``attempt + 1`` (``attempt`` counts from 0)."""
        base, cap = (self.long_base, self.long_cap) if long else (self.base, self.cap)
        ceiling = min(cap, base * 2.0 ** min(attempt, 32))  # 2**32: any cap is reached by then
        return ceiling / 2 + rng.random() * ceiling / 2


def is_long_failure(error: CloudpingError) -> bool:
    """Whether retrying soon is pointless: refused for who we are, or the hub is not trusted
    (or the trust settings cannot be read)."""
    if isinstance(error, HubRefusedError):
        return error.refuse_code in LONG_REFUSALS
    return not isinstance(error, HubUnreachableError)


class HubSession(HubSender, Protocol):
    """A connection while it lasts: ``closed`` resolves when it ends."""

    @property
    def closed(self) -> asyncio.Future[Disconnected]:
        """Resolves with the reason once the connection is gone."""

    def transmit(self) -> None:
        """Send what is queued now (before the connection is closed)."""


OnEvent = Callable[[HubSender, ConnectionEvent], None]


class Dial(Protocol):
    """Opens one connection (``dial_hub`` with its address, trust and hello bound)."""

    def __call__(self, *, on_event: OnEvent) -> AbstractAsyncContextManager[HubSession]:
        """Connect, handing every event to ``on_event``; the block runs while accepted."""


async def stay_connected(
    dial: Dial,
    agent: Agent,
    *,
    backoff: Backoff | None = None,
    rng: Rng | None = None,
    sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
) -> NoReturn:
    """Keep the agent connected to its hub until cancelled.

    Args:
        dial: opens one connection.
        agent: handles the connection's events.
        backoff: the delays (the defaults above when ``None``).
        rng: jitter source (``random.Random()`` when ``None``).
        sleep: waits between attempts (a test passes a recorder).
    """
    backoff = backoff or Backoff()
    rng = rng or random.Random()  # noqa: S311 (jitter, not a secret)
    attempt = 0
    while True:
        failure = await connect_once(dial, agent)
        if failure is None:
            attempt = 0  # it worked; the next wait starts short again
            delay = backoff.delay(0, rng)
            log.warning("lost the hub; reconnecting in %.1f s", delay)
        else:
            delay = backoff.delay(attempt, rng, long=is_long_failure(failure))
            attempt += 1
            # The error's message never holds the token (Hello keeps it out of its repr).
            log.warning(
                "cannot join the hub (%s: %s); retrying in %.1f s",
                failure.code,
                failure.message,
                delay,
            )
        await sleep(delay)


async def connect_once(dial: Dial, agent: Agent) -> CloudpingError | None:
    """One connection, run until it ends; the error when none could be made.

    Cancelled, it first lets the jobs end (their ``JobEnd`` goes out), then leaves.
    """
    try:
        async with dial(on_event=agent) as hub:
            log.info("connected to the hub")
            try:
                # shield: cancelling us must not cancel the binding's own future.
                gone = await asyncio.shield(hub.closed)
            except asyncio.CancelledError:
                await agent.finish(hub, "the agent is stopping")
                hub.transmit()  # the ends go out before the connection's close does
                raise
            log.info("the hub connection ended: %s", gone.reason)
            return None
    except CloudpingError as exc:  # HubUnreachable/Untrusted/Refused, unreadable CA file
        return exc
