"""``?key=<read_key>`` reads a shared measurement (design.md names list), and only that one."""

from __future__ import annotations

import httpx
import pytest

from .world import BASE, error_of, lines, world

pytestmark = pytest.mark.anyio
MEASURE = "/api/v1/measurements"
PING = {"command": "ping -c 1 -s fra1 example.com"}
BACKGROUND = PING | {"background": True}


async def test_the_read_key_opens_one_measurement_to_anyone_holding_it() -> None:
    async with world() as w:
        made = await w.client.post(MEASURE, json=BACKGROUND, headers=w.auth("measure"))
        other = await w.client.post(MEASURE, json=BACKGROUND, headers=w.auth("measure"))
        first, second = made.json(), other.json()
        await w.hub.wait(first["id"])
        await w.hub.wait(second["id"])
        path = f"{MEASURE}/{first['id']}"
        without = await w.client.get(path)
        shared = await w.client.get(path, params={"key": first["read_key"]})
        followed = await w.client.get(path + "/events", params={"key": first["read_key"]})
        wrong = await w.client.get(path, params={"key": first["read_key"][:-1] + "x"})
        crossed = await w.client.get(path, params={"key": second["read_key"]})
        stranger = await w.client.get(
            path, params={"key": "nope"}, headers=w.auth("measure", sub="mallory")
        )
    assert made.status_code == 202
    assert len(first["read_key"]) >= 22
    assert first["read_key"] != second["read_key"]
    assert without.status_code == 401
    assert shared.status_code == 200
    assert shared.json()["id"] == first["id"]
    assert lines(followed)[0] == shared.json()["events"][0]
    assert lines(followed)[0]["read_key"] == first["read_key"]
    assert (wrong.status_code, error_of(wrong)["code"]) == (404, "not_found")
    assert crossed.status_code == 404
    assert stranger.status_code == 404


async def test_a_streamed_measurement_names_its_read_key_in_the_first_event() -> None:
    async with world(anonymous="guest", guest_loopback_only=False) as w:
        streamed = await w.client.post(MEASURE, json=PING)
        opened = lines(streamed)[0]
        transport = httpx.ASGITransport(app=w.app, client=("198.18.0.9", 4000))
        async with httpx.AsyncClient(transport=transport, base_url=BASE) as other_guest:
            path = f"{MEASURE}/{opened['id']}"
            refused = await other_guest.get(path)
            shared = await other_guest.get(path, params={"key": opened["read_key"]})
    assert opened["type"] == "measurement"
    assert refused.status_code == 404  # another guest's, by id alone
    assert shared.status_code == 200
    assert shared.json()["read_key"] == opened["read_key"]
