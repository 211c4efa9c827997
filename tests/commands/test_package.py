"""The package's names load lazily from their submodules, and are the submodules' own."""

from __future__ import annotations

import ast
import importlib
from pathlib import Path

import pytest

import cloudping.commands
from cloudping.commands import _HOMES

INIT = Path(cloudping.commands.__file__)


def type_checking_imports() -> dict[str, str]:
    """Each name the ``if TYPE_CHECKING:`` block imports, and its submodule (what mypy sees)."""
    tree = ast.parse(INIT.read_text())
    block = next(node for node in tree.body if isinstance(node, ast.If))
    return {
        alias.name: node.module.removeprefix("cloudping.commands.")
        for node in block.body
        if isinstance(node, ast.ImportFrom) and node.module is not None
        for alias in node.names
    }


def test_what_mypy_sees_is_what_loads() -> None:
    assert type_checking_imports() == _HOMES


@pytest.mark.parametrize("name", sorted(_HOMES))
def test_each_name_is_its_submodules_own(name: str) -> None:
    home = importlib.import_module(f"cloudping.commands.{_HOMES[name]}")
    assert getattr(cloudping.commands, name) is getattr(home, name)


def test_an_unknown_name_is_an_attribute_error() -> None:
    with pytest.raises(AttributeError, match="no attribute 'parse_everything'"):
        _ = cloudping.commands.parse_everything
