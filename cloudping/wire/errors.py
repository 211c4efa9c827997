"""Errors of the hub-agent wire protocol.

Two kinds, as h11 has them: :class:`WireError` when the *peer* broke the protocol (a malformed
frame, a message out of turn) and :class:`LocalProtocolError` when *this* side tried to (send
a heartbeat before the hello was accepted). A binding catches the first and closes the
connection with its message; the second is a bug in the caller and propagates.
"""

from __future__ import annotations

from typing import Any

from cloudping.errors import CloudpingError


class WireError(CloudpingError):
    """The peer sent something the protocol does not allow.

    Args:
        message: one sentence naming what was wrong (shown to the peer when the connection is
            closed because of it).
        kind: a stable snake_case name of the fault: ``truncated``, ``empty_frame``,
            ``frame_too_large``, ``unknown_type``, ``bad_json``, ``bad_message``,
            ``unsupported_version``, ``unexpected_message``, ``unknown_job``,
            ``unexpected_stream``.
    """

    code = "protocol_error"

    def __init__(self, message: str, *, kind: str, **fields: Any) -> None:
        super().__init__(message, kind=kind, **fields)
        self.kind = kind


class LocalProtocolError(WireError):
    """This side tried to send something the protocol does not allow (a caller's bug)."""


class HubUnreachableError(CloudpingError):
    """The agent could not reach the hub, or lost it before the hello was answered."""

    code = "hub_unreachable"


class HubUntrustedError(CloudpingError):
    """The hub's certificate is not the one the agent was told to trust; nothing was sent."""

    code = "hub_untrusted"


class HubRefusedError(CloudpingError):
    """The hub refused the hello (``refuse_code``: ``unauthorized``, ``name_in_use``, ...)."""

    code = "hub_refused"

    def __init__(self, message: str, *, refuse_code: str) -> None:
        super().__init__(message, refuse_code=refuse_code)
        self.refuse_code = refuse_code
