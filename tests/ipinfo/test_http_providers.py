"""The HTTP providers against a loopback stand-in that follows their documented answers and
errors (401/403 bad key, 429 quota, 5xx): each failure is data, the merged answer degrades to
the providers that answered, and the key never reaches a message or a log line."""

from __future__ import annotations

import ipaddress
import logging
from collections.abc import AsyncIterator, Iterator
from http.server import ThreadingHTTPServer

import httpx
import pytest

from cloudping.ipinfo.facts import Facts
from cloudping.ipinfo.http.client import HttpProvider
from cloudping.ipinfo.http.ip2location import Ip2Location
from cloudping.ipinfo.http.ipinfolite import IpinfoLite
from cloudping.ipinfo.http.ipregistry import Ipregistry
from cloudping.ipinfo.http.vendor import Vendor
from cloudping.ipinfo.router import Ipinfo
from cloudping.ipinfo.sources import Failure

from .standin import standin

pytestmark = pytest.mark.anyio
PUBLIC = ipaddress.ip_address("192.88.98.7")  # not special: asked of remote providers
VENDORS: dict[str, Vendor] = {
    "ipinfo": IpinfoLite(),
    "ip2location": Ip2Location(),
    "ipregistry": Ipregistry(),
}
EXPECTED = {
    "ipinfo": Facts(asn=64500, as_name="STANDIN-IPINFO", country="DE"),
    "ip2location": Facts(
        asn=64501,
        as_name="STANDIN-IP2L",
        country="AT",
        region="Wien",
        city="Vienna",
        latitude=48.2,
        longitude=16.37,
    ),
    "ipregistry": Facts(
        asn=64502,
        as_name="STANDIN-IPREG",
        country="FR",
        region="Ile-de-France",
        city="Paris",
        latitude=48.85,
        longitude=2.35,
    ),
}


@pytest.fixture(scope="module")
def server() -> Iterator[ThreadingHTTPServer]:
    with standin() as running:
        yield running


@pytest.fixture
async def client() -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(trust_env=False) as opened:
        yield opened


def provider(
    name: str, key: str, client: httpx.AsyncClient, server: ThreadingHTTPServer
) -> HttpProvider:
    host, port = server.server_address[:2]
    return HttpProvider(VENDORS[name], key, client, f"http://{host!s}:{port}")


@pytest.mark.parametrize("name", sorted(VENDORS))
async def test_each_provider_reads_its_documented_answer(
    name: str, client: httpx.AsyncClient, server: ThreadingHTTPServer
) -> None:
    said = await provider(name, "k-good-31415", client, server).fetch(PUBLIC)
    assert said == EXPECTED[name]


@pytest.mark.parametrize("name", sorted(VENDORS))
@pytest.mark.parametrize(
    ("key", "code"),
    [("k-bad-1", "bad_key"), ("k-quota-1", "quota_exceeded"), ("k-broken-1", "upstream_error")],
)
async def test_each_documented_error_is_a_failure_with_its_code(
    name: str, key: str, code: str, client: httpx.AsyncClient, server: ThreadingHTTPServer
) -> None:
    said = await provider(name, key, client, server).fetch(PUBLIC)
    assert isinstance(said, Failure)
    assert said.code == code
    assert key not in said.message


async def test_a_provider_that_cannot_be_reached_is_unreachable(
    client: httpx.AsyncClient,
) -> None:
    with standin() as gone:
        host, port = gone.server_address[:2]
    closed = HttpProvider(IpinfoLite(), "k-good", client, f"http://{host!s}:{port}")
    said = await closed.fetch(PUBLIC)
    assert isinstance(said, Failure)
    assert said.code == "unreachable"


async def test_the_merged_answer_degrades_to_the_providers_that_answered(
    client: httpx.AsyncClient, server: ThreadingHTTPServer
) -> None:
    remote = [
        provider("ipinfo", "k-bad-2", client, server),
        provider("ip2location", "k-quota-2", client, server),
        provider("ipregistry", "k-good-2", client, server),
    ]
    report = (await Ipinfo((), remote).report(PUBLIC)).to_json()
    assert (report["asn"], report["as_name"], report["city"]) == (64502, "STANDIN-IPREG", "Paris")
    assert [(p["provider"], p["error"]) for p in report["providers"]] == [
        ("ipinfo", "bad_key"),
        ("ip2location", "quota_exceeded"),
        ("ipregistry", None),
    ]


async def test_the_key_is_in_no_log_line_even_where_it_travels_in_the_query(
    client: httpx.AsyncClient, server: ThreadingHTTPServer, caplog: pytest.LogCaptureFixture
) -> None:
    secret = "k-good-SECRET-2718"  # noqa: S105 (the stand-in's key, the test's subject)
    with caplog.at_level(logging.DEBUG):
        for name in VENDORS:
            assert not isinstance(
                await provider(name, secret, client, server).fetch(PUBLIC), Failure
            )
    logged = "\n".join(record.getMessage() for record in caplog.records)
    assert "HTTP Request: GET" in logged  # httpx did log the requests
    assert secret not in logged
    assert secret not in repr(provider("ipinfo", secret, client, server))
