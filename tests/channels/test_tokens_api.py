"""/api/v1/tokens: a caller lists, issues and revokes its own API tokens; an admin, anyone's."""

from __future__ import annotations

import pytest

from cloudping.channels.api.tokens import MAX_TTL_S

from .world import NOW, error_of, world

pytestmark = pytest.mark.anyio
URL = "/api/v1/tokens"


async def test_a_caller_issues_itself_a_token_that_works_and_is_listed() -> None:
    async with world() as w:
        mine = w.auth("measure", "private")
        body = {"scopes": ["measure"], "ttl_s": 3600, "label": "phone"}
        issued = await w.client.post(URL, json=body, headers=mine)
        new = {"Authorization": f"Bearer {issued.json()['token']}"}
        listed = await w.client.get(URL, headers=new)
    assert issued.status_code == 201
    record = issued.json()
    assert (record["subject"], record["scopes"], record["label"]) == ("alice", ["measure"], "phone")
    assert record["expires_at"] == NOW + 3600
    assert listed.status_code == 200
    assert record["id"] in [token["id"] for token in listed.json()["tokens"]]
    assert "token" not in listed.json()["tokens"][0]  # the list never shows a token again


async def test_a_caller_cannot_grant_a_scope_it_lacks() -> None:
    async with world() as w:
        answer = await w.client.post(URL, json={"scopes": ["admin"]}, headers=w.auth("measure"))
    assert answer.status_code == 403
    assert error_of(answer)["code"] == "scope_missing"


async def test_a_lifetime_over_90_days_is_refused() -> None:
    async with world() as w:
        body = {"ttl_s": MAX_TTL_S + 1}
        answer = await w.client.post(URL, json=body, headers=w.auth("measure"))
    assert answer.status_code == 400
    assert error_of(answer)["field"] == "ttl_s"


async def test_a_revoked_token_is_refused_at_once() -> None:
    async with world() as w:
        token = w.token("measure")
        jti = w.tokens.token_id(token)
        revoked = await w.client.delete(f"{URL}/{jti}", headers=w.auth())
        after = await w.client.get(URL, headers={"Authorization": f"Bearer {token}"})
    assert revoked.status_code == 200
    assert revoked.json()["state"] == "revoked"
    assert after.status_code == 401
    assert error_of(after)["code"] == "token_revoked"


async def test_someone_elses_token_is_404_to_a_user_but_an_admin_revokes_it() -> None:
    async with world() as w:
        bobs = w.tokens.token_id(w.token(sub="bob"))
        by_alice = await w.client.delete(f"{URL}/{bobs}", headers=w.auth())
        alices_view = await w.client.get(URL, params={"subject": "bob"}, headers=w.auth())
        admin_view = await w.client.get(
            URL, params={"subject": "bob"}, headers=w.auth("admin", sub="root")
        )
        by_admin = await w.client.delete(f"{URL}/{bobs}", headers=w.auth("admin", sub="root"))
    assert by_alice.status_code == 404
    assert alices_view.status_code == 403
    assert [token["id"] for token in admin_view.json()["tokens"]] == [bobs]
    assert by_admin.json()["state"] == "revoked"


async def test_a_guest_has_no_tokens_to_manage() -> None:
    async with world(anonymous="guest") as w:
        answer = await w.client.get(URL)
    assert answer.status_code == 401
    assert error_of(answer)["code"] == "token_missing"


async def test_an_agents_token_is_an_admins_to_revoke_not_a_namesakes() -> None:
    async with world() as w:
        agents = w.tokens.token_id(w.tokens.issue("alice", "agent", ttl=60, now=NOW))
        namesake = await w.client.get(URL, headers=w.auth())
        by_namesake = await w.client.delete(f"{URL}/{agents}", headers=w.auth())
        by_admin = await w.client.delete(f"{URL}/{agents}", headers=w.auth("admin", sub="root"))
    assert agents not in [token["id"] for token in namesake.json()["tokens"]]
    assert by_namesake.status_code == 404
    assert (by_admin.json()["audience"], by_admin.json()["state"]) == ("agent", "revoked")
