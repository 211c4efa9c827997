"""Caddy in the lab: HTTP/1.1, HTTP/2 and HTTP/3 on the target, with test endpoints.

One site on HTTPS (TCP and UDP, so HTTP/3 too) and the same routes on plain HTTP, every
response carrying ``X-Proto`` (the protocol Caddy saw: ``HTTP/1.1``, ``HTTP/2.0``,
``HTTP/3.0``). Caddy runs in the foreground with no admin API, no automatic HTTPS and its
HOME/XDG directories in the instance's own directory, so it writes nothing elsewhere; it is
started with ``lab.popen`` and stopped by PID.

Ports: 4443 (HTTPS, TCP + UDP) and 8480 (HTTP) on every address of the namespace, apart
from unbound's DoH on 443 and the tcping tests' 8443 (lab-notes: unbound also wants 443).
"""

from __future__ import annotations

import subprocess
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .pki import LabPki
from .topology import Lab, Role

HTTPS_PORT, HTTP_PORT = 4443, 8480
WWW = "www.lab"
BIG_SIZE = 200_000
ECHO_PREFIX = "method="
_START_TIMEOUT = 15.0

# The routes of both sites. `{http.request.proto}`: "HTTP/1.1", "HTTP/2.0" or "HTTP/3.0".
_ROUTES = """
    header X-Proto {{http.request.proto}}
    handle / {{
        respond "{{http.request.proto}}"
    }}
    handle /503 {{
        respond "unavailable" 503
    }}
    handle /redirect {{
        redir * /hop2 302
    }}
    handle /hop2 {{
        redir * / 301
    }}
    handle /loop {{
        redir * /loop 302
    }}
    handle /out {{
        redir * http://127.0.0.1:{http_port}/ 302
    }}
    handle /echo {{
        respond "{echo}{{http.request.method}} body={{http.request.body}}"
    }}
    handle /big {{
        root * {www}
        rewrite * /big.txt
        file_server
    }}
    handle {{
        respond "not found" 404
    }}
"""


def caddyfile(directory: Path, cert: Path, key: Path) -> str:
    """The whole Caddyfile: global options, the HTTPS site and the HTTP site."""
    routes = _ROUTES.format(http_port=HTTP_PORT, echo=ECHO_PREFIX, www=directory / "www")
    return (
        "{\n"
        "    admin off\n"
        "    auto_https off\n"
        f"    storage file_system {directory / 'data'}\n"
        "    servers {\n        protocols h1 h2 h2c h3\n    }\n"
        "}\n"
        f"https://:{HTTPS_PORT} {{\n    tls {cert} {key}\n{routes}}}\n"
        f"http://:{HTTP_PORT} {{\n{routes}}}\n"
    )


def big_body() -> bytes:
    """What ``/big`` serves: ``BIG_SIZE`` bytes of ASCII lines."""
    line = b"0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ.:-\n"
    return (line * (BIG_SIZE // len(line) + 1))[:BIG_SIZE]


@dataclass
class Caddy:
    """A Caddy instance in ``role``'s namespace; :meth:`start` it, :meth:`stop` it by PID."""

    lab: Lab
    directory: Path
    pki: LabPki
    identities: tuple[str, ...]  # the certificate's names and addresses (besides www.lab)
    role: Role = "target"
    cert: Path | None = None
    proc: subprocess.Popen[Any] | None = field(default=None, repr=False)

    def start(self) -> Caddy:
        """Write the certificate, the Caddyfile and the static file; start; wait for the ports.

        Raises:
            LabError: a port did not listen within the start timeout.
        """
        self.directory.mkdir(parents=True, exist_ok=True)
        (self.directory / "www").mkdir(exist_ok=True)
        (self.directory / "www" / "big.txt").write_bytes(big_body())
        self.cert, key = self.pki.leaf(WWW, *self.identities)
        config = self.directory / "Caddyfile"
        config.write_text(caddyfile(self.directory, self.cert, key))
        log = (self.directory / "caddy.log").open("w")
        argv = ["env", *self._environment(), "caddy", "run", "--config", str(config)]
        self.proc = self.lab.popen(
            self.role, [*argv, "--adapter", "caddyfile"], stdout=log, stderr=subprocess.STDOUT
        )
        log.close()
        self.lab.wait_listening(self.role, HTTPS_PORT, proto="tcp", timeout=_START_TIMEOUT)
        self.lab.wait_listening(self.role, HTTPS_PORT, proto="udp", timeout=_START_TIMEOUT)
        self.lab.wait_listening(self.role, HTTP_PORT, proto="tcp", timeout=_START_TIMEOUT)
        return self

    def _environment(self) -> list[str]:
        home = self.directory / "home"
        return [
            f"HOME={home}",
            f"XDG_DATA_HOME={home / 'data'}",
            f"XDG_CONFIG_HOME={home / 'config'}",
            f"XDG_CACHE_HOME={home / 'cache'}",
        ]

    def stop(self) -> None:
        if self.proc is not None:
            self.lab.stop(self.proc)
            self.proc = None

    def log(self) -> str:
        """What Caddy wrote so far (for failure messages)."""
        return (self.directory / "caddy.log").read_text(errors="replace")
