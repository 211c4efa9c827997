"""Every test here fails if cloudping does blocking file or socket I/O on a running loop."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from loopaudit import audited


@pytest.fixture(autouse=True)
def no_blocking_io_on_the_loop() -> Iterator[None]:
    """See ``tests/loopaudit.py``: an audit hook, not timing."""
    yield from audited()
