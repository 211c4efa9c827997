"""No key in a log line: httpx logs every request's URL at INFO, and IP2Location.io (its key)
and IPinfo's downloads (their token) take the secret in the query. Importing this module puts
a filter on httpx's logger that blanks ``key=`` and ``token=`` values."""

from __future__ import annotations

import logging
import re

import httpx

_SECRET_IN_QUERY = re.compile(r"(?<=[?&]key=)[^&\s\"']+|(?<=[?&]token=)[^&\s\"']+")


class SecretFilter(logging.Filter):
    """Blanks ``key=...`` and ``token=...`` in a log record's arguments."""

    def filter(self, record: logging.LogRecord) -> bool:
        """Keep the record, its secrets blanked."""
        if isinstance(record.args, tuple):
            record.args = tuple(_blank(arg) for arg in record.args)
        return True


def _blank(arg: object) -> object:
    if isinstance(arg, httpx.URL | str):
        return _SECRET_IN_QUERY.sub("<secret>", str(arg))
    return arg


logging.getLogger("httpx").addFilter(SecretFilter())
