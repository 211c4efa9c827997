"""How to type ``cloudping`` on this machine, for the lines the banners print.

``make run`` installs into ``.venv``, which is not on the PATH: a bare ``cloudping`` there
is "command not found". The banners print the script of the interpreter running now.
"""

from __future__ import annotations

import os
import shutil
import sys
from pathlib import Path

NAME = "cloudping"


def cloudping_command(cwd: Path | None = None, path: str | None = None) -> str:
    """``cloudping`` when the PATH finds this installation's script, else the script's path
    (relative when under ``cwd``), else ``python -m cloudping`` with this interpreter.

    Args:
        cwd: the directory the lines are typed in (default: the current one).
        path: the PATH to search (default: the environment's).
    """
    # sys.executable unresolved: a venv's bin/python is a link, and its bin/ holds the script.
    script = Path(sys.executable).parent / NAME
    if not script.exists():
        return f"{sys.executable} -m {NAME}"
    found = shutil.which(NAME, path=path)
    if found is not None and os.path.samefile(found, script):
        return NAME
    here = cwd or Path.cwd()
    return str(script.relative_to(here)) if script.is_relative_to(here) else str(script)
