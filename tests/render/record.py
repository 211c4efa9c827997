"""Record the lab event streams the picture and page tests draw from (run once, as root).

``python tests/render/record.py`` builds the network lab, starts unbound and Caddy on the
target, runs ``cloudping --json CMD`` in the agent namespace for each entry of :data:`RUNS`
and writes each NDJSON stream to ``tests/render/streams/NAME.ndjson``. The files are
committed: the tests need no lab, and a picture's bytes stay the same from run to run.
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # `lab`, as pytest finds it

from lab import Lab
from lab.pki import LabPki
from lab.servers import HTTPS_PORT, WWW, Caddy
from lab.unbound import lab_server

STREAMS = Path(__file__).with_name("streams")
DNS_SERVER = "198.18.3.53"


def runs(lab: Lab, ca: str) -> dict[str, list[str]]:
    """The commands recorded, by stream name (arguments after ``cloudping --json``)."""
    v4, v6 = lab.addr("target", 4), lab.addr("target", 6)
    site = f"https://{WWW}:{HTTPS_PORT}"
    return {
        "ping": ["ping", "-c", "4", "-i", "0.2", "-W", "0.5", v4, v6, lab.blackhole(4)],
        "tcping": ["tcping", "-c", "3", "-i", "0.2", "-W", "0.5", f"{v4}:{HTTPS_PORT}", f"{v4}:9"],
        "traceroute": ["traceroute", "-q", "3", "-W", "1", v4],
        "mtr": ["mtr", "-c", "3", "-i", "0.2", v6],
        "dns": ["dns", "-t", "A", "--server", DNS_SERVER, "www.lab"],
        "http": ["http", "--ca", ca, f"{site}/"],
        "scan": ["scan", "-W", "0.5", f"{lab.addr('target', 4).rsplit('.', 1)[0]}.0/28"],
    }


def main() -> None:
    STREAMS.mkdir(exist_ok=True)
    with tempfile.TemporaryDirectory() as scratch, Lab.build() as lab:
        directory = Path(scratch)
        pki = LabPki(directory / "pki")
        lab.add_addresses("target", 4, [DNS_SERVER])
        unbound = lab_server(lab, directory / "unbound", pki, [DNS_SERVER]).start()
        caddy = Caddy(lab, directory / "caddy", pki, (lab.addr("target", 4),))
        hosts = lab.etc_dir("agent") / "hosts"
        hosts.write_text(hosts.read_text() + f"{lab.addr('target', 4)} {WWW}\n")
        caddy.start()
        try:
            for name, args in runs(lab, str(pki.ca_file)).items():
                result = lab.python("agent", ["--json", *args], 60, check=False)
                (STREAMS / f"{name}.ndjson").write_text(result.stdout)
                lines = len(result.stdout.splitlines())
                sys.stderr.write(f"{name}: exit {result.returncode}, {lines} events\n")
        finally:
            caddy.stop()
            unbound.stop()


if __name__ == "__main__":
    main()
