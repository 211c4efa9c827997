"""``cloudping route ingest FILE|URL --source NAME`` and ``cloudping route status``: the
operator's tools for the route store in the hub's data directory, or in PostgreSQL with
``--route-store`` (a running hub serves a new generation from its next query on).
``cloudping route ADDRESS ...`` is the grammar's."""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Sequence
from pathlib import Path

from cloudping.channels.cli.exits import EXIT_ERROR
from cloudping.errors import CloudpingError
from cloudping.routes.ingest import ingest
from cloudping.routes.lookup import RouteStore
from cloudping.routes.pgstore import PgRouteStore
from cloudping.routes.schedule import FetchPlan, RouteSource
from cloudping.serve.datadir import default_data_dir

ACTIONS = ("ingest", "status")
DEFAULT_INTERVAL_S = 3600.0


STORE_HELP = (
    "keep the route sources in this PostgreSQL database (a libpq URI or key=value string, e.g. "
    "postgresql:///cloudping?host=/run/postgresql; a password goes in a passfile, never here) "
    "instead of SQLite files in the data directory"
)


def add_store_option(p: argparse.ArgumentParser) -> None:
    """``--route-store``: where the route sources live (``[route] store`` in a settings file)."""
    p.add_argument("--route-store", metavar="DSN", help=STORE_HELP)


def route_store(dsn: str | None, data_dir: Path) -> RouteStore | PgRouteStore:
    """The route store ``--route-store`` names: SQLite files in ``data_dir`` without one.

    Raises:
        ValueError: a malformed DSN, psycopg missing.
    """
    return RouteStore(data_dir) if dsn is None else PgRouteStore(dsn)


def loads_into(store: RouteStore | PgRouteStore) -> Path | PgRouteStore:
    """Where :func:`cloudping.routes.ingest.ingest` writes ``store``'s generations."""
    return store.data_dir if isinstance(store, RouteStore) else store


def add_route_options(p: argparse.ArgumentParser) -> None:
    """The hub's route store and scheduled route fetches (``hub`` and ``up``): fetches are off
    unless a source is named."""
    add_store_option(p)
    p.add_argument(
        "--route-source",
        action="append",
        default=[],
        metavar="NAME=URL",
        help="fetch this MRT dump (http/https; plain, gzip or bzip2) as route source NAME on "
        "start and every --route-interval, conditionally (repeatable; default: none)",
    )
    p.add_argument(
        "--route-interval",
        type=float,
        default=DEFAULT_INTERVAL_S,
        metavar="SEC",
        help="seconds between two fetches of each --route-source",
    )


def fetch_plan(args: argparse.Namespace) -> FetchPlan:
    """The scheduled fetches the options ask for.

    Raises:
        ValueError: a malformed ``--route-source``, two with one name, an interval under 1 s.
    """
    sources = tuple(RouteSource.parse(text) for text in args.route_source)
    return FetchPlan(sources, args.route_interval)


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="cloudping route", description=__doc__)
    actions = parser.add_subparsers(dest="action", required=True)
    load = actions.add_parser("ingest", help="import an MRT dump as a source's new generation")
    load.add_argument("location", metavar="FILE|URL", help="TABLE_DUMP_V2, plain, gzip or bzip2")
    load.add_argument("--source", required=True, help="the source's name (e.g. rrc00, lab)")
    status = actions.add_parser("status", help="each source: entries, peers, age, last error")
    status.add_argument("--json", action="store_true", help="one JSON object per source")
    default = default_data_dir()
    for action in (load, status):
        action.add_argument(
            "--data-dir", type=Path, default=default, help=f"the hub's (default {default})"
        )
        add_store_option(action)
    return parser


def main(argv: Sequence[str]) -> int:
    """Run ``cloudping route ingest|status ...``; the exit status."""
    try:
        args = _parser().parse_args(argv)
    except SystemExit as exc:  # argparse has printed the usage error (or the help)
        return exc.code if isinstance(exc.code, int) else EXIT_ERROR
    try:
        store = route_store(args.route_store, args.data_dir)
    except ValueError as exc:
        print(f"cloudping route {args.action}: {exc}", file=sys.stderr)
        return EXIT_ERROR
    try:
        if args.action == "status":
            return _status(store, as_json=args.json)
        return _ingest(store, args.source, args.location)
    finally:
        if isinstance(store, PgRouteStore):
            store.close()


def _ingest(store: RouteStore | PgRouteStore, source: str, location: str) -> int:
    try:
        result = ingest(loads_into(store), source, location, now=time.time())
    except CloudpingError as exc:
        print(f"cloudping route ingest: {exc.message} ({exc.code})", file=sys.stderr)
        return EXIT_ERROR
    assert result is not None  # only a conditional fetch can find nothing new
    print(
        f"{result.source}: {result.entries} routes, {result.prefixes} prefixes, "
        f"{result.peers} peers; serving from {result.path}"
    )
    return 0


def _status(store: RouteStore | PgRouteStore, *, as_json: bool) -> int:
    now = time.time()
    try:
        found = store.status()
    except CloudpingError as exc:  # PostgreSQL unreachable
        print(f"cloudping route status: {exc.message} ({exc.code})", file=sys.stderr)
        return EXIT_ERROR
    for status in found:
        document = status.to_json(now)
        if as_json:
            print(json.dumps(document))
            continue
        error = status.last_error
        failed = f"; last load failed: {error.get('message')}" if error else ""
        age = document["age_s"]
        shown = "no generation" if status.entries is None else (
            f"{status.entries} routes, {status.peers} peers, dump {age:.0f} s old"
        )  # fmt: skip
        print(f"{status.source}: {shown}{failed}")
    return 0
