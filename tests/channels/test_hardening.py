"""The API refuses what a remote caller must not do, and answers odd input with a clean 400:
no file named by a caller is opened, no lone surrogate or exotic digit makes a 500."""

from __future__ import annotations

import asyncio
import json
import os
from pathlib import Path

import pytest

from .world import WAIT, error_of, world

pytestmark = pytest.mark.anyio
MEASUREMENTS = "/api/v1/measurements"


@pytest.mark.parametrize("word", ["--ca {path}", "--ca={path}"])
async def test_a_text_ca_naming_a_fifo_is_400_at_once_and_the_fifo_is_never_opened(
    tmp_path: Path, word: str
) -> None:
    fifo = tmp_path / "fifo"
    os.mkfifo(fifo)  # opening it would block until somebody writes: the hub would freeze
    command = f"dns {word.format(path=fifo)} --transport dot --server 127.0.0.1 x.test"
    async with world(anonymous="guest") as w, asyncio.timeout(WAIT):
        response = await w.client.post(MEASUREMENTS, json={"command": command})
    assert response.status_code == 400
    error = error_of(response)
    assert error["message"] == (
        "dns: --ca names a file on your machine: send the certificate as ca_pem"
    )


async def test_the_structured_form_takes_certificates_as_ca_pem_never_a_path() -> None:
    # A run with real certificates through a hub: tests/cli/test_ca_option.py.
    names = {"command": "dns", "names": ["x.test"], "from": "fra1"}
    async with world() as w:
        headers = w.auth("measure")
        path = names | {"ca_pem": "/etc/passwd"}
        old = names | {"ca": "/etc/passwd"}
        as_pem = await w.client.post(MEASUREMENTS, json=path, headers=headers)
        as_ca = await w.client.post(MEASUREMENTS, json=old, headers=headers)
    assert as_pem.status_code == as_ca.status_code == 400
    assert "no readable PEM certificate" in error_of(as_pem)["message"]
    assert error_of(as_ca)["message"].startswith('dns: unknown field "ca"')


@pytest.mark.parametrize(
    "body",
    [
        '{"command": "ping \\ud800"}',
        '{"command": "ping", "targets": ["\\ud800"]}',
        '{"command": "ping \\udfff\\ud800 x"}',
    ],
)
async def test_a_lone_surrogate_is_a_clean_400_quoting_it_escaped(body: str) -> None:
    async with world() as w:
        headers = w.auth("measure") | {"Content-Type": "application/json"}
        response = await w.client.post(MEASUREMENTS, content=body.encode(), headers=headers)
        healthy = await w.client.get("/healthz")
    assert response.status_code == 400
    assert error_of(response)["code"] == "bad_command"
    assert "\\ud800" in response.content.decode("ascii", "backslashreplace")
    assert json.loads(response.content)["error"]["word"].startswith(("\ud800", "\udfff"))
    assert healthy.status_code == 200


@pytest.mark.parametrize("digits", ["\u00b9", "\u2460", "\uff11", "1\u00b2", "-1", ""])
async def test_a_seed_number_that_is_not_ascii_digits_is_400(digits: str) -> None:
    async with world() as w:
        query = {"targets": "example.com", "count": digits}
        response = await w.client.get("/ping", params=query, headers=w.auth("measure"))
    assert response.status_code == 400
    assert error_of(response)["message"].startswith("count must be a whole number")


@pytest.mark.parametrize("digits", ["\u00b9", "\u2460", "\uff11"])
async def test_an_events_cursor_that_is_not_ascii_digits_is_400(digits: str) -> None:
    async with world() as w:
        headers = w.auth("measure")
        body = {"command": "ping -c 1 -s fra1 example.com"}
        assert (await w.client.post(MEASUREMENTS, json=body, headers=headers)).status_code == 200
        url = f"{MEASUREMENTS}/m1/events"
        response = await w.client.get(url, params={"after": digits}, headers=headers)
        replay = await w.client.get(url, params={"after": "1"}, headers=headers)
    assert response.status_code == 400
    assert error_of(response)["message"].startswith("after must be a whole number of events")
    assert replay.status_code == 200
