"""The HTTP API (design.md "Interfaces users touch"): a Starlette app over the command service.

``app(service, tokens)`` serves ``/api/v1/agents``, ``/api/v1/measurements`` (NDJSON streams,
background runs, replay-then-follow, cancel, pictures), ``/api/v1/commands``,
``/api/v1/tokens``, ``/api/v1/openapi.json``, ``/healthz``, ``/`` and the seed-compatible
``/ping``. Errors are ``{"error": {"code", "message", ...}}``.
"""

from cloudping.channels.api.app import app
from cloudping.channels.api.openapi import document

__all__ = ["app", "document"]
