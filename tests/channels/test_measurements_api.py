"""POST /measurements streams or starts a measurement; GET reads it back and follows it."""

from __future__ import annotations

import asyncio
import dataclasses

import jsonschema
import pytest

from cloudping.events import published_schema
from cloudping.policy import DEFAULT_LIMITS
from cloudping.store import MemoryStore

from .world import WAIT, error_of, lines, world

pytestmark = pytest.mark.anyio


async def test_a_streamed_ping_is_ndjson_from_measurement_to_end_valid_events() -> None:
    async with world() as w:
        body = {"command": "ping -c 2 -s fra1 example.com"}
        response = await w.client.post("/api/v1/measurements", json=body, headers=w.auth("measure"))
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/x-ndjson")
    events = lines(response)
    assert events[0]["type"] == "measurement"
    assert events[-1]["type"] == "end"
    assert [e["type"] for e in events].count("reply") == 2
    for event in events:
        jsonschema.validate(event, published_schema())


async def test_the_structured_form_of_a_command_runs_too() -> None:
    async with world() as w:
        body = {"command": "ping", "targets": ["example.com"], "count": 2, "from": "fra1"}
        response = await w.client.post("/api/v1/measurements", json=body, headers=w.auth("measure"))
    assert response.status_code == 200
    assert lines(response)[-1]["type"] == "end"


async def test_a_background_run_answers_202_and_is_read_back_and_replayed() -> None:
    async with world() as w:
        body = {"command": "ping -c 2 -s fra1 example.com", "background": True}
        headers = w.auth("measure")
        started = await w.client.post("/api/v1/measurements", json=body, headers=headers)
        assert started.status_code == 202
        measurement_id = started.json()["id"]
        async with asyncio.timeout(WAIT):
            await w.hub.wait(measurement_id)
        stored = await w.client.get(f"/api/v1/measurements/{measurement_id}", headers=headers)
        replay = await w.client.get(
            f"/api/v1/measurements/{measurement_id}/events", headers=headers
        )
    assert stored.status_code == 200
    assert stored.json()["status"] == "done"
    assert stored.json()["command"].startswith("ping")
    assert lines(replay) == stored.json()["events"]


async def test_following_a_running_measurement_gets_the_events_stored_after_the_request() -> None:
    async with world() as w:
        body = {"command": "ping -c 2 -s ams1 example.com", "background": True}
        headers = w.auth("measure")
        started = await w.client.post("/api/v1/measurements", json=body, headers=headers)
        measurement_id = started.json()["id"]
        url = f"/api/v1/measurements/{measurement_id}/events"
        async with asyncio.timeout(WAIT):
            await w.links["ams1"].played.wait()
            follower = asyncio.create_task(w.client.get(url, headers=headers))
            await asyncio.sleep(0.05)  # lets the follower replay and start polling
            w.links["ams1"].finish(w.links["ams1"].offers[0][0])
            followed = await follower
    types = [event["type"] for event in lines(followed)]
    assert types[0] == "measurement"
    assert "summary" in types
    assert types[-1] == "end"


async def test_events_after_a_seq_skip_the_ones_the_client_has() -> None:
    async with world() as w:
        body = {"command": "ping -c 2 -s fra1 example.com", "background": True}
        headers = w.auth("measure")
        measurement_id = (
            await w.client.post("/api/v1/measurements", json=body, headers=headers)
        ).json()["id"]
        async with asyncio.timeout(WAIT):
            await w.hub.wait(measurement_id)
        url = f"/api/v1/measurements/{measurement_id}/events?after=1"
        replay = await w.client.get(url, headers=headers)
    assert lines(replay)[0]["type"] != "measurement"


async def test_an_unknown_measurement_is_404() -> None:
    async with world() as w:
        response = await w.client.get("/api/v1/measurements/nope", headers=w.auth())
    assert response.status_code == 404
    assert error_of(response)["code"] == "not_found"


async def test_someone_elses_measurement_is_404_but_an_admin_sees_it() -> None:
    async with world() as w:
        body = {"command": "ping -c 1 -s fra1 example.com", "background": True}
        started = await w.client.post("/api/v1/measurements", json=body, headers=w.auth("measure"))
        url = f"/api/v1/measurements/{started.json()['id']}"
        async with asyncio.timeout(WAIT):
            await w.hub.wait(started.json()["id"])
        bob = await w.client.get(url, headers=w.auth(sub="bob"))
        admin = await w.client.get(url, headers=w.auth("admin", sub="root"))
    assert bob.status_code == 404
    assert admin.status_code == 200


