"""The IP info options of the processes that hold providers (``hub``, ``up``): files of the
process, never grammar options, so no remote caller names a file."""

from __future__ import annotations

import argparse
import os
from pathlib import Path

from cloudping.errors import CloudpingError
from cloudping.ipinfo.setup import IpinfoSettings, remote_from_env
from cloudping.ipinfo.update import updated_files


def add_geoip_options(p: argparse.ArgumentParser) -> None:
    """``--geoip-city FILE``, ``--geoip-asn FILE``, ``--dn42-registry DIR``,
    ``--no-keyless-country``."""
    p.add_argument(
        "--geoip-city",
        type=Path,
        metavar="FILE",
        help="MMDB file with places (GeoLite2-City, DB-IP City Lite, IPinfo); reloaded when "
        "replaced",
    )
    p.add_argument(
        "--geoip-asn",
        type=Path,
        metavar="FILE",
        help="MMDB file with networks (GeoLite2-ASN, DB-IP ASN Lite, IPinfo Lite); reloaded "
        "when replaced",
    )
    p.add_argument(
        "--dn42-registry",
        type=Path,
        metavar="DIR",
        help="the data directory of a DN42 registry checkout (route, aut-num, inetnum ...)",
    )
    p.add_argument(
        "--no-keyless-country",
        action="store_true",
        help="do not answer country from the database python-geoacumen ships",
    )


def geoip_settings(args: argparse.Namespace) -> IpinfoSettings:
    """The IP info settings the options gave (without files named: those ``cloudping ipinfo
    --update`` left in the data directory), and the HTTP providers whose keys the environment
    holds (``CLOUDPING_IPINFO_TOKEN``, ...: see :mod:`cloudping.ipinfo.setup`).

    Raises:
        ValueError: a key file named that cannot be read.
    """
    try:
        remote = remote_from_env(os.environ)
    except CloudpingError as exc:
        raise ValueError(exc.message) from exc
    city, asn = updated_files(args.data_dir)
    return IpinfoSettings(
        city=args.geoip_city or city,
        asn=args.geoip_asn or asn,
        keyless=not args.no_keyless_country,
        dn42=args.dn42_registry,
        remote=remote,
    )
