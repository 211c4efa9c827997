"""Who may call: tokens, scopes, the guest, and the quotas (429 with Retry-After)."""

from __future__ import annotations

import pytest

from cloudping.service import ApiSettings, Quota

from .world import NOW, error_of, lines, world

pytestmark = pytest.mark.anyio
PING = {"command": "ping -c 1 -s fra1 example.com"}


async def test_no_token_is_401_when_anonymous_access_is_off() -> None:
    async with world() as w:
        response = await w.client.post("/api/v1/measurements", json=PING)
    assert response.status_code == 401
    assert error_of(response)["code"] == "token_missing"
    assert response.headers["www-authenticate"].startswith("Bearer")


async def test_a_bad_token_is_401() -> None:
    async with world() as w:
        headers = {"Authorization": "Bearer not.a.token"}
        response = await w.client.post("/api/v1/measurements", json=PING, headers=headers)
    assert response.status_code == 401
    assert error_of(response)["code"] == "token_invalid"


async def test_an_expired_token_is_401() -> None:
    async with world() as w:
        headers = {"Authorization": f"Bearer {w.token('measure', ttl=60)}"}
        w.now[0] = NOW + 3600
        response = await w.client.post("/api/v1/measurements", json=PING, headers=headers)
    assert response.status_code == 401
    assert error_of(response)["code"] == "token_expired"


async def test_a_token_without_measure_is_403() -> None:
    async with world() as w:
        response = await w.client.post("/api/v1/measurements", json=PING, headers=w.auth())
    assert response.status_code == 403
    assert error_of(response) | {"message": ""} == {
        "code": "scope_missing",
        "message": "",
        "scope": "measure",
    }


async def test_a_guest_on_loopback_measures_without_a_token() -> None:
    async with world(anonymous="guest") as w:
        response = await w.client.post("/api/v1/measurements", json=PING)
    assert response.status_code == 200
    assert lines(response)[-1]["type"] == "end"


async def test_a_guest_off_loopback_is_401_by_default() -> None:
    async with world(anonymous="guest", client=("203.0.113.9", 4000)) as w:
        response = await w.client.post("/api/v1/measurements", json=PING)
    assert response.status_code == 401


async def test_over_the_hourly_quota_is_429_with_retry_after_and_the_numbers() -> None:
    quota = Quota(measurements_per_hour=2, jobs_per_measurement=5)
    async with world(user_quota=quota) as w:
        headers = w.auth("measure")
        for _ in range(2):
            ok = await w.client.post("/api/v1/measurements", json=PING, headers=headers)
            assert ok.status_code == 200
        w.now[0] = NOW + 600
        refused = await w.client.post("/api/v1/measurements", json=PING, headers=headers)
        w.now[0] = NOW + 3601
        later = await w.client.post("/api/v1/measurements", json=PING, headers=headers)
    assert refused.status_code == 429
    assert refused.headers["retry-after"] == "3000"
    error = error_of(refused)
    assert (error["code"], error["limit"], error["allowed"]) == (
        "quota_exceeded",
        "measurements_per_hour",
        2,
    )
    assert later.status_code == 200


async def test_the_quota_is_per_subject() -> None:
    quota = Quota(measurements_per_hour=1, jobs_per_measurement=5)
    async with world(user_quota=quota) as w:
        alice = await w.client.post("/api/v1/measurements", json=PING, headers=w.auth("measure"))
        bob = await w.client.post(
            "/api/v1/measurements", json=PING, headers=w.auth("measure", sub="bob")
        )
    assert (alice.status_code, bob.status_code) == (200, 200)


async def test_more_jobs_than_the_quota_is_429_with_the_numbers() -> None:
    quota = Quota(measurements_per_hour=5, jobs_per_measurement=2)
    async with world(user_quota=quota) as w:
        body = {"command": "ping -c 1 -s fra1,ams1 a.example b.example"}
        response = await w.client.post("/api/v1/measurements", json=body, headers=w.auth("measure"))
    assert response.status_code == 429
    error = error_of(response)
    assert (error["limit"], error["requested"], error["allowed"]) == ("jobs_per_measurement", 4, 2)


def test_settings_refuse_a_zero_quota() -> None:
    with pytest.raises(ValueError, match="at least 1"):
        Quota(measurements_per_hour=0, jobs_per_measurement=1)
    with pytest.raises(ValueError, match="follow_interval_s"):
        ApiSettings(follow_interval_s=0)
