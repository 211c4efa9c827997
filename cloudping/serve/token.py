"""``cloudping token issue``: print a token signed with the key of a data directory.

An operator's tool (an agent's token, an admin's API token), apart from the grammar's own
``token`` command, which asks a hub for a personal token.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from collections.abc import Sequence

from cloudping.auth import (
    AUDIENCES,
    DEFAULT_ISSUER,
    MAX_TTL,
    SCOPES,
    KeyDirectory,
    KeyStoreError,
    TokenService,
)

DEFAULT_TTL = 30 * 86_400
EXIT_OK, EXIT_ERROR = 0, 2


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="cloudping token issue",
        description="Print a token signed with the hub's key from a data directory "
        "(the key is made on first use).",
    )
    parser.add_argument("--data-dir", required=True, help="the hub's data directory")
    parser.add_argument("--sub", required=True, help="subject: an agent's name, or a user")
    parser.add_argument("--aud", required=True, choices=AUDIENCES, help="audience")
    parser.add_argument(
        "--scope", action="append", default=[], choices=SCOPES, help="a scope (repeatable)"
    )
    parser.add_argument(
        "--ttl",
        type=int,
        default=DEFAULT_TTL,
        help=f"lifetime in seconds, at most {MAX_TTL} (default {DEFAULT_TTL})",
    )
    parser.add_argument(
        "--issuer",
        default=os.environ.get("CLOUDPING_ISSUER", DEFAULT_ISSUER),
        help="iss: the hub's URL, as the hub is configured (env CLOUDPING_ISSUER; "
        f"default {DEFAULT_ISSUER})",
    )
    return parser


def main(argv: Sequence[str]) -> int:
    """Run ``cloudping token issue ARGS``; returns the exit status."""
    try:
        args = _parser().parse_args(argv)
    except SystemExit as exc:  # argparse has printed the usage error (or the help)
        return exc.code if isinstance(exc.code, int) else EXIT_ERROR
    try:
        keys = KeyDirectory.in_data_dir(args.data_dir).load()
        service = TokenService(keys, issuer=args.issuer)
        token = service.issue(args.sub, args.aud, scopes=args.scope, ttl=args.ttl, now=time.time())
    except KeyStoreError as exc:
        print(f"cloudping: {exc.message}", file=sys.stderr)
        return EXIT_ERROR
    except ValueError as exc:  # an empty subject, a ttl out of range
        print(f"cloudping token issue: {exc}", file=sys.stderr)
        return EXIT_ERROR
    print(token)
    return EXIT_OK
