"""A running hub sees a revocation made by another process within a second: a real hub, a
real agent over QUIC, `cloudping token revoke` on the same data directory."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

from cloudping.commands import parse
from cloudping.main import main

from .serving import LONG_PING, WAIT, Stream, hub_with_agent, run


def test_a_revoked_agent_is_dropped_and_its_jobs_end_agent_lost(tmp_path: Path) -> None:
    async def scenario() -> None:
        async with hub_with_agent(tmp_path) as (server, dial):
            stream = Stream()
            runner = asyncio.create_task(server.hub.run(parse(LONG_PING), None, stream))
            await stream.wait_for("reply")
            jti = server.tokens.token_id(dial.hello.token)
            revoked_at = time.monotonic()
            # Another connection to the files, as the operator's command in another process.
            assert (
                await asyncio.to_thread(main, ["token", "revoke", jti, "--data-dir", str(tmp_path)])
                == 0
            )
            await stream.wait_for("end")
            seen_after = time.monotonic() - revoked_at
            async with asyncio.timeout(WAIT):
                await runner
        (error,) = [event for event in stream.events if event["type"] == "error"]
        assert error["code"] == "agent_lost"
        assert error["message"].endswith("token revoked")
        assert stream.events[-1]["status"] == "error"
        assert seen_after < 1.5  # a refresh every 0.5 s, plus the stream's end

    run(scenario())
