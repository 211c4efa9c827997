"""The channel-neutral measurement service checks the ``measure`` scope itself, so a channel
that forgets to cannot run measurements for a token without it."""

from __future__ import annotations

import asyncio

import pytest

from cloudping.auth import AuthError
from cloudping.commands import parse
from cloudping.hub import Hub, MemoryRegistry
from cloudping.service import ApiSettings, Caller, CommandService
from cloudping.service.settings import Quota
from cloudping.store import MemoryStore

READ_ONLY = Caller(subject="bob", scopes=frozenset(), quota=Quota(10, 10))


def test_run_and_start_refuse_a_caller_without_the_measure_scope() -> None:
    async def scenario() -> list[str]:
        store = MemoryStore()
        service = CommandService(Hub(MemoryRegistry(), store), store, ApiSettings())
        command = parse("ping -c 1 198.18.3.2")
        codes = []
        for attempt in (
            service.run(READ_ONLY, command, lambda _: None),
            service.start(READ_ONLY, command),
        ):
            with pytest.raises(AuthError) as refused:
                await attempt
            codes.append(refused.value.code)
        return codes

    assert asyncio.run(scenario()) == ["scope_missing", "scope_missing"]
