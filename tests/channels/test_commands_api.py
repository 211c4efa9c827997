"""The command service over HTTP: POST /commands, DELETE /measurements/{id}, and
GET /measurements/{id}/picture.png. What each command answers is tested once, in
tests/service; here, that the API carries it with the right status."""

from __future__ import annotations

import asyncio
import io

import httpx
import pytest
from PIL import Image

from cloudping import __version__
from cloudping.channels.api.errors import status_of
from cloudping.channels.api.measurements import drawn
from cloudping.errors import CloudpingError
from cloudping.store import StoredEvent, StoredMeasurement

from .world import WAIT, World, error_of, world

pytestmark = pytest.mark.anyio


async def start(w: World, line: str, sub: str = "alice") -> str:
    body = {"command": line, "background": True}
    started = await w.client.post(
        "/api/v1/measurements", json=body, headers=w.auth("measure", sub=sub)
    )
    assert started.status_code == 202
    measurement_id: str = started.json()["id"]
    return measurement_id


async def answer(w: World, line: str) -> httpx.Response:
    return await w.client.post("/api/v1/commands", json={"command": line}, headers=w.auth())


async def test_list_and_version_answer_one_json_document() -> None:
    async with world() as w:
        listed = await w.client.post("/api/v1/commands", json={"command": "list"}, headers=w.auth())
        version = await w.client.post(
            "/api/v1/commands", json={"command": "version"}, headers=w.auth()
        )
    assert listed.status_code == 200
    assert [agent["name"] for agent in listed.json()["agents"]] == ["ams1", "fra1"]
    assert listed.json()["text"].startswith("NAME")
    assert version.json()["hub"] == __version__


@pytest.mark.parametrize(
    ("line", "status", "code"),
    [
        ("route 198.18.0.0/24", 501, "not_implemented"),
        ("ipinfo 198.18.0.1", 403, "scope_missing"),  # the measure scope: see test_ipinfo_api
        ("token", 403, "token_not_issued"),
        ("ping 198.18.0.1", 400, "is_a_measurement"),
        ("pnig 198.18.0.1", 400, "bad_command"),
    ],
)
async def test_commands_it_does_not_answer_get_their_status_and_code(
    line: str, status: int, code: str
) -> None:
    async with world() as w:
        answered = await answer(w, line)
    assert answered.status_code == status
    assert error_of(answered)["code"] == code


async def test_the_owner_cancels_a_running_measurement() -> None:
    async with world() as w, asyncio.timeout(WAIT):
        measurement_id = await start(w, "ping -c 3 -s ams1 198.18.0.1")
        cancelled = await w.client.delete(
            f"/api/v1/measurements/{measurement_id}", headers=w.auth()
        )
        again = await w.client.delete(f"/api/v1/measurements/{measurement_id}", headers=w.auth())
    assert cancelled.status_code == 200
    assert cancelled.json() == {"id": measurement_id, "status": "cancelled"}
    assert again.status_code == 409
    assert error_of(again)["code"] == "not_running"


async def test_someone_else_cannot_cancel_it_and_is_told_it_does_not_exist() -> None:
    async with world() as w, asyncio.timeout(WAIT):
        measurement_id = await start(w, "ping -c 3 -s ams1 198.18.0.1")
        refused = await w.client.delete(
            f"/api/v1/measurements/{measurement_id}", headers=w.auth(sub="mallory")
        )
        w.hub.cancel(measurement_id)
    assert refused.status_code == 404
    assert error_of(refused)["code"] == "not_found"


async def test_a_scan_is_drawn_as_a_png_for_its_owner_only() -> None:
    async with world() as w, asyncio.timeout(WAIT):
        measurement_id = await start(w, "scan -s fra1 198.18.0.0/28")
        await w.hub.wait(measurement_id)
        url = f"/api/v1/measurements/{measurement_id}/picture.png"
        drawn = await w.client.get(url, headers=w.auth())
        hidden = await w.client.get(url, headers=w.auth(sub="mallory"))
    assert drawn.status_code == 200
    assert drawn.headers["content-type"] == "image/png"
    assert Image.open(io.BytesIO(drawn.content)).format == "PNG"
    assert hidden.status_code == 404


def stored(command: str, *events: dict[str, object]) -> StoredMeasurement:
    rows = tuple(StoredEvent(seq, event) for seq, event in enumerate(events, start=1))
    return StoredMeasurement(
        "m1", command, {"command": command}, "alice", (), 0.0, "done", None, 1.0, rows, len(rows)
    )


def test_a_command_without_a_picture_is_a_no_picture_error() -> None:
    with pytest.raises(CloudpingError) as refused:
        drawn(stored("list"))
    assert refused.value.code == "no_picture"
    assert status_of(refused.value) == 404


def test_a_measurement_with_nothing_to_draw_yet_is_a_conflict() -> None:
    opening: dict[str, object] = {
        "type": "measurement",
        "id": "m1",
        "command": "scan x",
        "agents": [],
    }
    with pytest.raises(CloudpingError) as refused:
        drawn(stored("scan", opening))
    assert refused.value.code == "nothing_to_draw"
    assert status_of(refused.value) == 409
