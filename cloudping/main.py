"""Entry point of the ``cloudping`` command.

A channel like any other: words -> ``Command`` (the shared grammar) -> measurement -> render.
Exit status as iputils ping: 0 when any reply arrived, 1 when none did, 2 for a usage error or
a measurement that could not run at all.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Sequence
from dataclasses import replace

from cloudping import __version__
from cloudping.channels.cli.exits import EXIT_ERROR
from cloudping.errors import UsageError
from cloudping.policy import DEFAULT_LIMITS, Limits

LOCAL_COUNT_MAX = 1_000_000
_CLI_FLAGS = {"--json"}


def split_cli_flags(argv: Sequence[str]) -> tuple[set[str], list[str]]:
    """Take the CLI's own flags (``--json``) out of the words, up to a ``--``."""
    flags: set[str] = set()
    words: list[str] = []
    for index, word in enumerate(argv):
        if word == "--":
            words.extend(argv[index:])
            break
        if word in _CLI_FLAGS:
            flags.add(word)
        else:
            words.append(word)
    return flags, words


def take_png(words: Sequence[str]) -> tuple[str | None, list[str]]:
    """Take ``--png FILE`` (or ``--png=FILE``) out of the words, up to a ``--``.

    Raises:
        UsageError: ``--png`` without a file name.
    """
    rest = list(words)
    for index, word in enumerate(rest):
        if word == "--":
            break
        if word.startswith("--png="):
            return word.removeprefix("--png=") or _no_png_file(), rest[:index] + rest[index + 1 :]
        if word == "--png":
            if index + 1 >= len(rest) or rest[index + 1] == "--":
                _no_png_file()
            return rest[index + 1], rest[:index] + rest[index + 2 :]
    return None, rest


def _no_png_file() -> str:
    raise UsageError("--png needs a file name: --png FILE", word="--png")


def local_limits() -> Limits:
    """The CLI acts with its user's own rights, as iputils ping does: any count, and root may
    send faster than every 0.2 s. The policy's tighter limits guard agents run for others."""
    return replace(DEFAULT_LIMITS, privileged=os.geteuid() == 0, count_max=LOCAL_COUNT_MAX)


def main(argv: Sequence[str] | None = None) -> int:
    """Run ``cloudping`` with ``argv`` (default: the process arguments); returns the exit status."""
    args = sys.argv[1:] if argv is None else argv
    if list(args[:2]) == ["token", "issue"]:  # an operator's tool, not the grammar's `token`
        from cloudping.serve import token as token_cmd  # noqa: PLC0415 (the JWT libraries only here)

        return token_cmd.main(args[2:])
    if list(args[:1]) == ["agent"]:  # a long-running service, not a command of the grammar
        from cloudping.serve import agent as agent_cli  # noqa: PLC0415 (aioquic only here)

        return agent_cli.main(args[1:])
    if list(args[:1]) == ["hub"]:  # a long-running service, not a command of the grammar
        from cloudping.serve import hub as hub_cli  # noqa: PLC0415 (aioquic, SQLite only here)

        return hub_cli.main(args[1:])
    if list(args[:1]) == ["up"]:  # the main job: a hub, its local agent and the API
        from cloudping.serve import up  # noqa: PLC0415 (aioquic, SQLite, uvicorn only here)

        return up.main(args[1:])
    return _command(args)


def _command(argv: Sequence[str]) -> int:
    """Run one command of the grammar, or answer the CLI's own ``--help``/``--version``."""
    flags, words = split_cli_flags(argv)
    if words and words[0] in ("-V", "--version"):
        print(f"cloudping {__version__}")
        return 0
    # The grammar (pydantic) loads here, not for the operator's tools and services above.
    from cloudping.channels.cli.cafile import take_ca, with_ca  # noqa: PLC0415
    from cloudping.channels.cli.remote import take_hub  # noqa: PLC0415
    from cloudping.commands import HelpCommand, VersionCommand, help_text, parse_args  # noqa: PLC0415

    if not words or words[0] in ("-h", "--help"):
        print(_overview(help_text()))
        return 0
    try:
        hub, words = take_hub(words, os.environ)
        png, words = take_png(words)
        ca_pem, words = take_ca(words)
        limits = local_limits()
        cmd = with_ca(parse_args(words, limits=limits), ca_pem, limits)
    except UsageError as exc:
        print(f"cloudping: {exc.message}", file=sys.stderr)
        if exc.usage:
            print(exc.usage, file=sys.stderr)
        return EXIT_ERROR
    if isinstance(cmd, HelpCommand):
        print(help_text(cmd.topic) if cmd.topic else _overview(help_text()))
        return 0
    if isinstance(cmd, VersionCommand):
        print(f"cloudping {__version__}")
        return 0
    # Only a command that runs needs asyncio, the events and the renderers
    # (cloudping.channels.cli.measure).
    from cloudping.channels.cli.measure import measure  # noqa: PLC0415

    return measure(cmd, as_json="--json" in flags, png=png, hub=hub)


def _overview(commands: str) -> str:
    """The CLI's own help around ``commands``, the grammar's list of commands."""
    return (
        f"cloudping {__version__}: network diagnostics from probe agents.\n\n"
        "usage: cloudping [--json] [--hub URL [--token T]] COMMAND [OPTIONS] ...\n"
        "       cloudping up | hub | agent | token issue ...\n\n"
        f"{commands}\n\n"
        "Options of the cloudping command itself:\n"
        "  --json         print the event stream as NDJSON instead of text\n"
        "  --png FILE     also draw the result as a PNG picture (scan)\n"
        "  --ca FILE      trust the CA certificates of FILE (PEM; dns, http)\n"
        "  --hub URL      run through a hub's HTTP API (env CLOUDPING_HUB)\n"
        "  --token T      the bearer token for --hub (env CLOUDPING_TOKEN)\n"
        "  -V, --version  print the version\n\n"
        "`cloudping help COMMAND` or `cloudping COMMAND --help` explains a command."
    )
