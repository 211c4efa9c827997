"""The table of probes in flight on one shared ICMP socket, sans-IO.

Many sessions (pings, later traceroutes, mtr rounds and sweeps) share one socket per family.
Each packet gets a wire sequence number from this table; an answer is matched back to the
session that sent it by identifier, wire sequence, our payload cookie and the address it
concerns (RFC 792: an error quotes the request, so its quoted destination must be ours).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Generic, TypeVar

from cloudping.probes.icmp.codec import COOKIE_SIZE, EchoReply, IcmpError

_Owner = TypeVar("_Owner")


@dataclass(slots=True)
class InFlight(Generic[_Owner]):
    """One packet sent and not yet released: who sent it and when."""

    owner: _Owner
    local_seq: int
    dst: str
    tx_ns: int


class TableFullError(Exception):
    """All 65536 wire sequence numbers of this socket are in flight."""


class ProbeTable(Generic[_Owner]):
    """Wire sequence allocation and answer matching for one ICMP identifier."""

    def __init__(self, ident: int, cookie: bytes) -> None:
        self.ident = ident
        self.cookie = cookie
        self._flying: dict[int, InFlight[_Owner]] = {}
        self._next = 0

    def __len__(self) -> int:
        return len(self._flying)

    def add(self, owner: _Owner, local_seq: int, dst: str, tx_ns: int) -> int:
        """Record a packet about to be sent; returns the wire sequence number to put in it."""
        if len(self._flying) >= 0x10000:
            raise TableFullError("65536 probes in flight on one ICMP socket")
        seq = self._next
        while seq in self._flying:
            seq = (seq + 1) & 0xFFFF
        self._next = (seq + 1) & 0xFFFF
        self._flying[seq] = InFlight(owner, local_seq, dst, tx_ns)
        return seq

    def flying(self, seq: int) -> InFlight[_Owner]:
        """The entry of wire sequence ``seq`` (which must be in flight)."""
        return self._flying[seq]

    def release(self, seq: int) -> None:
        """Forget a wire sequence number (its session is done with it)."""
        self._flying.pop(seq, None)

    def match_reply(self, reply: EchoReply, source: str) -> InFlight[_Owner] | None:
        """The probe an echo reply answers, or ``None`` when it is not ours."""
        if reply.ident != self.ident:
            return None
        flying = self._flying.get(reply.seq)
        if flying is None or flying.dst != source:
            return None
        cookie = reply.payload[:COOKIE_SIZE]
        if len(cookie) == COOKIE_SIZE and cookie != self.cookie:
            return None
        return flying

    def match_error(self, error: IcmpError) -> InFlight[_Owner] | None:
        """The probe an ICMP error is about, or ``None`` when it is not ours."""
        if error.ident != self.ident:
            return None
        flying = self._flying.get(error.seq)
        if flying is None or (error.dst is not None and error.dst != flying.dst):
            return None
        return flying
