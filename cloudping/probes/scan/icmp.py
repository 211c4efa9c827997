"""ICMP echo sweeps on the environment's shared :class:`IcmpEndpoint`.

The endpoint's probe table gives each echo request a wire sequence number and routes the
answer back here with our ``local_seq``: the address's offset. A wire number is released as
soon as its probe is answered or timed out, so a sweep holds at most its in-flight bound of
the 65 536 numbers an ICMP identifier has, leaving the rest to pings sharing the socket.
"""

from __future__ import annotations

from cloudping.probes.icmp.codec import EchoReply, IcmpError
from cloudping.probes.icmp.endpoint import IcmpEndpoint, Receiver
from cloudping.probes.icmp.table import InFlight
from cloudping.probes.scan.base import EARLIER_ERRORS, Report, judge

PAYLOAD = 56  # fping's and iputils' default: the same packets as the tools people compare with
MAX_IN_FLIGHT = 32768  # half the identifier's sequence space


class IcmpSweep:
    """Echo requests to many addresses, one per :meth:`send`, through a shared endpoint."""

    port: int | None = None
    max_in_flight = MAX_IN_FLIGHT

    def __init__(self, endpoint: IcmpEndpoint, report: Report, size: int = PAYLOAD) -> None:
        self.endpoint = endpoint
        self.report = report
        self.size = size
        self.method = endpoint.method
        self._v6 = endpoint.family == 6
        self._wire: dict[int, int] = {}

    def send(self, offset: int, address: str) -> None:
        sockaddr = (address, 0, 0, 0) if self._v6 else (address, 0)
        try:
            self._wire[offset] = self.endpoint.send(self, offset, sockaddr, size=self.size)
        except OSError as exc:
            if exc.errno not in EARLIER_ERRORS:
                raise
            self._wire[offset] = self.endpoint.send(self, offset, sockaddr, size=self.size)

    def forget(self, offset: int) -> None:
        seq = self._wire.pop(offset, None)
        if seq is not None:
            self.endpoint.release(seq)

    def close(self) -> None:
        for seq in self._wire.values():
            self.endpoint.release(seq)
        self._wire.clear()

    def on_answer(
        self,
        flying: InFlight[Receiver],
        message: EchoReply | IcmpError,
        source: str | None,
        rx_ns: int,
    ) -> None:
        """From the endpoint's reader: judge the answer and report it (once per probe)."""
        error = message.name if isinstance(message, IcmpError) else None
        if error == "local_error":
            return  # the host's own complaint (EMSGSIZE ...), not an answer from the network
        self.forget(flying.local_seq)
        rtt_ms = max(0.0, (rx_ns - flying.tx_ns) / 1e6)
        self.report(flying.local_seq, judge(flying.dst, error, source, rtt_ms))
