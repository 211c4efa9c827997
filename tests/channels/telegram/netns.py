"""A listening socket that lives in a lab namespace but is served by the test process.

A process started in the namespace binds and listens on its loopback, then hands the socket
over a Unix socket pair (SCM_RIGHTS) and exits: a socket keeps the namespace it was made in,
so whoever connects to 127.0.0.1 inside the namespace reaches the test's server.
"""

from __future__ import annotations

import socket
import sys

from lab import Lab, Role

_LISTEN = """
import socket, sys
server = socket.socket()
server.bind(("127.0.0.1", 0))
server.listen(64)
socket.send_fds(socket.socket(fileno=int(sys.argv[1])), [b"s"], [server.fileno()])
"""
TIMEOUT_S = 10.0


def listening_in(lab: Lab, role: Role) -> socket.socket:
    """A TCP socket listening on 127.0.0.1 (a free port) in ``role``'s namespace."""
    ours, theirs = socket.socketpair()
    with ours, theirs:
        ours.settimeout(TIMEOUT_S)
        argv = [sys.executable, "-c", _LISTEN, str(theirs.fileno())]
        child = lab.popen(role, argv, pass_fds=(theirs.fileno(),))
        _, fds, _, _ = socket.recv_fds(ours, 1, 1)
        lab.stop(child, timeout=TIMEOUT_S)
    return socket.socket(fileno=fds[0])
