"""`cloudping up --help` shows the defaults a first run uses."""

from __future__ import annotations

import os
import re
import subprocess
from pathlib import Path

from upprocess import cloudping_argv


def test_up_help_shows_its_defaults(tmp_path: Path) -> None:
    env = os.environ | {"XDG_DATA_HOME": str(tmp_path), "COLUMNS": "200"}
    done = subprocess.run(
        cloudping_argv("up", "--help"),
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
        env=env,
    )
    # One entry per option, its wrapped lines joined.
    entries = [" ".join(entry.split()) for entry in re.split(r"\n(?=  -)", done.stdout)]
    lines = {entry.split()[0]: entry for entry in entries if entry.startswith("--")}
    assert lines["--data-dir"].endswith(f"(default: {tmp_path / 'cloudping'})")
    assert lines["--listen"].endswith("(default: 127.0.0.1:8080)")
    assert lines["--agent-listen"].endswith("(default: 127.0.0.1:8443)")
    assert lines["--serve"].endswith("(default: none besides loopback)")
    assert "(default: None)" not in done.stdout
    assert "(default: [])" not in done.stdout
