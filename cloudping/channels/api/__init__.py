"""The HTTP API (design.md "Interfaces users touch"): a Starlette app over the hub.

``app(hub, store, tokens, settings)`` serves ``/api/v1/agents``, ``/api/v1/measurements``
(NDJSON streams, background runs, replay-then-follow), ``/api/v1/openapi.json``, ``/healthz``
and the seed-compatible ``/ping``. Errors are ``{"error": {"code", "message", ...}}``.
"""

from cloudping.channels.api.app import app
from cloudping.channels.api.openapi import document
from cloudping.service import GUEST, ApiSettings, Caller, Quota, SlidingWindow

__all__ = ["GUEST", "ApiSettings", "Caller", "Quota", "SlidingWindow", "app", "document"]
