"""One HTTP provider as a remote source: ask, read, and turn every failure into data.

401/403 are ``bad_key``, 402/429 ``quota_exceeded``, 5xx or a body that is not an answer
``upstream_error``, no connection or no answer in time ``unreachable``. The key never reaches
a message or a log line: it travels in a header where the vendor allows it, and a filter on
httpx's logger blanks it in the URLs it logs (:mod:`.redact`: IP2Location.io takes it in the
query).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import httpx

from cloudping.ipinfo.facts import Facts
from cloudping.ipinfo.http import redact  # noqa: F401 (no key in httpx's log lines)
from cloudping.ipinfo.http.vendor import Vendor
from cloudping.ipinfo.sources import Failure
from cloudping.special import Address

TIMEOUT_S = 5.0


class HttpProvider:
    """A vendor's API as a :class:`~cloudping.ipinfo.sources.RemoteSource`.

    Args:
        client: shared by every provider of the process (connection pooling); its lifetime
            is the caller's.
        base_url: the vendor's, or a stand-in's (tests, a proxy).
    """

    def __init__(
        self, vendor: Vendor, key: str, client: httpx.AsyncClient, base_url: str | None = None
    ) -> None:
        self.vendor = vendor
        self._key = key
        self._client = client
        self._base = (base_url or vendor.base_url).rstrip("/")

    def __repr__(self) -> str:  # never the key
        return f"HttpProvider({self.vendor.name!r}, {self._base!r})"

    @property
    def name(self) -> str:
        """The vendor's provider name."""
        return self.vendor.name

    async def fetch(self, ip: Address) -> Facts | Failure:
        """What the vendor says of ``ip``, or why it could not say."""
        ask = self.vendor.ask(ip, self._key)
        try:
            answer = await self._client.get(
                self._base + ask.path,
                params=dict(ask.params),
                headers=dict(ask.headers),
                timeout=TIMEOUT_S,
            )
        except httpx.HTTPError as exc:  # the message may quote the URL: only its kind
            return Failure("unreachable", f"{self.name}: {type(exc).__name__}")
        body = _json(answer)
        if answer.status_code != 200:
            return self._refused(answer.status_code, body)
        try:
            return self.vendor.facts(body)
        except ValueError as exc:
            return Failure("upstream_error", f"{self.name}: {exc}")

    def _refused(self, status: int, body: Mapping[str, Any]) -> Failure:
        said = self.vendor.error_message(body)
        message = f"{self.name} answered HTTP {status}" + (f": {said}" if said else "")
        return Failure(_CODES.get(status, "upstream_error"), message.replace(self._key, "<key>"))


_CODES = {401: "bad_key", 403: "bad_key", 402: "quota_exceeded", 429: "quota_exceeded"}


def _json(answer: httpx.Response) -> Mapping[str, Any]:
    try:
        body = answer.json()
    except ValueError:
        return {}
    return body if isinstance(body, Mapping) else {}
