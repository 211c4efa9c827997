"""Every failure as JSON ``{"error": {"code", "message", ...fields}}`` with its HTTP status.

Foreign exceptions are mapped here, at the seam: Starlette's routing errors become
``not_found``/``method_not_allowed``, anything unexpected a bare ``internal`` error (logged,
never a stack trace in the answer).
"""

from __future__ import annotations

import logging
import math
from typing import Any

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from cloudping.auth import AuthError
from cloudping.edge.errors import EDGE_STATUS, json_error
from cloudping.errors import CloudpingError, UsageError

log = logging.getLogger(__name__)

# no_agent_matched is 422: the request is well formed, but nothing can run it right now
# (RFC 9110 section 15.5.21); a bad command is 400. A measurement that is not running, or
# holds nothing to draw yet, conflicts with the request's state (409); a capability the hub
# does not have yet is 501.
_STATUS: dict[str, int] = {
    "bad_command": 400,
    "bad_request": 400,
    "not_a_measurement": 400,
    "is_a_measurement": 400,
    "token_not_issued": 403,
    "not_found": 404,
    "no_picture": 404,
    "no_routes": 404,
    "method_not_allowed": 405,
    "not_running": 409,
    "nothing_to_draw": 409,
    "no_agent_matched": 422,
    "quota_exceeded": 429,
    "not_implemented": 501,
    "unknown_provider": 400,
    "resolve_failed": 422,
    **EDGE_STATUS,
}
_HTTP_CODES: dict[int, str] = {404: "not_found", 405: "method_not_allowed"}
_REFUSALS = frozenset({401, 403, 429})  # logged: who was turned away, and why


def status_of(error: CloudpingError) -> int:
    """The HTTP status an error is answered with."""
    if isinstance(error, AuthError):
        return error.http_status
    if isinstance(error, UsageError):
        return 400
    return _STATUS.get(error.code, 400)


def error_response(error: CloudpingError) -> JSONResponse:
    """The JSON answer for ``error``, with ``Retry-After`` when retrying later will help."""
    status = status_of(error)
    headers: dict[str, str] = {}
    retry_after = error.fields.get("retry_after_s")
    if status == 429 and isinstance(retry_after, int | float):
        headers["Retry-After"] = str(max(1, math.ceil(retry_after)))
    if status == 401:
        # RFC 6750 section 3: a 401 names the scheme the client should use.
        headers["WWW-Authenticate"] = 'Bearer realm="cloudping"'
    return json_error(error, status, headers)


def bad_request(message: str, **fields: Any) -> CloudpingError:
    """A request the API cannot read (not JSON, a bad query parameter)."""
    return CloudpingError(message, code="bad_request", **fields)


async def on_cloudping_error(request: Request, exc: Exception) -> Response:
    """Starlette handler for :class:`CloudpingError`."""
    assert isinstance(exc, CloudpingError)
    response = error_response(exc)
    if response.status_code in _REFUSALS:  # the path only: a query may hold a read key
        log.info(
            "%s %s refused %d (%s)",
            request.method,
            request.url.path,
            response.status_code,
            exc.code,
            extra={"code": exc.code},
        )
    return response


async def on_http_error(request: Request, exc: Exception) -> Response:
    """Starlette handler for its own routing errors (unknown path, wrong method)."""
    assert isinstance(exc, HTTPException)
    code = _HTTP_CODES.get(exc.status_code, "bad_request")
    return json_error(CloudpingError(str(exc.detail), code=code), exc.status_code, exc.headers)


async def on_unexpected(request: Request, exc: Exception) -> Response:
    """The last resort: a bug. Logged with its trace; the caller gets no details."""
    log.exception("unexpected error on %s %s", request.method, request.url.path, exc_info=exc)
    return json_error(CloudpingError("internal error", code="internal"), 500)
