"""Child processes of the end-to-end tests on the event loop: a block owns its process and
kills it (by PID) if it still runs when the block ends, whatever ended the block.

A module at the top of ``tests/`` (on ``sys.path``, as ``lab`` is): ``from children import``.
"""

from __future__ import annotations

import asyncio
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any


@asynccontextmanager
async def cloudping_child(*words: str, **options: Any) -> AsyncIterator[asyncio.subprocess.Process]:
    """``python -m cloudping WORDS...`` with this interpreter until the block ends;
    ``options`` go to :func:`asyncio.create_subprocess_exec` (pipes)."""
    argv = [sys.executable, "-m", "cloudping", *words]
    process = await asyncio.create_subprocess_exec(*argv, **options)
    try:
        yield process
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()
