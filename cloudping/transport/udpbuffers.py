"""Kernel buffers of the hub's UDP socket, sized for bursts from many agents.

Every agent's QUIC datagrams arrive at one socket. With the default receive buffer
(``net.core.rmem_default``, 208 KiB) the scale benchmark lost datagrams in bursts at 1,000+
agents (handshakes, a fan-out's answers: ``/proc/PID/net/udp``'s drops column); each loss
costs QUIC a retransmission timeout. A 4 MiB buffer removed them.

``SO_RCVBUF``/``SO_SNDBUF`` are capped by ``net.core.rmem_max``/``wmem_max`` (208 KiB on a
stock kernel). When the cap is lower, a process with ``CAP_NET_ADMIN`` (a hub run as root)
goes past it with ``SO_RCVBUFFORCE``/``SO_SNDBUFFORCE``, as quic-go does for the same
reason; otherwise the cap stands and the hub says so in its log (INFO; raise the sysctls).
The size is bounded (4 MiB each way, for the one socket), not a function of the agents.
"""

from __future__ import annotations

import contextlib
import logging
import socket

log = logging.getLogger(__name__)

BUFFER_BYTES = 4 * 1024 * 1024
# <asm-generic/socket.h>; Python's socket module does not name them.
_SO_SNDBUFFORCE = 32
_SO_RCVBUFFORCE = 33
_OPTIONS = (
    ("receive", socket.SO_RCVBUF, _SO_RCVBUFFORCE, "net.core.rmem_max"),
    ("send", socket.SO_SNDBUF, _SO_SNDBUFFORCE, "net.core.wmem_max"),
)


def enlarge_buffers(sock: socket.socket, size: int = BUFFER_BYTES) -> dict[str, int]:
    """Ask for ``size``-byte receive and send buffers on ``sock``; the sizes it got.

    Linux reports twice what was asked for (the other half is its bookkeeping), so a buffer
    counts as granted when the reported size is at least ``size``.

    Returns:
        ``{"receive": bytes, "send": bytes}`` as the kernel reports them.
    """
    got: dict[str, int] = {}
    for name, option, force, sysctl in _OPTIONS:
        sock.setsockopt(socket.SOL_SOCKET, option, size)
        if sock.getsockopt(socket.SOL_SOCKET, option) < size:
            # Without CAP_NET_ADMIN (EPERM) the administrator's cap stands.
            with contextlib.suppress(PermissionError):
                sock.setsockopt(socket.SOL_SOCKET, force, size)
        got[name] = sock.getsockopt(socket.SOL_SOCKET, option)
        if got[name] < size:
            log.info(
                "the agents' UDP socket got a %d-byte %s buffer, not %d: bursts from many "
                "agents may be dropped; raise %s",
                got[name] // 2,
                name,
                size,
                sysctl,
            )
    return got
