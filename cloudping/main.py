"""Entry point of the ``cloudping`` command: the first word picks a process from
:mod:`cloudping.serve` (``up``, ``hub``, ``agent``, ``token``); anything else is a command of
the grammar for the CLI channel (:mod:`cloudping.channels.cli`), run here or through a hub.

Exit status as iputils ping: 0 when any reply arrived, 1 when none did, 2 for a usage error or
a measurement that could not run at all.
"""

from __future__ import annotations

import importlib
import os
import sys
from collections.abc import Sequence
from dataclasses import replace
from typing import TYPE_CHECKING

from cloudping import __version__
from cloudping.channels.cli.exits import EXIT_ERROR
from cloudping.channels.cli.options import CliOptions, split_options
from cloudping.errors import UsageError
from cloudping.policy import DEFAULT_LIMITS, Limits

if TYPE_CHECKING:
    from cloudping.commands import Command
    from cloudping.ipinfo.setup import IpinfoSettings

LOCAL_COUNT_MAX = 1_000_000
PROGRAM = "cloudping "  # how the grammar's usage lines read here: usage: cloudping ping ...


def local_limits() -> Limits:
    """The CLI acts with its user's own rights, as iputils ping does: any count, and root may
    send faster than every 0.2 s. The policy's tighter limits guard agents run for others."""
    return replace(DEFAULT_LIMITS, privileged=os.geteuid() == 0, count_max=LOCAL_COUNT_MAX)


def main(argv: Sequence[str] | None = None) -> int:
    """Run ``cloudping`` with ``argv`` (default: the process arguments); returns the exit status."""
    args = sys.argv[1:] if argv is None else argv
    try:
        return _dispatch(args)
    except BrokenPipeError:  # `cloudping help | head -1`: the reader has what it wanted
        # The interpreter flushes stdout once more at exit: let that go nowhere quietly.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0


# The processes and the operator's tools, by first word: a module of cloudping.serve with a
# main(), imported only when asked for (aioquic, SQLite, uvicorn, the JWT libraries load there).
_PROCESSES = {"token": "token", "agent": "agent", "hub": "hub", "up": "up"}


def _dispatch(args: Sequence[str]) -> int:
    module = _process_of(args)
    if module is None:
        return _command(args)
    process = importlib.import_module(f"cloudping.serve.{module}")
    status: int = process.main(args[1:])
    return status


def _process_of(args: Sequence[str]) -> str | None:
    """The module that runs ``args``, or None for a command of the grammar."""
    first = args[0] if args else None
    if first == "route" and list(args[1:2]) in (["ingest"], ["status"]):
        return "routes"  # the operator's route store tools; `route ADDRESS` is a lookup
    if first == "ipinfo" and "--update" in args:
        return "ipinfoupdate"  # fetches databases: not the grammar's `ipinfo`
    # The grammar's `token` asks a hub for a personal token; `cloudping token` is the
    # operator's tool (issue, list, revoke).
    return _PROCESSES.get(first or "")


def _command(argv: Sequence[str]) -> int:
    """Run one command of the grammar, or answer the CLI's own ``--help``/``--version``."""
    try:
        options, words = split_options(argv)
    except UsageError as exc:
        return _usage_error(exc)
    if words[:1] in (["-V"], ["--version"]):  # this program's version, wherever it runs
        print(f"cloudping {__version__}")
        return 0
    if not words or words[0] in ("-h", "--help"):
        print(_overview())
        return 0
    return _grammar(options, words)


