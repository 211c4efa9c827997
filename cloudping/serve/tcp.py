"""A TCP listener for uvicorn, bound before it starts; shared by the API's server and the
metrics' own (which an agent runs too, so this module imports nothing of the hub, nor
uvicorn: see :mod:`cloudping.serve.quiet`)."""

from __future__ import annotations

import socket

from cloudping.errors import ListenError


def bind_tcp(host: str, port: int) -> socket.socket:
    """A listening TCP socket on ``host:port``.

    Raises:
        ListenError: the address is taken, not this machine's, or a privileged port.
    """
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    # IPPROTO_TCP, not 0: accepted sockets inherit the protocol number, and asyncio turns
    # Nagle off (TCP_NODELAY) only on sockets that say TCP. With Nagle on, each streamed
    # event line after the headers waited for the client's delayed ACK: ~40 ms per call.
    sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((host, port))
        sock.listen(128)
        sock.setblocking(False)
    except OSError as exc:
        sock.close()
        raise ListenError.from_os(exc, "tcp", host, port) from exc
    return sock
