"""A loopback HTTP server of a directory, for URL route sources."""

from __future__ import annotations

import http.server
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Any

import pytest


@dataclass
class Web:
    """The server's base URL, the directory it serves and the statuses it answered."""

    base: str
    root: Path
    answered: list[int] = field(default_factory=list)


class _Logged(http.server.SimpleHTTPRequestHandler):
    """Serves files (with Last-Modified and If-Modified-Since, as Python's server does) and
    notes each status instead of logging it."""

    def __init__(self, web: Web, *args: Any, **kwargs: Any) -> None:
        self.web = web
        super().__init__(*args, directory=str(web.root), **kwargs)

    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        self.web.answered.append(int(code))

    def log_message(self, format: str, *args: object) -> None:
        """Tests read the statuses, not the server's log."""


@pytest.fixture
def web(tmp_path: Path) -> Iterator[Web]:
    """A loopback HTTP server of a fresh directory, stopped after the test."""
    served = Web("", tmp_path / "www")
    served.root.mkdir()
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), partial(_Logged, served))
    served.base = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield served
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)
