"""render/ stays a leaf every channel can use: it imports the events, the command models, the
standard library and Pillow, and nothing of a channel, the hub or a probe."""

from __future__ import annotations

import ast
import sys
from pathlib import Path

import cloudping.render

ALLOWED = ("cloudping.events", "cloudping.commands", "cloudping.render")
THIRD_PARTY = frozenset({"PIL"})


def imported(path: Path) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            names |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            names.add(node.module)
    return names


def test_render_imports_only_events_commands_stdlib_and_pillow() -> None:
    root = Path(cloudping.render.__file__).parent
    modules = sorted(root.rglob("*.py"))
    assert len(modules) > 10
    for path in modules:
        for name in imported(path):
            top = name.split(".")[0]
            ok = (
                name.startswith(ALLOWED)
                or top in sys.stdlib_module_names
                or top in THIRD_PARTY
                or name == "__future__"
            )
            assert ok, f"{path.relative_to(root)} imports {name}"
