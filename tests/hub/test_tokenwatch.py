"""The token watch: the file re-read on a worker thread, then agents checked with the time."""

from __future__ import annotations

import asyncio
import threading

from cloudping.hub.tokenwatch import watch_tokens

from .serving import WAIT, run


def test_the_watch_rereads_off_the_loop_then_checks_with_the_clock_again_and_again() -> None:
    async def scenario() -> None:
        loop_thread = threading.get_ident()
        refreshed_on: list[int] = []
        checked: list[float] = []
        enough = asyncio.Event()

        def check(now: float) -> None:
            checked.append(now)
            if len(checked) == 3:
                enough.set()

        def failing_refresh() -> None:
            refreshed_on.append(threading.get_ident())
            raise OSError("the file is gone for a moment")

        async with watch_tokens(failing_refresh, check, lambda: 42.0, interval_s=0.01):
            async with asyncio.timeout(WAIT):
                await enough.wait()
        assert checked[:3] == [42.0, 42.0, 42.0]  # a failed re-read does not stop the checks
        assert loop_thread not in refreshed_on

    run(scenario())
