"""What a vendor module says: how to ask for an address, and how to read the answer."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Protocol

from cloudping.ipinfo.facts import Facts
from cloudping.special import Address


@dataclass(frozen=True, slots=True)
class Ask:
    """One request: a path under the base URL, its query, its headers (the key goes in a
    header where the vendor allows it, so that it is in no URL)."""

    path: str
    params: Mapping[str, str]
    headers: Mapping[str, str]


class Vendor(Protocol):
    """One HTTP provider's documented API."""

    name: str
    base_url: str
    key_env: str

    def ask(self, ip: Address, key: str) -> Ask:
        """The request for ``ip``."""
        ...

    def facts(self, body: Mapping[str, Any]) -> Facts:
        """The facts of a 200 answer.

        Raises:
            ValueError: the body is not an answer (the vendor's error in a 200, another shape).
        """
        ...

    def error_message(self, body: Mapping[str, Any]) -> str | None:
        """The vendor's own words in an error answer, when it has some."""
        ...
