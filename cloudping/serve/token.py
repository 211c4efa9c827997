"""``cloudping token issue|list|revoke``: the operator's side of a data directory's tokens.

``issue`` prints a token signed with the data directory's key and records it in the token
registry (never the token itself); ``list`` shows the registry; ``revoke`` refuses a token
from now on, by its id (``jti``) or by the token itself. A running hub sees a revocation
within a second (it re-reads the revocations file). An operator's tool (an agent's token, an
admin's API token), apart from the grammar's own ``token`` command, which asks a hub for a
personal token.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import sys
import time
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from pathlib import Path

from cloudping.auth import (
    AUDIENCES,
    DEFAULT_ISSUER,
    DEFAULT_TTL,
    MAX_TTL,
    SCOPES,
    AuthError,
    Scope,
    TokenRecord,
    TokenService,
    data_dir_tokens,
)
from cloudping.columns import padded_table
from cloudping.errors import CloudpingError
from cloudping.serve.datadir import default_data_dir

EXIT_OK, EXIT_ERROR = 0, 2
_COLUMNS = ("ID", "SUBJECT", "AUDIENCE", "SCOPES", "EXPIRES (UTC)", "LABEL", "STATE")


def scope_list(text: str) -> list[Scope]:
    """``measure,private``: one or more scopes joined by commas (argparse type)."""
    words = [word.strip() for word in text.split(",")]
    for word in words:
        if word not in SCOPES:
            known = ", ".join(SCOPES)
            raise argparse.ArgumentTypeError(f"unknown scope {word!r} (known: {known})")
    return [word for word in SCOPES if word in words]


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="cloudping token", description="Issue, list and revoke a data directory's tokens."
    )
    commands = parser.add_subparsers(dest="action", required=True, metavar="ACTION")
    issue = commands.add_parser(
        "issue",
        help="print a new token signed with the hub's key",
        description="Print a token signed with the hub's key from a data directory "
        "(the key is made on first use), and record it in the token registry.",
    )
    _data_dir_option(issue)  # the one `up` uses by default, so its hub accepts the token
    issue.add_argument("--sub", required=True, help="subject: an agent's name, or a user")
    issue.add_argument("--aud", required=True, choices=AUDIENCES, help="audience")
    issue.add_argument(
        "--scope",
        action="extend",
        type=scope_list,
        default=[],
        metavar="SCOPE[,SCOPE...]",
        help=f"scopes ({', '.join(SCOPES)}): repeatable, or joined by commas",
    )
    issue.add_argument(
        "--ttl",
        type=int,
        default=DEFAULT_TTL,
        help=f"lifetime in seconds, at most {MAX_TTL} (default {DEFAULT_TTL})",
    )
    issue.add_argument("--label", default="", help="a note shown by `token list` (laptop, ...)")
    _issuer_option(issue)
    listing = commands.add_parser(
        "list", help="show the tokens issued", description="Show every token issued, and its state."
    )
    _data_dir_option(listing)
    listing.add_argument("--json", action="store_true", help="one JSON object per token")
    revoke = commands.add_parser(
        "revoke",
        help="refuse a token from now on",
        description="Refuse a token from now on (a running hub sees it within 1 s).",
    )
    revoke.add_argument("token", metavar="ID|TOKEN", help="the token's id (jti) or the token")
    _data_dir_option(revoke)
    _issuer_option(revoke)
    return parser


def _data_dir_option(parser: argparse.ArgumentParser) -> None:
    default = default_data_dir()
    parser.add_argument(
        "--data-dir", default=default, help=f"the hub's data directory (default {default})"
    )


def _issuer_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--issuer",
        default=os.environ.get("CLOUDPING_ISSUER", DEFAULT_ISSUER),
        help="iss: the hub's URL, as the hub is configured (env CLOUDPING_ISSUER; "
        f"default {DEFAULT_ISSUER})",
    )


def help_text() -> str:
    """``cloudping token``'s help: its actions, each with one line."""
    return _parser().format_help().rstrip("\n")


def main(argv: Sequence[str]) -> int:
    """Run ``cloudping token ACTION ARGS`` (``argv`` starts with the action); the exit status.

    Without an action, the help: the actions are what a person typing ``cloudping token``
    is looking for.
    """
    if not argv:
        print(help_text())
        return EXIT_OK
    try:
        args = _parser().parse_args(argv)
    except SystemExit as exc:  # argparse has printed the usage error (or the help)
        return exc.code if isinstance(exc.code, int) else EXIT_ERROR
    actions: dict[str, Callable[[argparse.Namespace, TokenService], str]] = {
        "issue": _issue,
        "list": _list,
        "revoke": _revoke,
    }
    try:
        with data_dir_tokens(
            Path(args.data_dir), getattr(args, "issuer", DEFAULT_ISSUER)
        ) as tokens:
            text = actions[args.action](args, tokens)
    except CloudpingError as exc:  # unusable keys or files, a token that is not ours
        print(f"cloudping token {args.action}: {exc.message}", file=sys.stderr)
        return EXIT_ERROR
    except ValueError as exc:  # an empty subject, a ttl out of range, a label too long
        print(f"cloudping token {args.action}: {exc}", file=sys.stderr)
        return EXIT_ERROR
    if text:
        _print(text)
    return EXIT_OK


def _print(text: str) -> None:
    try:
        print(text, flush=True)
    except BrokenPipeError:  # `cloudping token list | head -1`: the reader has what it wanted
        # The interpreter flushes stdout once more at exit: let that go nowhere quietly.
        with contextlib.suppress(OSError, ValueError):
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())


def _issue(args: argparse.Namespace, tokens: TokenService) -> str:
    return tokens.issue(
        args.sub, args.aud, scopes=args.scope, ttl=args.ttl, now=time.time(), label=args.label
    )


def _list(args: argparse.Namespace, tokens: TokenService) -> str:
    now = time.time()
    records = tokens.registry.list()
    if args.json:
        return "\n".join(json.dumps(record.to_json(now)) for record in records)
    return padded_table(_COLUMNS, (_row(record, now) for record in records))


def _revoke(args: argparse.Namespace, tokens: TokenService) -> str:
    given: str = args.token
    # A JWT is three base64url parts joined by dots (RFC 7519 section 3); a jti has none.
    jti = tokens.token_id(given) if given.count(".") == 2 else given
    if given == jti and tokens.registry.get(jti) is None:
        raise AuthError(
            f"no token {jti!r} in the registry: give the token itself to revoke one issued "
            "before the registry existed",
            code="token_invalid",
        )
    record = tokens.revoke(jti, time.time())
    whose = "" if record is None else f" ({record.subject}, audience {record.audience})"
    return f"revoked token {jti}{whose}"


def _row(record: TokenRecord, now: float) -> tuple[str, ...]:
    expires = datetime.fromtimestamp(record.expires_at, UTC).strftime("%Y-%m-%d %H:%M")
    scopes = ",".join(scope for scope in SCOPES if scope in record.scopes) or "-"
    state = record.state(now)
    return (record.jti, record.subject, record.audience, scopes, expires, record.label, state)
