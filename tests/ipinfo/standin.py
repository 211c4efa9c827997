"""A loopback stand-in for the three HTTP providers, following their documented answers and
error shapes. The key says what to do: ``...good...`` answers, ``...bad...`` is refused as a
wrong key, ``...quota...`` as over the quota, ``...broken...`` fails with a 5xx."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

Reply = tuple[int, Any]

IPINFO: dict[str, Reply] = {
    "bad": (403, {"status": 403, "error": {"title": "Wrong token", "message": "Check it"}}),
    "quota": (429, {"status": 429, "error": {"title": "Rate limit exceeded", "message": "Up"}}),
    "broken": (502, "<html>Bad Gateway</html>"),
}
IP2LOCATION: dict[str, Reply] = {
    "bad": (401, {"error": {"error_code": 10000, "error_message": "Invalid API key."}}),
    "quota": (429, {"error": {"error_code": 10001, "error_message": "Rate limit exceeded."}}),
    "broken": (500, {"error": {"error_code": 10099, "error_message": "Internal error."}}),
}
IPREGISTRY: dict[str, Reply] = {
    "bad": (403, {"code": "INVALID_API_KEY", "message": "Invalid.", "resolution": "Check."}),
    "quota": (429, {"code": "TOO_MANY_REQUESTS", "message": "Slow down.", "resolution": "."}),
    "broken": (503, {"code": "INTERNAL", "message": "Down.", "resolution": "Retry."}),
}


def ipinfo_answer(ip: str) -> Reply:
    return 200, {
        "ip": ip,
        "asn": "AS64500",
        "as_name": "STANDIN-IPINFO",
        "as_domain": "example.net",
        "country_code": "DE",
        "country": "Germany",
        "continent_code": "EU",
        "continent": "Europe",
    }


def ip2location_answer(ip: str) -> Reply:
    return 200, {
        "ip": ip,
        "country_code": "AT",
        "country_name": "Austria",
        "region_name": "Wien",
        "city_name": "Vienna",
        "latitude": 48.2,
        "longitude": 16.37,
        "zip_code": "-",
        "time_zone": "+01:00",
        "asn": "64501",
        "as": "STANDIN-IP2L",
        "is_proxy": False,
    }


def ipregistry_answer(ip: str) -> Reply:
    return 200, {
        "ip": ip,
        "connection": {"asn": 64502, "organization": "STANDIN-IPREG", "type": "isp"},
        "location": {
            "country": {"code": "FR", "name": "France"},
            "region": {"code": "FR-IDF", "name": "Ile-de-France"},
            "city": "Paris",
            "latitude": 48.85,
            "longitude": 2.35,
        },
    }


def _outcome(key: str, errors: dict[str, Reply]) -> Reply | None:
    for word, reply in errors.items():
        if word in key:
            return reply
    return None if "good" in key else (401, {"error": "no key"})


class Handler(BaseHTTPRequestHandler):
    """Routes by path: ``/lite/IP`` (IPinfo), ``/?key&ip`` (IP2Location.io), ``/IP``
    (ipregistry); counts every request in ``server.asked``."""

    def do_GET(self) -> None:
        url = urlsplit(self.path)
        auth = self.headers.get("Authorization", "")
        self.server.asked.append(url.path)  # type: ignore[attr-defined]
        if url.path.startswith("/lite/"):
            ip = url.path.removeprefix("/lite/")
            reply = _outcome(auth.removeprefix("Bearer "), IPINFO) or ipinfo_answer(ip)
        elif url.path == "/":
            query = parse_qs(url.query)
            key, ip = query.get("key", [""])[0], query.get("ip", [""])[0]
            reply = _outcome(key, IP2LOCATION) or ip2location_answer(ip)
        else:
            ip = url.path.removeprefix("/")
            reply = _outcome(auth.removeprefix("ApiKey "), IPREGISTRY) or ipregistry_answer(ip)
        self._send(*reply)

    def _send(self, status: int, body: Any) -> None:
        raw = body.encode() if isinstance(body, str) else json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(raw)))
        self.end_headers()
        self.wfile.write(raw)

    def log_message(self, format: str, *args: Any) -> None:
        """Quiet: the test reads ``asked``."""


@contextmanager
def standin() -> Iterator[ThreadingHTTPServer]:
    """The stand-in on a free loopback port, served by a thread until the block ends."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.asked = []  # type: ignore[attr-defined]
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)
