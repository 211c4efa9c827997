"""The DNS probe reads the system resolver (/etc/resolv.conf) in a worker thread, never on
the event loop it shares with a hub (``cloudping up``): the audit hook of tests/loopaudit.py
would see the open."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from loopaudit import loop_audit

from cloudping.commands import DnsCommand
from cloudping.events import ErrorEvent, Event
from cloudping.probes.dns import probe as dns_probe
from cloudping.probes.dns.server import RESOLV_CONF
from cloudping.probes.env import ProbeEnv
from cloudping.probes.targets import PolicyDeniedError, TargetPolicy


class _RefuseAll(TargetPolicy):
    """A policy that refuses every address: whatever the resolver is, no query leaves."""

    def check(self, address: str, *, what: str = "target") -> None:
        raise PolicyDeniedError(f"{what} {address} refused by the test", address=address)


@pytest.mark.parametrize("trace", [False, True])
def test_the_system_resolver_is_read_off_the_event_loop(trace: bool) -> None:
    if not Path(RESOLV_CONF).exists():
        pytest.skip(f"no {RESOLV_CONF} on this machine")
    events: list[Event] = []

    async def ask() -> None:
        async with ProbeEnv(policy=_RefuseAll()) as env:
            await dns_probe.run(DnsCommand(names=("x.test",), trace=trace), env, events.append)

    with loop_audit() as findings:
        asyncio.run(asyncio.wait_for(ask(), 10))
    assert findings == []
    assert {event.code for event in events if isinstance(event, ErrorEvent)} == {"policy_denied"}
