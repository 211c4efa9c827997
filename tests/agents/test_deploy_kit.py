"""agents/: the systemd unit and its settings example stay true to ``cloudping agent``."""

from __future__ import annotations

import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from cloudping.serve import agent as cli

KIT = Path(__file__).resolve().parents[2] / "agents"
UNIT = KIT / "cloudping-agent.service"
ENV = KIT / "agent.env.example"
INSTALLED = "/opt/cloudping/bin/cloudping"
TOKEN = "t0k3n"  # noqa: S105 (a stand-in)


def unit_settings(unit: Path = UNIT) -> dict[str, list[str]]:
    """``Key=value`` lines of the unit (a key may repeat)."""
    settings: dict[str, list[str]] = {}
    for line in unit.read_text().splitlines():
        if "=" in line and not line.startswith(("#", "[")):
            key, _, value = line.partition("=")
            settings.setdefault(key.strip(), []).append(value.strip())
    return settings


def example_environment() -> dict[str, str]:
    """The example ``EnvironmentFile``: ``KEY=value`` lines, as systemd reads them."""
    pairs = (line.partition("=") for line in ENV.read_text().splitlines())
    return {key: value for key, eq, value in pairs if eq and not key.startswith("#")}


def expand(command: str, env: dict[str, str]) -> list[str]:
    """systemd's ExecStart expansion: ``${X}`` is one word, ``$X`` splits at white space."""
    words: list[str] = []
    for word in shlex.split(command):
        if re.fullmatch(r"\$\w+", word):
            words.extend(env[word[1:]].split())
        else:
            words.append(re.sub(r"\$\{(\w+)\}", lambda m: env[m.group(1)], word))
    return words


@pytest.mark.skipif(shutil.which("systemd-analyze") is None, reason="systemd-analyze missing")
def test_systemd_accepts_the_unit_without_a_warning(tmp_path: Path) -> None:
    # verify checks that ExecStart's program exists: point it at this checkout's cloudping.
    unit = tmp_path / UNIT.name
    unit.write_text(UNIT.read_text().replace(INSTALLED, str(Path(sys.prefix) / "bin/cloudping")))
    argv = ["systemd-analyze", "verify", str(unit)]
    verified = subprocess.run(argv, check=False, capture_output=True, text=True, timeout=60)
    assert verified.returncode == 0
    assert verified.stderr == ""


def test_the_unit_runs_as_its_own_user_with_only_cap_net_raw() -> None:
    settings = unit_settings()
    assert settings["User"] == ["cloudping-agent"]
    assert settings["AmbientCapabilities"] == ["CAP_NET_RAW"]
    assert settings["CapabilityBoundingSet"] == ["CAP_NET_RAW"]
    assert settings["NoNewPrivileges"] == ["yes"]
    assert settings["EnvironmentFile"] == ["/etc/cloudping/agent.env"]


def test_the_exec_line_with_the_example_settings_starts_an_agent(tmp_path: Path) -> None:
    (tmp_path / "agent-token").write_text(TOKEN + "\n")
    env = example_environment() | {"CREDENTIALS_DIRECTORY": str(tmp_path)}
    [exec_start] = unit_settings()["ExecStart"]
    words = expand(exec_start, env)
    assert words[:2] == [INSTALLED, "agent"]
    assert "--token" not in words  # never on the command line: the process list shows it
    config = cli.settings(cli.parser().parse_args(words[2:]), cli.capabilities(lambda: True))
    assert config.hello.name == env["CLOUDPING_AGENT_NAME"]
    assert config.hello.token == TOKEN
    assert config.hello.attributes.country == "DE"
    assert config.trust.pin is not None


def test_a_token_file_that_cannot_be_read_stops_the_agent_naming_it(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    missing = tmp_path / "nothing-here"
    argv = ["--hub", "hub.example.net:4433", "--name", "fra1", "--token-file", str(missing)]
    argv += ["--hub-fingerprint", "AB:" * 31 + "AB"]
    assert cli.main(argv) == 2
    assert str(missing) in capsys.readouterr().err
