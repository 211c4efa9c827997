"""uvicorn's h11 protocol with the two deadlines uvicorn lacks: request headers, and the rest
of a body after the answer.

- Headers: uvicorn closes an idle kept-alive connection (``timeout_keep_alive``) but waits
  forever for the headers of a request that has started, so thousands of half-sent requests
  stay open (a slowloris). Here a connection gets ``header_timeout_s`` to deliver a request's
  headers, from when it opens or when the previous exchange ended; the clock is not reset by
  each byte that trickles in.
- Linger: when the app answers before reading the whole body (a 413 from the guard), uvicorn
  reads and drops the rest, however long it is. Closing at once instead would make the
  kernel reset the connection over the unread bytes, and a client still sending would lose
  the answer with it; so the rest is dropped for ``LINGER_S`` at most, then the connection
  closes (RFC 9112 section 9.6, "lingering close").
"""

from __future__ import annotations

import asyncio
from typing import Literal

import h11
from uvicorn.protocols.http.h11_impl import H11Protocol

Waiting = Literal["headers", "linger"]
LINGER_S = 5.0


class BoundedH11Protocol(H11Protocol):
    """:class:`H11Protocol` that closes a connection whose headers are late, or whose
    refused body goes on too long."""

    header_timeout_s: float = 10.0
    _waiting: Waiting | None = None
    _timer: asyncio.TimerHandle | None = None

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        """Start the clock on the first request's headers."""
        super().connection_made(transport)
        self._follow_state()

    def handle_events(self) -> None:
        """Parse as uvicorn does, then see what the connection is waiting for."""
        super().handle_events()
        self._follow_state()

    def on_response_complete(self) -> None:
        """End the exchange as uvicorn does, then see what the connection is waiting for."""
        super().on_response_complete()
        self._follow_state()

    def connection_lost(self, exc: Exception | None) -> None:
        """Forget the clock with the connection."""
        self._set_timer(None)
        super().connection_lost(exc)

    def _follow_state(self) -> None:
        their, ours = self.conn.their_state, self.conn.our_state
        waiting: Waiting | None = None
        if their is h11.IDLE:
            waiting = "headers"
        elif their is h11.SEND_BODY and ours in (h11.DONE, h11.MUST_CLOSE):
            waiting = "linger"
        if waiting != self._waiting:
            self._set_timer(waiting)

    def _set_timer(self, waiting: Waiting | None) -> None:
        if self._timer is not None:
            self._timer.cancel()
        self._waiting, self._timer = waiting, None
        if waiting is not None:
            delay = self.header_timeout_s if waiting == "headers" else LINGER_S
            self._timer = self.loop.call_later(delay, self._expire)

    def _expire(self) -> None:
        self._waiting, self._timer = None, None
        if not self.transport.is_closing():
            self.transport.close()


def bounded_protocol(header_timeout_s: float) -> type[BoundedH11Protocol]:
    """The protocol class to give uvicorn (``Config(http=...)``)."""
    return type("BoundedH11", (BoundedH11Protocol,), {"header_timeout_s": header_timeout_s})
