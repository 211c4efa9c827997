"""The layers, read from the imports themselves (``ast``, lazy imports inside functions too):
the hub knows no channel, the renderers know only events and commands, and a channel reaches
the hub only through the command service (design.md "Shape")."""

from __future__ import annotations

import ast
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "cloudping"
CHANNELS = sorted(path.parent.name for path in (PACKAGE / "channels").glob("*/__init__.py"))
# What a channel never imports: it asks cloudping.service (or, as a client, cloudping.runner).
BELOW_THE_SERVICE = (
    "cloudping.hub",
    "cloudping.probes",
    "cloudping.transport",
    "cloudping.agent",
    "cloudping.measurement",
)
ABOVE_THE_HUB = (
    "cloudping.channels",
    "cloudping.edge",
    "cloudping.runner",
    "cloudping.serve",
    "cloudping.service",
)
RENDER_MAY_USE = ("cloudping.events", "cloudping.commands", "cloudping.render", "PIL")


def imports_of(source: Path, place: Path) -> Iterator[str]:
    """Every module the code in ``source`` imports, made absolute as if it stood at ``place``
    (a file of the package), wherever the import stands."""
    package = ".".join(place.relative_to(PACKAGE.parent).with_suffix("").parts[:-1])
    for node in ast.walk(ast.parse(source.read_text(), str(source))):
        if isinstance(node, ast.Import):
            yield from (alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level:
            base = package.rsplit(".", node.level - 1)[0]
            yield f"{base}.{node.module}" if node.module else base
        elif isinstance(node, ast.ImportFrom) and node.module:
            yield node.module


def under(module: str, prefixes: tuple[str, ...]) -> bool:
    """Whether ``module`` is one of ``prefixes`` or inside one."""
    return any(module == prefix or module.startswith(prefix + ".") for prefix in prefixes)


def offences(folder: str, allowed: Callable[[str], bool]) -> list[str]:
    """``file: module`` for each import under ``folder`` that ``allowed`` refuses."""
    return [
        f"{path.relative_to(PACKAGE)}: {module}"
        for path in sorted((PACKAGE / folder).rglob("*.py"))
        for module in imports_of(path, path)
        if not allowed(module)
    ]


def test_the_hub_imports_no_channel_and_no_service() -> None:
    assert offences("hub", lambda module: not under(module, ABOVE_THE_HUB)) == []


def test_the_renderers_import_only_events_commands_the_stdlib_and_pillow() -> None:
    def allowed(module: str) -> bool:
        top = module.split(".", maxsplit=1)[0]
        return under(module, RENDER_MAY_USE) or top in sys.stdlib_module_names

    assert offences("render", allowed) == []


@pytest.mark.parametrize("channel", CHANNELS)
def test_a_channel_reaches_the_hub_only_through_the_service(channel: str) -> None:
    assert offences(f"channels/{channel}", lambda m: not under(m, BELOW_THE_SERVICE)) == []


@pytest.mark.parametrize("folder", ["hub", "agent"])
def test_the_hub_and_the_agent_tell_an_observer_and_import_no_metrics(folder: str) -> None:
    metrics = ("cloudping.metrics", "prometheus_client")
    assert offences(folder, lambda module: not under(module, metrics)) == []


def test_the_http_edge_in_front_of_the_channels_reaches_no_hub_either() -> None:
    assert offences("edge", lambda m: not under(m, BELOW_THE_SERVICE)) == []


def test_ip_info_imports_no_hub_service_channel_or_probe() -> None:
    # The hub, the command service and a local run all use it: it sits below them.
    above = (*ABOVE_THE_HUB, "cloudping.hub", "cloudping.probes", "cloudping.agent")
    assert offences("ipinfo", lambda module: not under(module, above)) == []


def test_the_rule_sees_relative_and_lazy_imports(tmp_path: Path) -> None:
    source = tmp_path / "probe.py"
    source.write_text(
        "from . import exits\n\ndef f():\n    from ..api import app\n    import cloudping.hub\n"
    )
    found = list(imports_of(source, PACKAGE / "channels" / "cli" / "probe.py"))
    assert found == ["cloudping.channels.cli", "cloudping.channels.api", "cloudping.hub"]
    assert {"api", "cli", "email", "mcp", "signin", "telegram", "web"} <= set(CHANNELS)
