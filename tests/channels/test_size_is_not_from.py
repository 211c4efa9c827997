"""``-s`` is ``--from`` over the API too: a numeric ``-s`` is refused, pointing at ``--size``."""

from __future__ import annotations

import pytest

from .world import error_of, world

pytestmark = pytest.mark.anyio


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


async def test_a_numeric_s_over_the_api_is_a_bad_command_naming_size() -> None:
    async with world() as w:
        body = {"command": "ping -s 100 -c 1 198.18.3.2"}
        response = await w.client.post("/api/v1/measurements", json=body, headers=w.auth("measure"))
    assert response.status_code == 400
    error = error_of(response)
    assert error["code"] == "bad_command"
    assert "-s selects agents; the payload size is --size" in error["message"]
