"""Print the answer to a command that is not a measurement (``list``, ``version``, ``route``),
as text or, with ``--json``, as one JSON document (``route``: one object per route, a line
each); from this machine, a hub, or (``route --data-dir DIR``) a local route store."""

from __future__ import annotations

import asyncio
import json
import sys
from typing import TYPE_CHECKING

from cloudping.channels.cli.exits import EXIT_ERROR
from cloudping.errors import CloudpingError

if TYPE_CHECKING:
    from pathlib import Path

    from cloudping.commands import Command, RouteCommand
    from cloudping.commands.answer import Answer
    from cloudping.runner import Runner


def answer(cmd: Command, runner: Runner, *, as_json: bool) -> int:
    """Ask ``runner`` for the answer to ``cmd`` and print it; returns the exit status."""
    try:
        reply = asyncio.run(runner.answer(cmd))
    except CloudpingError as exc:
        print(f"cloudping: {exc.message}", file=sys.stderr)
        return EXIT_ERROR
    return show(reply, as_json=as_json)


def route_here(cmd: RouteCommand, data_dir: Path, *, as_json: bool) -> int:
    """Answer ``route`` from the route store of ``data_dir`` and print it; the exit status."""
    from cloudping.routes.answer import route_answer  # noqa: PLC0415 (SQLite only here)
    from cloudping.routes.lookup import RouteStore  # noqa: PLC0415

    try:
        reply = route_answer(RouteStore(data_dir), cmd)
    except CloudpingError as exc:
        print(f"cloudping: {exc.message}", file=sys.stderr)
        return EXIT_ERROR
    return show(reply, as_json=as_json)


def show(reply: Answer, *, as_json: bool) -> int:
    """Print ``reply``: its text, or its JSON (a route per line for ``route``)."""
    if not as_json:
        print(reply.text)
    elif reply.command == "route":
        for route in reply.data.get("routes", ()):
            print(json.dumps(route))
    else:
        print(json.dumps(reply.to_json()))
    return 0
