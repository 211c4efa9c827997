"""uvicorn without its signal handlers: the process (hub, up, agent) installs its own and
stops the server by leaving its block."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

import uvicorn

SHUTDOWN_TIMEOUT_S = 5


class QuietServer(uvicorn.Server):
    """uvicorn without its signal handlers (the hub process installs its own)."""

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        yield
