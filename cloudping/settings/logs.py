"""The processes' logs: one line per event, as text or as one JSON object per line.

A JSON line has ``ts``, ``level``, ``logger`` and ``msg``, plus the context fields a log call
passed with ``extra=`` (``measurement``, ``agent``, ``job``, ``status``, ``reason``,
``code``). Secrets are kept out by the callers (they log ids, never tokens); as a second
guard every line is scrubbed of anything shaped like a JWT or a bearer credential.
"""

from __future__ import annotations

import json
import logging
import re
import sys
from datetime import UTC, datetime
from typing import Any, TextIO

LOG_FORMATS = ("text", "json")
CONTEXT_FIELDS = ("measurement", "agent", "job", "status", "reason", "code")
TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"
REDACTED = "[redacted]"
# A JWT is three base64url parts, the first two JSON objects ("eyJ" is `{"`); a bearer
# credential follows the word; a read key or token travels as a query parameter.
_SECRETS = re.compile(
    r"eyJ[A-Za-z0-9_-]+\.eyJ[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*"
    r"|(?<=Bearer )[A-Za-z0-9._~+/=-]+"  # RFC 6750 section 2.1: b64token
    r"|(?<=[?&]key=)[^&\s\"']+"
    r"|(?<=[?&]token=)[^&\s\"']+",
    re.IGNORECASE,
)


def scrub(text: str) -> str:
    """``text`` with every JWT, bearer credential and ``key=``/``token=`` parameter masked."""
    return _SECRETS.sub(REDACTED, text)


class TextLogFormatter(logging.Formatter):
    """The classic line (time, level, logger: message), scrubbed."""

    def __init__(self) -> None:
        super().__init__(TEXT_FORMAT)

    def format(self, record: logging.LogRecord) -> str:
        """The line, with secrets masked."""
        return scrub(super().format(record))


class JsonLogFormatter(logging.Formatter):
    """One JSON object per record: ``ts`` (UTC, ISO 8601), ``level``, ``logger``, ``msg``,
    the context fields given with ``extra=``, and ``exc`` for an exception's traceback."""

    def format(self, record: logging.LogRecord) -> str:
        """The record as one line of JSON, with secrets masked."""
        when = datetime.fromtimestamp(record.created, UTC)
        line: dict[str, Any] = {
            "ts": when.isoformat(timespec="milliseconds").replace("+00:00", "Z"),
            "level": record.levelname,
            "logger": record.name,
            "msg": scrub(record.getMessage()),
        }
        for name in CONTEXT_FIELDS:
            if (value := getattr(record, name, None)) is not None:
                line[name] = scrub(str(value)) if not isinstance(value, int | float) else value
        if record.exc_info:
            line["exc"] = scrub(self.formatException(record.exc_info))
        return json.dumps(line, ensure_ascii=False)


def configure_logging(fmt: str, *, verbose: bool, stream: TextIO | None = None) -> None:
    """Log to ``stream`` (default stderr) in ``fmt``: cloudping's events (INFO) with
    ``verbose``, and warnings from anyone. The libraries' own INFO lines (aioquic's per
    packet-level step, MCP's) stay out: ``-v`` is about agents and measurements.

    Like ``logging.basicConfig``, it does nothing when the root logger has handlers already
    (a test's, an embedding program's).
    """
    if logging.root.handlers:
        return
    handler = logging.StreamHandler(stream or sys.stderr)
    handler.setFormatter(JsonLogFormatter() if fmt == "json" else TextLogFormatter())
    logging.basicConfig(level=logging.WARNING, handlers=[handler])
    logging.getLogger("cloudping").setLevel(logging.INFO if verbose else logging.WARNING)
