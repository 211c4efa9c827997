"""Where ``cloudping up`` keeps its state unless told otherwise (the token commands too)."""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path


def default_data_dir(env: Mapping[str, str] | None = None) -> Path:
    """``$XDG_DATA_HOME/cloudping``, or ``~/.local/share/cloudping`` without it."""
    environ = os.environ if env is None else env
    home = environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(home) / "cloudping"
