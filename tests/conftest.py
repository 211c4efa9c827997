"""Fixtures shared by the whole suite, and the CI rule: in CI no lab test may be skipped.

`tests/` has no `__init__.py`, so pytest puts `tests/` on `sys.path` and the lab package is
imported as `lab` (`from lab import Lab, random_loss`).
"""

from __future__ import annotations

import os
import signal
from collections.abc import Generator, Iterator
from types import FrameType
from typing import NoReturn

import pytest
from lab import Lab, lab_available

LAB_FIXTURES = frozenset({"lab", "lab_ratelimited"})


def in_ci() -> bool:
    """Whether the `CI` environment variable is set (to anything but "", 0, false, no)."""
    return os.environ.get("CI", "").strip().lower() not in ("", "0", "false", "no")


def _build_lab(*, icmp_ratelimit: bool) -> Iterator[Lab]:
    reason = lab_available()
    if reason is not None:
        pytest.skip(reason)  # turned into a failure in CI by pytest_runtest_makereport
    with Lab.build(icmp_ratelimit=icmp_ratelimit) as built:
        yield built


@pytest.fixture(scope="session")
def lab() -> Iterator[Lab]:
    """The network lab, built once per session, ICMP rate limits off everywhere."""
    yield from _build_lab(icmp_ratelimit=False)


@pytest.fixture(scope="module")
def lab_ratelimited() -> Iterator[Lab]:
    """A second lab with the kernel's ICMP rate limits left on (per module)."""
    yield from _build_lab(icmp_ratelimit=True)


@pytest.fixture(scope="session", autouse=True)
def _no_proxy() -> Iterator[None]:
    """No test's HTTP goes through a proxy: httpx (and every child process) would send even
    requests for 127.0.0.1 to one named in the environment, off this machine."""
    with pytest.MonkeyPatch.context() as patch:
        for name in list(os.environ):
            if name.lower().endswith("_proxy"):
                patch.delenv(name)
        patch.setenv("NO_PROXY", "*")
        patch.setenv("no_proxy", "*")
        yield


def pytest_configure(config: pytest.Config) -> None:
    """Turn SIGTERM (a CI job cancelled or timed out) into KeyboardInterrupt.

    pytest then tears the fixtures down as on Ctrl-C, so no lab outlives the run; a SIGKILL
    leaves namespaces that the next `Lab.build()` removes as stale.
    """
    if signal.getsignal(signal.SIGTERM) is signal.SIG_DFL:
        signal.signal(signal.SIGTERM, _interrupt)


def _interrupt(signum: int, frame: FrameType | None) -> NoReturn:
    raise KeyboardInterrupt(f"signal {signum}")


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Mark every test that uses a lab fixture (directly or through another fixture) `lab`."""
    for item in items:
        if LAB_FIXTURES & set(getattr(item, "fixturenames", ())):
            item.add_marker(pytest.mark.lab)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(
    item: pytest.Item, call: pytest.CallInfo[None]
) -> Generator[None, pytest.TestReport, pytest.TestReport]:
    """In CI a skipped lab test fails: CI machines are set up to run every one of them."""
    report = yield
    lab_test = item.get_closest_marker("lab") is not None
    if report.skipped and lab_test and in_ci() and not hasattr(report, "wasxfail"):
        reason = report.longrepr[2] if isinstance(report.longrepr, tuple) else report.longrepr
        report.outcome = "failed"
        report.longrepr = f"lab test skipped in CI (CI is set; nothing may skip): {reason}"
    return report


@pytest.fixture
def anyio_backend() -> str:
    """Async tests (``pytest.mark.anyio``) run on asyncio, as cloudping does."""
    return "asyncio"