def _grammar(options: CliOptions, words: list[str]) -> int:
    """Parse ``words`` and run or answer the command, here or on the hub the options name."""
    # The grammar (pydantic) loads here, not for the overview nor the operator's tools above.
    from cloudping.channels.cli.cafile import read_ca, with_ca  # noqa: PLC0415
    from cloudping.commands import HelpCommand, is_measurement, parse_args  # noqa: PLC0415
    from cloudping.runner import hub_target, runner_for  # noqa: PLC0415

    try:
        hub = hub_target(options.hub, options.token, os.environ)
        limits = local_limits()
        ca_pem = read_ca(options.ca) if options.ca is not None else None
        cmd = with_ca(parse_args(words, limits=limits), ca_pem, limits)
    except UsageError as exc:
        return _usage_error(exc)
    if isinstance(cmd, HelpCommand):  # the CLI's own help, with its process options
        print(_help(cmd.topic))
        return 0
    if options.data_dir is not None:
        return _route_here(cmd, options)
    try:
        runner = runner_for(hub, _geoip(options))
    except UsageError as exc:
        return _usage_error(exc)
    # Only a command that runs needs asyncio, the events and the renderers.
    if not is_measurement(cmd):
        from cloudping.channels.cli.answers import answer  # noqa: PLC0415

        return answer(cmd, runner, as_json=options.json)
    from cloudping.channels.cli.measure import measure  # noqa: PLC0415

    return measure(cmd, runner, as_json=options.json, png=options.png, verbose=options.verbose)


def _route_here(cmd: Command, options: CliOptions) -> int:
    """``route ... --data-dir DIR``: the lookup in that data directory, no hub involved."""
    from pathlib import Path  # noqa: PLC0415

    from cloudping.channels.cli.answers import route_here  # noqa: PLC0415
    from cloudping.commands import RouteCommand  # noqa: PLC0415

    if not isinstance(cmd, RouteCommand):
        return _usage_error(UsageError("--data-dir is for route only", word="--data-dir"))
    assert options.data_dir is not None
    return route_here(cmd, Path(options.data_dir), as_json=options.json)


def _geoip(options: CliOptions) -> IpinfoSettings | None:
    """The local IP info files the options name (read only by a local run); ``None``
    without any (and the IP info code is not even imported)."""
    city, asn = options.geoip_city, options.geoip_asn
    if not (city or asn):
        return None
    from pathlib import Path  # noqa: PLC0415

    from cloudping.ipinfo.setup import IpinfoSettings  # noqa: PLC0415

    return IpinfoSettings(city=Path(city) if city else None, asn=Path(asn) if asn else None)


def _help(topic: str | None) -> str:
    """The CLI's help on ``topic``: the grammar's, but ``token`` is the operator's tool here."""
    from cloudping.commands import as_invoked, help_text  # noqa: PLC0415

    if topic == "token":
        from cloudping.serve.token import help_text as token_help  # noqa: PLC0415

        return token_help()
    return as_invoked(help_text(topic), PROGRAM) if topic else _overview()


def _usage_error(exc: UsageError) -> int:
    from cloudping.commands import as_invoked  # noqa: PLC0415

    print(f"cloudping: {exc.message}", file=sys.stderr)
    if exc.usage:
        print(as_invoked(exc.usage, PROGRAM), file=sys.stderr)
    return EXIT_ERROR


def _overview() -> str:
    """The CLI's own help: its one usage line, then the grammar's list of commands."""
    # The names and summaries only: the grammar (pydantic, the models) is not loaded for this.
    from cloudping.commands.commandnames import command_list  # noqa: PLC0415

    commands = command_list()
    return (
        f"cloudping {__version__}: network diagnostics from probe agents.\n\n"
        "usage: cloudping [--json] [-v] [--png FILE] [--hub URL [--token T]] COMMAND [OPTIONS]\n"
        "processes: cloudping up | hub | agent | token issue|list|revoke ... | "
        "route ingest|status ...\n\n"
        f"{commands}\n\n"
        "Options of the cloudping command itself:\n"
        "  --json         print the event stream as NDJSON instead of text\n"
        "  -v, --verbose  scan: a line per address, not only the hosts alive\n"
        "  --png FILE     also draw the result as a PNG picture\n"
        "  --ca FILE      trust the CA certificates of FILE (PEM; dns, http), here or via --hub\n"
        "  --hub URL      run through a hub's HTTP API (env CLOUDPING_HUB); list shows its\n"
        "                 agents, version its own and its agents' versions\n"
        "  --token T      the bearer token for --hub (env CLOUDPING_TOKEN)\n"
        "  --data-dir DIR route: look up in this data directory's route store, no hub\n"
        "  -V, --version  print the version\n\n"
        "`cloudping help COMMAND` or `cloudping COMMAND --help` explains a command."
    )
