"""The ``cloudping`` command's own options, taken out of the words once, before the grammar.

``--json``, ``-v``, ``--png FILE``, ``--ca FILE``, ``--hub URL``, ``--token T``,
``--data-dir DIR`` (``route`` from a local route store) and the local IP info files
``--geoip-city FILE``/``--geoip-asn FILE`` (each value also as ``--opt=VALUE``)
are process options, never grammar options (design.md, "Names"): they
may stand anywhere before a ``--``, and every other word is left, in order, for the grammar.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from cloudping.errors import UsageError

# Each option: whether it takes a value.
_OPTIONS: dict[str, bool] = {
    "--json": False,
    "-v": False,
    "--verbose": False,
    "--png": True,
    "--ca": True,
    "--hub": True,
    "--token": True,
    "--data-dir": True,
    "--geoip-city": True,
    "--geoip-asn": True,
}
_FILES: dict[str, str] = {
    "--png": "a file name: --png FILE",
    "--ca": "a file name: --ca FILE",
    "--data-dir": "a directory: --data-dir DIR",
    "--geoip-city": "an MMDB file: --geoip-city FILE",
    "--geoip-asn": "an MMDB file: --geoip-asn FILE",
}


@dataclass(frozen=True, slots=True)
class CliOptions:
    """What the process options said (``None``: not given)."""

    json: bool = False
    # How the CLI draws the same events (a scan's every address, not only hosts alive): the
    # command, the NDJSON and every other channel are the same without it, so not grammar.
    verbose: bool = False
    png: str | None = None
    ca: str | None = None  # a file of CA certificates the CLI reads (the command carries ca_pem)
    hub: str | None = None
    token: str | None = field(default=None, repr=False)
    data_dir: str | None = None  # `route` answered from this data directory's route store
    # MMDB files a local run reads (ipinfo, and the hops of traceroute and mtr).
    geoip_city: str | None = None
    geoip_asn: str | None = None


def split_options(argv: Sequence[str]) -> tuple[CliOptions, list[str]]:
    """The process options in ``argv`` and the words left for the grammar.

    Raises:
        UsageError: an option without its value (``--png`` without a file name).
    """
    found: dict[str, str] = {}
    words: list[str] = []
    index = 0
    while index < len(argv):
        word = argv[index]
        if word == "--":
            words.extend(argv[index:])
            break
        name, eq, value = word.partition("=")
        if name not in _OPTIONS or (eq and not _OPTIONS[name]):
            words.append(word)
        elif _OPTIONS[name] and not eq:
            index += 1
            if index >= len(argv) or argv[index] == "--":
                raise UsageError(f"{name} needs {_FILES.get(name, 'a value')}", word=name)
            found[name] = argv[index]
        else:
            found[name] = value if eq else ""
        index += 1
    for name, needs in _FILES.items():
        if found.get(name) == "":
            raise UsageError(f"{name} needs {needs}", word=name)
    return CliOptions(
        json="--json" in found,
        verbose="-v" in found or "--verbose" in found,
        png=found.get("--png"),
        ca=found.get("--ca"),
        hub=found.get("--hub") or None,
        token=found.get("--token") or None,
        data_dir=found.get("--data-dir"),
        geoip_city=found.get("--geoip-city"),
        geoip_asn=found.get("--geoip-asn"),
    ), words
