"""The one error root of cloudping, with stable codes.

Expected failures of a measurement (a timeout, a lost packet, an NXDOMAIN) are data in the event
stream, never exceptions. Exceptions are for bad input, an environment that cannot probe, and
bugs. Library exceptions are translated where they enter, with ``raise ... from exc``.
"""

from __future__ import annotations

import os
from typing import Any


class CloudpingError(Exception):
    """Base of every error cloudping raises on purpose.

    Args:
        message: one sentence a person (or a model) can act on.
        code: a stable snake_case code, the same in events, API errors and exit paths.
        fields: extra typed details (the bad word, the limit, ...), published with the error.
    """

    code: str = "error"

    def __init__(self, message: str, *, code: str | None = None, **fields: Any) -> None:
        super().__init__(message)
        self.message = message
        if code is not None:
            self.code = code
        self.fields: dict[str, Any] = fields

    def to_dict(self) -> dict[str, Any]:
        """The JSON shape of this error: ``{"code", "message", ...fields}``."""
        return {"code": self.code, "message": self.message, **self.fields}


class UsageError(CloudpingError):
    """A command that does not parse or validate.

    Args:
        message: what is wrong, naming the offending word.
        word: the offending word as the user typed it, when there is one.
        usage: the usage line of the command concerned, when known.
    """

    code = "bad_command"

    def __init__(
        self,
        message: str,
        *,
        word: str | None = None,
        usage: str | None = None,
        code: str | None = None,
        **fields: Any,
    ) -> None:
        super().__init__(message, code=code, **fields)
        self.word = word
        self.usage = usage
        if word is not None:
            self.fields["word"] = word
        if usage is not None:
            self.fields["usage"] = usage


class ProbeEnvironmentError(CloudpingError):
    """This host cannot run the probe (no permission for ICMP sockets, no IPv6, ...)."""

    code = "probe_unavailable"


class ResolveError(CloudpingError):
    """A target name that does not resolve (for the asked address family)."""

    code = "resolve_failed"


class ListenError(CloudpingError):
    """A listening socket that cannot be opened: the address is taken, not this machine's,
    or a privileged port.

    Args:
        protocol: ``tcp`` or ``udp``.
        host: the address as given.
        port: the port as given.
        reason: the system's word for it (``address already in use``).
    """

    code = "listen_failed"

    def __init__(self, protocol: str, host: str, port: int, reason: str) -> None:
        shown = f"[{host}]:{port}" if ":" in host else f"{host}:{port}"
        super().__init__(
            f"cannot listen on {protocol} {shown}: {reason}",
            protocol=protocol,
            host=host,
            port=port,
        )
        self.protocol, self.host, self.port = protocol, host, port

    @classmethod
    def from_os(cls, exc: OSError, protocol: str, host: str, port: int) -> ListenError:
        """The error for ``exc``, raised by binding ``protocol`` ``host:port``."""
        # From the errno: asyncio's create_server rewrites strerror into a longer sentence.
        reason = os.strerror(exc.errno) if exc.errno else str(exc)
        return cls(protocol, host, port, reason.lower())
