"""The audit hook of ``tests/loopaudit.py`` sees blocking I/O on a running loop, and only that."""

from __future__ import annotations

import asyncio
import socket
from pathlib import Path

from loopaudit import loop_audit

HERE = (str(Path(__file__).parent),)  # code under tests/hub counts as the code watched


def test_an_open_on_the_loops_thread_is_a_finding_naming_the_file_and_the_code(
    tmp_path: Path,
) -> None:
    path = tmp_path / "file"
    path.write_text("x")

    async def opens() -> None:
        path.read_text()

    with loop_audit(HERE) as findings:
        asyncio.run(opens())
    [finding] = findings
    assert finding.startswith(f"open({str(path)!r}) from {__file__}:")
    assert finding.endswith("in opens")


def test_the_same_open_in_a_worker_thread_or_outside_a_loop_is_not(tmp_path: Path) -> None:
    path = tmp_path / "file"
    path.write_text("x")

    async def delegates() -> None:
        await asyncio.to_thread(path.read_text)

    with loop_audit(HERE) as findings:
        asyncio.run(delegates())
        path.read_text()
    assert findings == []


def test_a_blocking_connect_on_the_loop_is_a_finding_and_asyncios_own_is_not() -> None:
    with socket.create_server(("127.0.0.1", 0)) as listener:
        address = listener.getsockname()

        async def connects() -> None:
            _, writer = await asyncio.open_connection(*address)
            writer.close()
            await writer.wait_closed()
            with socket.create_connection(address, timeout=5):
                pass

        with loop_audit(HERE) as findings:
            asyncio.run(connects())
    assert len(findings) == 1
    assert findings[0].startswith(f"connect({address!r}) on a blocking socket")
