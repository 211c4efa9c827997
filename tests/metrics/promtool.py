"""``promtool check metrics`` (Debian's ``prometheus`` package) on an exposition."""

from __future__ import annotations

import subprocess


def promtool_problems(exposition: bytes) -> str:
    """What ``promtool check metrics`` says about ``exposition`` ("" when clean)."""
    checked = subprocess.run(
        ["promtool", "check", "metrics"],
        input=exposition,
        capture_output=True,
        timeout=30,
        check=False,
    )
    said = (checked.stdout + checked.stderr).decode()
    return said if checked.returncode != 0 or said.strip() else ""
