"""GitHub, Google and Microsoft Entra (local stand-ins that follow each provider's documented
answers), and every attack on a sign-in: forged or misdirected ID tokens, a replayed or
forged ``state``, a sign-in finished in another browser, an open redirect in ``next=``, a
provider that is down, an expired session, a blocked account."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest
from upprocess import free_port

from cloudping.channels.signin import login_settings, signin_factory

from .harness import RunningHub, hub_with_signin, through_provider
from .standins import CLIENT_ID, CLIENT_SECRET, TENANT, Mode, Standin, running

WAIT = 10.0


def provider(name: str, kind: str, standin: Standin) -> dict[str, Any]:
    entry: dict[str, Any] = {
        "name": name,
        "kind": kind,
        "client_id": CLIENT_ID,
        "client_secret_file": "/unused",
    }
    if kind == "github":
        entry |= {
            "authorization_endpoint": f"{standin.base}/login/oauth/authorize",
            "token_endpoint": f"{standin.base}/login/oauth/access_token",
            "api_url": standin.base,
        }
    else:
        entry["issuer"] = standin.issuer
    return entry


@asynccontextmanager
async def hub_and_standin(
    tmp_path: Path,
    kind: str = "google",
    *,
    tenant: str | None = None,
    extra: tuple[dict[str, Any], ...] = (),
    login: dict[str, Any] | None = None,
    clock: Callable[[], float] | None = None,
) -> AsyncIterator[tuple[RunningHub, Standin, httpx.AsyncClient]]:
    standin = Standin(tenant=tenant)
    async with running(standin):
        table = {"provider": [provider(kind, kind, standin), *extra], **(login or {})}
        settings = login_settings(table)
        factory = signin_factory(settings, {p.name: CLIENT_SECRET for p in settings.providers})
        port = free_port(socket.SOCK_STREAM)
        async with (
            hub_with_signin(tmp_path, port, factory, clock=clock) as hub,
            httpx.AsyncClient(timeout=WAIT) as client,
        ):
            yield hub, standin, client


async def session_of(client: httpx.AsyncClient, hub: RunningHub) -> dict[str, Any]:
    answer: dict[str, Any] = (await client.get(f"{hub.url}/auth/session")).json()
    return answer


@pytest.mark.parametrize(
    ("kind", "tenant", "login", "subject"),
    [
        ("google", None, "dana", "google:sub-dana"),
        ("entra", TENANT, "dana", "entra:oid-dana"),  # Entra's stable id is oid, not sub
        ("github", None, "octocat", "github:583231"),  # the numeric id, never the login
    ],
)
def test_each_provider_names_people_as_documented(
    tmp_path: Path, kind: str, tenant: str | None, login: str, subject: str
) -> None:
    async def scenario() -> None:
        async with hub_and_standin(tmp_path, kind, tenant=tenant) as (hub, standin, client):
            standin.login = login
            back = await through_provider(client, f"{hub.url}/auth/login/{kind}", login, hub.url)
            assert back.status_code == 303
            session = await session_of(client, hub)
            assert session["subject"] == subject
            assert session["scopes"] == ["measure"]

    asyncio.run(scenario())


@pytest.mark.parametrize(
    ("mode", "reason"),
    [
        ("wrong_audience", "does not verify"),
        ("wrong_issuer", "does not verify"),
        ("expired", "does not verify"),
        ("foreign_key", "does not verify"),
        ("wrong_nonce", "another sign-in"),
        ("hs256", "HS256&#x27;, which is not accepted"),
    ],
)
def test_an_id_token_that_does_not_verify_signs_nobody_in(
    tmp_path: Path, mode: Mode, reason: str
) -> None:
    async def scenario() -> None:
        async with hub_and_standin(tmp_path) as (hub, standin, client):
            standin.mode = mode
            back = await through_provider(client, f"{hub.url}/auth/login/google", "x", hub.url)
            assert back.status_code == 502
            assert reason in back.text
            assert "cloudping_session" not in client.cookies
            assert (await session_of(client, hub))["signed_in"] is False

    asyncio.run(scenario())


def test_a_state_is_single_use_and_bound_to_the_browser_that_started_it(tmp_path: Path) -> None:
    async def scenario() -> None:
        async with hub_and_standin(tmp_path) as (hub, _, client):
            async with httpx.AsyncClient(timeout=WAIT) as elsewhere:  # no login cookie
                other = await elsewhere.get(await callback_url(client, hub))
                assert "another browser" in other.text
            callback = await callback_url(client, hub)
            forged = callback.split("state=")[0] + "state=forged"
            assert "expired or was used" in (await client.get(forged)).text
            assert (await client.get(callback)).status_code == 303  # the real one, once
            replayed = await client.get(callback)
            assert replayed.status_code == 400
            assert "expired or was used" in replayed.text

    asyncio.run(scenario())


async def callback_url(client: httpx.AsyncClient, hub: RunningHub) -> str:
    """Start a sign-in and stop where the provider sends the browser back."""
    out = await client.get(f"{hub.url}/auth/login/google")
    back = await client.get(out.headers["location"])
    assert back.status_code == 302
    return str(back.headers["location"])


@pytest.mark.parametrize(
    "target", ["//evil.example/x", "https://evil.example/", "/\\evil.example", "javascript:x"]
)
def test_next_never_leaves_the_hub(tmp_path: Path, target: str) -> None:
    async def scenario() -> None:
        async with hub_and_standin(tmp_path) as (hub, _, client):
            start = f"{hub.url}/auth/login/google?next={target}"
            back = await through_provider(client, start, "x", hub.url)
            assert back.status_code == 303
            assert back.headers["location"] == "/"

    asyncio.run(scenario())


def test_a_provider_that_is_down_gets_a_clear_page_and_the_others_still_work(
    tmp_path: Path,
) -> None:
    down = {
        "name": "down",
        "kind": "oidc",
        "label": "Down ID",
        "issuer": f"http://127.0.0.1:{free_port(socket.SOCK_STREAM)}",
        "client_id": "x",
        "client_secret_file": "/unused",
    }

    async def scenario() -> None:
        async with hub_and_standin(tmp_path, extra=(down,)) as (hub, _, client):
            page = await client.get(f"{hub.url}/auth/login/down")
            assert page.status_code == 502
            assert "Down ID cannot be reached" in page.text
            back = await through_provider(client, f"{hub.url}/auth/login/google", "x", hub.url)
            assert back.status_code == 303
            assert (await session_of(client, hub))["subject"] == "google:sub-dana"

    asyncio.run(scenario())


def test_an_expired_session_is_refused_with_the_reason(tmp_path: Path) -> None:
    now = [1_900_000_000.0]

    async def scenario() -> None:
        async with hub_and_standin(tmp_path, login={"session_hours": 1}, clock=lambda: now[0]) as (
            hub,
            _,
            client,
        ):
            await through_provider(client, f"{hub.url}/auth/login/google", "x", hub.url)
            assert (await client.get(f"{hub.url}/api/v1/tokens")).status_code == 200
            now[0] += 3600 + 60  # past the hour and the leeway
            refused = await client.get(f"{hub.url}/api/v1/tokens")
            assert refused.status_code == 401
            assert refused.json()["error"]["code"] == "token_expired"

    asyncio.run(scenario())


def test_a_blocked_account_is_not_signed_in_and_grants_add_scopes(tmp_path: Path) -> None:
    login = {"block": ["google:sub-mallory"], "grant": ["google:sub-erin=private,admin"]}

    async def scenario() -> None:
        async with hub_and_standin(tmp_path, login=login) as (hub, standin, client):
            standin.login = "mallory"
            refused = await through_provider(
                client, f"{hub.url}/auth/login/google", "mallory", hub.url
            )
            assert refused.status_code == 403
            assert "cloudping_session" not in client.cookies
            standin.login = "erin"
            await through_provider(client, f"{hub.url}/auth/login/google", "erin", hub.url)
            assert (await session_of(client, hub))["scopes"] == ["admin", "measure", "private"]

    asyncio.run(scenario())


def test_github_refusing_the_code_is_a_clear_page(tmp_path: Path) -> None:
    async def scenario() -> None:
        async with hub_and_standin(tmp_path, "github") as (hub, standin, client):
            callback = await client.get(
                (await client.get(f"{hub.url}/auth/login/github")).headers["location"]
            )
            location = callback.headers["location"]
            standin.codes.clear()  # the code expired at GitHub
            page = await client.get(location)
            assert page.status_code == 502
            assert "bad_verification_code" in page.text

    asyncio.run(scenario())
