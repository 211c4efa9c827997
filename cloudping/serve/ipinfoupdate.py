"""``cloudping ipinfo --update``: fetch the free MMDB databases into the data directory (see
:mod:`cloudping.ipinfo.update`); the hub and ``cloudping up`` use them when no
``--geoip-city``/``--geoip-asn`` is given."""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path

import httpx

from cloudping.channels.cli.exits import EXIT_ERROR
from cloudping.errors import CloudpingError
from cloudping.ipinfo.update import DBIP_URL, IPINFO_DATA_URL, fetch_all, planned
from cloudping.serve.datadir import default_data_dir


def parser() -> argparse.ArgumentParser:
    """The options of ``cloudping ipinfo --update``."""
    p = argparse.ArgumentParser(
        prog="cloudping ipinfo --update",
        description="Fetch DB-IP Lite (and IPinfo Lite with CLOUDPING_IPINFO_TOKEN) into "
        "DATA_DIR/ipinfo/, verified and swapped in atomically.",
    )
    p.add_argument("--update", action="store_true", required=True)
    p.add_argument("--data-dir", type=Path, default=default_data_dir())
    p.add_argument("--dbip-url", default=DBIP_URL, metavar="URL", help="DB-IP's base URL")
    p.add_argument(
        "--ipinfo-data-url", default=IPINFO_DATA_URL, metavar="URL", help="IPinfo's base URL"
    )
    return p


def main(argv: Sequence[str]) -> int:
    """Run ``cloudping ipinfo --update`` with ``argv`` (the words after ``ipinfo``)."""
    args = parser().parse_args(argv)
    token = os.environ.get("CLOUDPING_IPINFO_TOKEN")
    downloads = planned(datetime.now(UTC), token, args.dbip_url, args.ipinfo_data_url)
    try:
        with httpx.Client(trust_env=False, follow_redirects=True) as client:
            for line in fetch_all(downloads, args.data_dir, client):
                print(line)
    except CloudpingError as exc:
        print(f"cloudping ipinfo --update: {exc.message}", file=sys.stderr)
        return EXIT_ERROR
    return 0
