"""Every HTTP failure as JSON ``{"error": {"code", "message", ...fields}}``: one body, written
the same way by the guard in front and by the channels behind it."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from starlette.responses import JSONResponse

from cloudping.errors import CloudpingError

# What the guard itself answers with.
EDGE_STATUS: dict[str, int] = {
    "host_not_allowed": 421,  # RFC 9110 section 15.5.20: not a name this server answers for
    "origin_not_allowed": 403,
    "body_too_large": 413,
    "unsupported_media_type": 415,
}


class EscapedJSON(JSONResponse):
    """JSON whose strings may hold lone surrogates: a JSON body may send ``"\\ud800"`` and an
    error quotes the word back; UTF-8 cannot carry it, so it goes back as the same escape."""

    def render(self, content: Any) -> bytes:
        text = json.dumps(content, ensure_ascii=False, allow_nan=False, separators=(",", ":"))
        return text.encode("utf-8", "backslashreplace")


def json_error(
    error: CloudpingError, status: int, headers: Mapping[str, str] | None = None
) -> JSONResponse:
    """``error`` as the JSON body every route answers failures with, under ``status``."""
    return EscapedJSON({"error": error.to_dict()}, status_code=status, headers=headers)
