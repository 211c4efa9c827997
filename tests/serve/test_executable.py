"""The `cloudping` the banners print is one the user can type here."""

from __future__ import annotations

import os
import sys
from pathlib import Path

from cloudping.serve.executable import cloudping_command

SCRIPT = Path(sys.executable).parent / "cloudping"


def test_the_bare_name_when_the_path_finds_this_installation() -> None:
    assert cloudping_command(path=str(SCRIPT.parent)) == "cloudping"


def test_the_scripts_path_relative_to_the_directory_it_is_under(tmp_path: Path) -> None:
    empty = str(tmp_path)  # a PATH with no cloudping on it
    venv_root = SCRIPT.parent.parent.parent
    command = cloudping_command(cwd=venv_root, path=empty)
    assert command == str(SCRIPT.relative_to(venv_root))
    assert os.access(venv_root / command, os.X_OK)


def test_the_absolute_path_from_elsewhere(tmp_path: Path) -> None:
    assert cloudping_command(cwd=tmp_path, path=str(tmp_path)) == str(SCRIPT)
