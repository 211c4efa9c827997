"""Print the answer to a command that is not a measurement (``list``, ``version``), as text
or, with ``--json``, as one JSON document; from this machine or from a hub."""

from __future__ import annotations

import asyncio
import json
import sys
from typing import TYPE_CHECKING

from cloudping.channels.cli.exits import EXIT_ERROR
from cloudping.errors import CloudpingError

if TYPE_CHECKING:
    from cloudping.commands import Command
    from cloudping.runner import Runner


def answer(cmd: Command, runner: Runner, *, as_json: bool) -> int:
    """Ask ``runner`` for the answer to ``cmd`` and print it; returns the exit status."""
    try:
        reply = asyncio.run(runner.answer(cmd))
    except CloudpingError as exc:
        print(f"cloudping: {exc.message}", file=sys.stderr)
        return EXIT_ERROR
    print(json.dumps(reply.to_json()) if as_json else reply.text)
    return 0
