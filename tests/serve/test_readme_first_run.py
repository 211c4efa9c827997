"""The README's first-run block, run in order on a fresh clone, works as written.

The block follows the ``<!-- first-run -->`` marker in the clone's README, so the README and
this test cannot drift. Its install line (``scripts/setup``) is stood in for by the suite's
own setup: the clone gets this suite's ``.venv`` by symlink (nothing is reinstalled) and
imports its own ``cloudping`` first (``PYTHONPATH``). ``up`` gets free ports with the
README's ``--listen``/``--agent-listen`` options, the later lines the same address; ``HOME``
is a fresh directory, so ``~/.local/share/cloudping`` is the clone's first data directory.
"""

from __future__ import annotations

import json
import os
import re
import socket
import subprocess
import sys
from pathlib import Path

import pytest
from upprocess import START_TIMEOUT_S, free_port, read_welcome

REPO = Path(__file__).resolve().parents[2]
MARKER = "<!-- first-run -->"
DEFAULT_URL = "127.0.0.1:8080"
STEP_TIMEOUT_S = 60


def first_run_block(readme: str) -> list[str]:
    """The commands of the fenced block after the marker, continued lines joined."""
    after = readme.split(MARKER, 1)[1]
    block = re.search(r"```sh\n(.*?)```", after, re.DOTALL)
    assert block is not None, "no ```sh block after the first-run marker"
    return [line for line in block.group(1).replace("\\\n", " ").splitlines() if line.strip()]


@pytest.fixture
def clone(tmp_path: Path) -> Path:
    """A fresh clone of this repository with the suite's ``.venv`` linked in."""
    target = tmp_path / "cloudping"
    subprocess.run(
        ["git", "clone", "--quiet", str(REPO), str(target)],
        check=True,
        timeout=STEP_TIMEOUT_S,
        capture_output=True,
    )
    (target / ".venv").symlink_to(Path(sys.executable).parent.parent)
    return target


def clone_env(clone: Path, home: Path) -> dict[str, str]:
    """A fresh user's environment in ``clone``: its own ``HOME``, no cloudping settings."""
    keep = {k: v for k, v in os.environ.items() if not k.startswith(("CLOUDPING_", "XDG_"))}
    return keep | {"HOME": str(home), "PYTHONPATH": str(clone)}


def bash(line: str, clone: Path, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["bash", "-c", line],
        cwd=clone,
        env=env,
        capture_output=True,
        text=True,
        check=False,
        timeout=STEP_TIMEOUT_S,
    )


def run_while_up(
    up_line: str, tried: list[str], clone: Path, env: dict[str, str]
) -> tuple[list[str], list[subprocess.CompletedProcess[str]]]:
    """Start ``up_line`` on free ports, run ``tried`` against it, stop it: its welcome and
    what each line did."""
    listen = f"127.0.0.1:{free_port(socket.SOCK_STREAM)}"
    agents = f"127.0.0.1:{free_port(socket.SOCK_DGRAM)}"
    argv = ["bash", "-c", f"exec {up_line} --listen {listen} --agent-listen {agents}"]
    up = subprocess.Popen(argv, cwd=clone, env=env, stdout=subprocess.PIPE, text=True)
    reader = None
    try:
        welcome, reader = read_welcome(up, START_TIMEOUT_S)
        results = [bash(line.replace(DEFAULT_URL, listen), clone, env) for line in tried]
    finally:
        up.terminate()
        stopped = up.wait(timeout=STEP_TIMEOUT_S)
        if reader is not None:
            reader.join(STEP_TIMEOUT_S)
    assert stopped == 0
    return welcome, results


def test_the_readme_first_run_lines_work_on_a_fresh_clone(clone: Path, tmp_path: Path) -> None:
    setup, up_line, *tried = first_run_block((clone / "README.md").read_text())
    assert setup.split()[0] == "scripts/setup"  # stood in for by the suite's own setup
    assert os.access(clone / "scripts" / "setup", os.X_OK)
    up_line = up_line.split("#")[0].strip()
    assert up_line == ".venv/bin/cloudping up"
    assert [line.split()[0] for line in tried] == ["curl", ".venv/bin/cloudping"]
    home = tmp_path / "home"
    home.mkdir()
    env = clone_env(clone, home)
    which = bash(".venv/bin/python -c 'import cloudping; print(cloudping.__file__)'", clone, env)
    assert Path(which.stdout.strip()).is_relative_to(clone)  # the clone's code runs

    welcome, (curl, ping) = run_while_up(up_line, tried, clone, env)

    assert f"data in {home}/.local/share/cloudping" in "\n".join(welcome)
    assert curl.returncode == 0, curl.stderr
    events = [json.loads(line) for line in curl.stdout.splitlines()]
    assert [event["type"] for event in events].count("reply") == 3
    assert events[-1]["status"] == "ok"
    assert ping.returncode == 0, ping.stderr
    assert "1 packets transmitted, 1 received" in ping.stdout
