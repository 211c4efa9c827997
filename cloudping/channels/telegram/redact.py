"""Keep the bot token out of every log line.

The token is part of every Bot API URL (``/bot<TOKEN>/getUpdates``): httpx logs each request's
URL at INFO, and an error may quote a URL. While the bot runs, every log record made in the
process has the token replaced before any handler sees it (a record factory: a filter on one
logger would miss its children, such as ``telegram.ext.Updater``).
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

HIDDEN = "<bot token>"


@contextmanager
def token_hidden(token: str) -> Iterator[None]:
    """While the block runs, no log record carries ``token`` (in its message or traceback)."""
    make = logging.getLogRecordFactory()

    def hiding(*args: Any, **kwargs: Any) -> logging.LogRecord:
        record = make(*args, **kwargs)
        message = record.getMessage()
        if token in message:
            record.msg, record.args = message.replace(token, HIDDEN), None
        if record.exc_info and record.exc_info[1] is not None:
            text = logging.Formatter().formatException(record.exc_info)
            if token in text:
                record.exc_info, record.exc_text = None, text.replace(token, HIDDEN)
        return record

    logging.setLogRecordFactory(hiding)
    try:
        yield
    finally:
        logging.setLogRecordFactory(make)
