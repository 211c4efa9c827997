"""Sign-in through a real OpenID Connect provider (npm oidc-provider), end to end over HTTP:
the session cookie, a measurement as that person, tokens they make, logout, and the attacks
a sign-in must refuse."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from cloudping.channels.plug import ChannelFactory
from cloudping.channels.signin import login_settings, signin_factory

from .harness import CLIENT_SECRET, OidcProvider, hub_with_signin, oidc_provider, through_provider

WAIT = 10.0


@pytest.fixture(scope="module")
def provider() -> Iterator[OidcProvider]:
    with oidc_provider("corp") as running:
        yield running


def corp(provider: OidcProvider, *extra: dict[str, object]) -> dict[str, object]:
    entries = [
        {
            "name": "corp",
            "kind": "oidc",
            "label": "Corp ID",
            "issuer": provider.issuer,
            "client_id": "cloudping",
            "client_secret_file": "/unused",
            "scopes": ["measure", "private"],
        },
        *extra,
    ]
    return {"provider": entries, "session_hours": 1}


def factory(table: dict[str, object]) -> ChannelFactory:
    settings = login_settings(table)
    return signin_factory(settings, {p.name: CLIENT_SECRET for p in settings.providers})


async def signed_in(client: httpx.AsyncClient, hub: str, login: str = "alice") -> httpx.Response:
    """Sign ``login`` in through the provider; the hub's last answer (the callback's)."""
    return await through_provider(client, f"{hub}/auth/login/corp?next=/m/x", login, hub)


def test_a_person_signs_in_and_gets_a_session_cookie(
    provider: OidcProvider, tmp_path: Path
) -> None:
    async def scenario() -> None:
        async with (
            hub_with_signin(tmp_path, provider.hub_port, factory(corp(provider))) as hub,
            httpx.AsyncClient(timeout=WAIT) as client,
        ):
            listing = await client.get(f"{hub.url}/auth/login")
            assert 'href="/auth/login/corp"' in listing.text
            assert "Corp ID" in listing.text
            back = await signed_in(client, hub.url)
            assert back.status_code == 303
            assert back.headers["location"] == "/m/x"
            cookie = next(
                h for h in back.headers.get_list("set-cookie") if h.startswith("cloudping_session=")
            )
            attributes = {a.strip().split("=")[0].lower() for a in cookie.split(";")[1:]}
            assert {"httponly", "path", "max-age"} <= attributes
            assert "samesite=lax" in cookie.lower()
            assert "secure" not in attributes
            session = (await client.get(f"{hub.url}/auth/session")).json()
            assert session["signed_in"]
            assert session["subject"] == "oidc-corp:alice"
            assert session["scopes"] == ["measure", "private"]
            assert "Person alice" in session["label"]  # the name came from userinfo

    asyncio.run(scenario())


def test_a_signed_in_person_measures_makes_a_token_and_logs_out(
    provider: OidcProvider, tmp_path: Path
) -> None:
    async def scenario() -> None:
        async with (
            hub_with_signin(tmp_path, provider.hub_port, factory(corp(provider))) as hub,
            httpx.AsyncClient(timeout=WAIT) as client,
        ):
            await signed_in(client, hub.url, "bob")
            own = {"origin": hub.url}
            ping = {"command": "ping -c 1 127.0.0.1"}
            ran = await client.post(f"{hub.url}/api/v1/measurements", json=ping, headers=own)
            lines = [json.loads(line) for line in ran.text.splitlines()]
            assert ran.status_code == 200
            assert lines[-1]["type"] == "end"
            assert lines[-1]["status"] == "ok"
            stored = await client.get(f"{hub.url}/api/v1/measurements/{lines[0]['id']}")
            assert stored.status_code == 200  # bob reads his own measurement back

            # A page elsewhere (even on this host) cannot use the cookie to change anything.
            # (The edge lets any loopback origin through: the session check is what refuses.)
            for headers in (
                {"origin": "http://127.0.0.1:1"},
                {"referer": "http://localhost:1/"},
                {},
            ):
                refused = await client.post(
                    f"{hub.url}/api/v1/measurements", json=ping, headers=headers
                )
                assert refused.status_code == 403
                assert refused.json()["error"]["code"] == "cross_site_request"

            made = await client.post(
                f"{hub.url}/api/v1/tokens",
                json={"label": "laptop", "ttl_s": 3600, "scopes": ["measure"]},
                headers=own,
            )
            assert made.status_code == 201
            token = made.json()["token"]
            bearer = {"authorization": f"Bearer {token}"}
            async with httpx.AsyncClient(timeout=WAIT) as other:  # no cookie: the token only
                mine = await other.get(f"{hub.url}/api/v1/tokens", headers=bearer)
                assert [t["label"] for t in mine.json()["tokens"]] == ["laptop"]
                revoked = await client.delete(
                    f"{hub.url}/api/v1/tokens/{made.json()['id']}", headers=own
                )
                assert revoked.status_code == 200
                after = await other.get(f"{hub.url}/api/v1/tokens", headers=bearer)
                assert after.status_code == 401
                assert after.json()["error"]["code"] == "token_revoked"

            old_cookie = client.cookies.get("cloudping_session")
            out = await client.post(f"{hub.url}/auth/logout", headers=own)
            assert out.status_code == 303
            assert "cloudping_session" not in client.cookies
            async with httpx.AsyncClient(
                timeout=WAIT, cookies={"cloudping_session": old_cookie or ""}
            ) as kept:
                replayed = await kept.get(f"{hub.url}/api/v1/tokens")
            assert replayed.status_code == 401
            assert replayed.json()["error"]["code"] == "token_revoked"

    asyncio.run(scenario())