async def test_a_bad_command_is_400_naming_the_word_with_the_usage() -> None:
    async with world() as w:
        body = {"command": "ping -c zero example.com"}
        response = await w.client.post("/api/v1/measurements", json=body, headers=w.auth("measure"))
    assert response.status_code == 400
    error = error_of(response)
    assert error["code"] == "bad_command"
    assert error["word"] == "zero"
    assert error["usage"].startswith("usage: ping")


async def test_a_body_that_is_not_json_is_400() -> None:
    async with world() as w:
        response = await w.client.post(
            "/api/v1/measurements", content=b"{nope", headers=w.auth("measure")
        )
    assert response.status_code == 400
    assert error_of(response)["code"] == "bad_request"


async def test_a_selection_nobody_matches_is_422_no_agent_matched() -> None:
    async with world() as w:
        body = {"command": "ping -s JP example.com"}
        response = await w.client.post("/api/v1/measurements", json=body, headers=w.auth("measure"))
    assert response.status_code == 422
    assert error_of(response)["code"] == "no_agent_matched"


async def test_a_command_that_is_not_a_measurement_is_400() -> None:
    async with world() as w:
        body = {"command": "list DE"}
        response = await w.client.post("/api/v1/measurements", json=body, headers=w.auth("measure"))
    assert response.status_code == 400
    assert error_of(response)["code"] == "not_a_measurement"


async def stored_by_a_gone_hub(store: MemoryStore, measurement_id: str) -> None:
    """A measurement as a hub that died mid-run left it: ``running``, with one event."""
    await store.create(
        measurement_id,
        command="ping -c 100 example.com",
        command_json={"command": "ping", "targets": ["example.com"]},
        subject="alice",
        agents=["fra1"],
        created_at=0.0,
    )
    await store.append_event(measurement_id, 1, {"type": "measurement", "id": measurement_id})


async def test_following_a_measurement_no_live_hub_runs_ends_after_the_replay() -> None:
    async with world() as w:
        await stored_by_a_gone_hub(w.store, "orphan")
        async with asyncio.timeout(WAIT):
            followed = await w.client.get("/api/v1/measurements/orphan/events", headers=w.auth())
    assert [event["type"] for event in lines(followed)] == ["measurement"]


async def test_an_interrupted_measurement_reads_back_with_its_end() -> None:
    async with world() as w:
        await stored_by_a_gone_hub(w.store, "crashed")
        await w.store.interrupt_running(5.0)
        stored = await w.client.get("/api/v1/measurements/crashed", headers=w.auth())
        async with asyncio.timeout(WAIT):
            followed = await w.client.get("/api/v1/measurements/crashed/events", headers=w.auth())
    assert stored.json()["status"] == "interrupted"
    assert lines(followed)[-1] | {"duration_ms": 0} == {
        "type": "end",
        "id": "crashed",
        "status": "interrupted",
        "duration_ms": 0,
        "agent": None,
        "target": None,
    }


async def test_a_numeric_s_over_the_api_is_a_bad_command_naming_size() -> None:
    async with world() as w:
        body = {"command": "ping -s 100 -c 1 198.18.3.2"}
        response = await w.client.post("/api/v1/measurements", json=body, headers=w.auth("measure"))
    assert response.status_code == 400
    error = error_of(response)
    assert error["code"] == "bad_command"
    assert "-s selects agents; the payload size is --size" in error["message"]


async def test_the_largest_limit_is_the_hubs_setting() -> None:
    body = {"command": "ping -c 1 -s fra1 --limit 80 example.com"}
    async with world() as w:  # the grammar's default: at most 50
        refused = await w.client.post("/api/v1/measurements", json=body, headers=w.auth("measure"))
    assert refused.status_code == 400
    assert error_of(refused)["code"] == "bad_command"
    async with world(limits=dataclasses.replace(DEFAULT_LIMITS, selection_limit_max=100)) as w:
        ran = await w.client.post("/api/v1/measurements", json=body, headers=w.auth("measure"))
    assert ran.status_code == 200
    assert lines(ran)[-1]["type"] == "end"
