"""Retention: old measurements leave the store on start and on every sweep; the hub's options."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from cloudping.commands import parse
from cloudping.errors import CloudpingError
from cloudping.hub.measurements import HubSettings
from cloudping.hub.retention import DAY_S, Retention, retention
from cloudping.hub.server import HubServerSettings
from cloudping.serve.http import ApiListen
from cloudping.serve.hub import configure, grammar_limits, parser, user_quota
from cloudping.serve.up import parser as up_parser
from cloudping.service import ApiSettings, CommandService
from cloudping.service.caller import token_caller
from cloudping.store.base import MeasurementStore
from cloudping.store.memory import MemoryStore
from cloudping.store.model import MeasurementNotFoundError
from cloudping.testing import ScriptedAgent, scripted_hub

NOW = 1_800_000_000.0
WAIT_S = 5.0


async def _create(store: MeasurementStore, mid: str, created_at: float) -> None:
    await store.create(
        mid,
        command="ping 127.0.0.1",
        command_json={"command": "ping", "targets": ["127.0.0.1"]},
        subject=None,
        agents=("local",),
        created_at=created_at,
    )


async def _exists(store: MeasurementStore, mid: str) -> bool:
    try:
        await store.get(mid)
    except MeasurementNotFoundError:
        return False
    return True


def test_the_first_sweep_runs_on_start_and_keeps_what_is_recent() -> None:
    async def scenario() -> bool:
        store = MemoryStore()
        await _create(store, "old", NOW - 31 * DAY_S)
        await _create(store, "new", NOW - 29 * DAY_S)
        # An interval far beyond the test: only the sweep made at start can remove "old".
        async with retention(store, Retention(keep_s=30 * DAY_S, interval_s=DAY_S), lambda: NOW):
            async with asyncio.timeout(WAIT_S):
                while await _exists(store, "old"):
                    await asyncio.sleep(0.01)
            return await _exists(store, "new")

    assert asyncio.run(scenario())


def test_later_sweeps_remove_what_has_aged_since() -> None:
    async def scenario() -> bool:
        store = MemoryStore()
        clock = [NOW]
        await _create(store, "m", NOW - 10)
        async with retention(store, Retention(keep_s=60, interval_s=0.01), lambda: clock[0]):
            assert await _exists(store, "m")
            clock[0] = NOW + 120  # the measurement is now older than the retention
            async with asyncio.timeout(WAIT_S):
                while await _exists(store, "m"):
                    await asyncio.sleep(0.01)
            return True

    assert asyncio.run(scenario())


def test_no_retention_keeps_everything() -> None:
    async def scenario() -> bool:
        store = MemoryStore()
        await _create(store, "ancient", 0.0)
        async with retention(store, Retention(keep_s=None), lambda: NOW):
            return await _exists(store, "ancient")

    assert asyncio.run(scenario())


@pytest.mark.parametrize("keep_s", [0.0, -1.0])
def test_a_retention_that_is_not_positive_is_refused(keep_s: float) -> None:
    with pytest.raises(ValueError, match="retention must be positive"):
        Retention(keep_s=keep_s)


def test_hub_options_set_guests_coordinates_and_retention(tmp_path: Path) -> None:
    args = parser().parse_args(
        [
            "--data-dir",
            str(tmp_path),
            "--agent-listen",
            "127.0.0.1:9443",
            "--listen",
            "127.0.0.1:9080",
            "--anonymous",
            "guest",
            "--guest-anywhere",
            "--expose-coordinates",
            "--retention-days",
            "7",
        ]
    )
    settings, api = configure(args)
    assert api is not None
    assert (api.host, api.port) == ("127.0.0.1", 9080)
    assert api.settings.anonymous == "guest"
    assert not api.settings.guest_loopback_only
    assert api.settings.expose_coordinates
    assert settings.retention.keep_s == 7 * DAY_S


def test_hub_defaults_refuse_guests_and_keep_thirty_days(tmp_path: Path) -> None:
    args = parser().parse_args(
        ["--data-dir", str(tmp_path), "--agent-listen", "127.0.0.1:9443", "--listen", "[::1]:9080"]
    )
    settings, api = configure(args)
    assert api is not None
    assert api.settings.anonymous == "off"
    assert api.settings.guest_loopback_only
    assert not api.settings.expose_coordinates
    assert settings.retention.keep_s == 30 * DAY_S
    assert api.mcp.enabled
    assert not api.mcp.stateless
    assert api.http.allowed_hosts == ()
    assert api.http.max_connections == 1_000
    assert api.http.header_timeout_s == 10.0


def test_mcp_and_http_options_reach_their_settings(tmp_path: Path) -> None:
    words = ["--data-dir", str(tmp_path), "--agent-listen", "127.0.0.1:1", "--listen", "[::1]:2"]
    # --mcp-allowed-* are the old names of --allowed-*, for every route now.
    more = ["--mcp-stateless", "--mcp-allowed-host", "hub.example:*"]
    more += ["--allowed-host", "hub.example:443", "--mcp-allowed-origin", "https://a.example"]
    more += ["--allowed-origin", "https://b.example", "--max-connections", "50"]
    more += ["--header-timeout", "3", "--trusted-proxy", "198.18.0.0/24"]
    _, api = configure(parser().parse_args([*words, *more]))
    assert api is not None
    assert api.mcp.stateless
    assert api.http.allowed_hosts == ("hub.example:*", "hub.example:443")
    assert api.http.allowed_origins == ("https://a.example", "https://b.example")
    assert (api.http.max_connections, api.http.header_timeout_s) == (50, 3.0)
    assert [str(net) for net in api.settings.trusted_proxies] == ["198.18.0.0/24"]
    _, off = configure(parser().parse_args([*words, "--no-mcp"]))
    assert off is not None
    assert not off.mcp.enabled


def test_zero_retention_days_keeps_forever(tmp_path: Path) -> None:
    args = parser().parse_args(
        ["--data-dir", str(tmp_path), "--agent-listen", "127.0.0.1:9443", "--retention-days", "0"]
    )
    assert configure(args)[0].retention.keep_s is None


@pytest.mark.parametrize("days", ["-1", "soon", "99999", "0.01"])
def test_bad_retention_days_is_a_usage_error(
    days: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as stop:
        parser().parse_args(
            ["--data-dir", str(tmp_path), "--agent-listen", "127.0.0.1:1", "--retention-days", days]
        )
    assert stop.value.code == 2
    assert "--retention-days" in capsys.readouterr().err


@pytest.mark.parametrize(
    "option",
    [
        ["--anonymous", "guest"],
        ["--guest-anywhere"],
        ["--expose-coordinates"],
        ["--no-mcp"],
        ["--mcp-stateless"],
        ["--allowed-host", "hub.example:443"],
        ["--allowed-origin", "https://a.example"],
        ["--max-connections", "10"],
        ["--header-timeout", "3"],
        ["--trusted-proxy", "198.18.0.1"],
    ],
)
def test_api_options_without_listen_are_refused_by_name(option: list[str], tmp_path: Path) -> None:
    args = parser().parse_args(
        ["--data-dir", str(tmp_path), "--agent-listen", "127.0.0.1:1", *option]
    )
    with pytest.raises(ValueError, match=f"{option[0]} needs --listen"):
        configure(args)


def test_a_failing_store_does_not_stop_the_hub_and_is_swept_again() -> None:
    class Flaky(MemoryStore):
        def __init__(self) -> None:
            super().__init__()
            self.calls = 0

        async def purge_older_than(self, cutoff: float) -> int:
            self.calls += 1
            if self.calls == 1:
                raise OSError("database is locked")
            return await super().purge_older_than(cutoff)

    async def scenario() -> bool:
        store = Flaky()
        await _create(store, "old", NOW - 100)
        async with retention(store, Retention(keep_s=60, interval_s=0.01), lambda: NOW):
            async with asyncio.timeout(WAIT_S):
                while await _exists(store, "old"):
                    await asyncio.sleep(0.01)
        return store.calls >= 2

    assert asyncio.run(scenario())


# -- the caps on one measurement's size ------------------------------------------------------


def _capped(tmp_path: Path, *more: str) -> tuple[HubServerSettings, ApiListen | None]:
    words = ["--data-dir", str(tmp_path), "--agent-listen", "127.0.0.1:9443"]
    return configure(parser().parse_args([*words, *more]))


async def _admitted(hub_settings: HubSettings, api: ApiSettings) -> str:
    """What a token holder's ping of 10 targets from 6 agents (60 jobs) gives: a measurement
    id, or the error code that refused it."""
    agents = [ScriptedAgent(f"fra{n}", country="DE") for n in range(6)]
    words = " ".join(f"198.18.3.{n}" for n in range(1, 11))
    async with scripted_hub(*agents, settings=hub_settings) as hub:
        service = CommandService(hub, hub.store, api)
        caller = token_caller("alice", ["measure"], api)
        try:
            return await service.start(caller, parse(f"ping -c 1 -s DE --limit 6 {words}"))
        except CloudpingError as exc:
            return exc.code


def test_max_jobs_and_user_jobs_set_how_big_a_measurement_may_be(tmp_path: Path) -> None:
    settings, api = _capped(tmp_path, "--listen", "127.0.0.1:8080", "--max-jobs", "60")
    assert api is not None
    # 60 jobs: over the default 50, within --max-jobs 60, over the user quota.
    assert asyncio.run(_admitted(settings.hub, api.settings)) == "quota_exceeded"
    settings, api = _capped(
        tmp_path, "--listen", "127.0.0.1:8080", "--max-jobs", "60", "--user-jobs", "60"
    )
    assert api is not None
    assert asyncio.run(_admitted(settings.hub, api.settings)).startswith("m")
    default, _ = _capped(tmp_path)
    assert default.hub.max_jobs == 50
    assert asyncio.run(_admitted(default.hub, api.settings)) == "quota_exceeded"


def test_max_limit_sets_the_largest_limit_of_the_apis_grammar(tmp_path: Path) -> None:
    _, api = _capped(tmp_path, "--listen", "127.0.0.1:8080", "--max-limit", "1000")
    assert api is not None
    assert api.settings.limits.selection_limit_max == 1000
    _, default = _capped(tmp_path, "--listen", "127.0.0.1:8080")
    assert default is not None
    assert default.settings.limits.selection_limit_max == 50


def test_api_caps_need_listen_and_the_caps_are_whole_numbers_from_1(tmp_path: Path) -> None:
    for option in ("--user-jobs", "--max-limit"):
        with pytest.raises(ValueError, match=f"{option} needs --listen"):
            _capped(tmp_path, option, "10")
    for bad in ("0", "many"):
        with pytest.raises(SystemExit):
            _capped(tmp_path, "--max-jobs", bad)


def test_up_takes_the_same_caps() -> None:
    args = up_parser().parse_args(["--max-jobs", "2000", "--user-jobs", "1000", "--max-limit", "9"])
    assert (args.max_jobs, user_quota(args).jobs_per_measurement) == (2000, 1000)
    assert grammar_limits(args).selection_limit_max == 9
