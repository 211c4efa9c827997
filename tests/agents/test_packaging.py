"""agents/: the hub's unit, the container image, the compose file and the one-line install
use only what the CLI has, run each process as its own user, and give the agent CAP_NET_RAW
and nothing else (the hub nothing at all)."""

from __future__ import annotations

import json
import re
import shlex
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from cloudping.hub.server import DEFAULT_CERT_NAME
from cloudping.serve import agent, hub, token

from .test_deploy_kit import INSTALLED, KIT, expand, unit_settings

HUB_UNIT = KIT / "cloudping-hub.service"
CONTAINERFILE = KIT / "Containerfile"
COMPOSE = KIT / "compose.yaml"
INSTALL = KIT / "install.sh"
PROMETHEUS = KIT / "prometheus.yml"


def check_command_line(words: list[str]) -> None:
    """``words`` (after ``cloudping``) are accepted by that process's own parser, and by its
    settings check where it has one; argparse's refusal is a SystemExit (the test fails)."""
    process, *rest = words
    if process == "hub":
        hub.configure(hub.parser().parse_args(rest))
    elif process == "agent":
        parsed = agent.parser().parse_args(rest)
        assert parsed.token is None, "a token on the command line shows in the process list"
    elif process == "token":
        token._parser().parse_args(rest)
    else:
        raise AssertionError(f"not a process of cloudping: {process}")


def containerfile_commands() -> Iterator[list[str]]:
    """Each stage's default command (``CMD [...]`` after the cloudping entry point)."""
    for line in CONTAINERFILE.read_text().splitlines():
        if line.startswith("CMD "):
            yield json.loads(line.removeprefix("CMD "))


def compose() -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.safe_load(COMPOSE.read_text())
    return loaded


def compose_commands() -> Iterator[list[str]]:
    """The cloudping command lines of the compose file: the services' commands, and the
    ``cloudping`` lines of shell scripts (``$$`` is compose's escape for ``$``)."""
    for service in compose()["services"].values():
        if service.get("build", {}).get("target") not in ("hub", "agent"):
            continue
        if "entrypoint" not in service:
            yield service["command"]
            continue
        for script in service["command"]:
            for line in script.replace("$$name", "fra1").splitlines():
                words = shlex.split(line)
                if f"{INSTALLED}" in words:
                    start = words.index(INSTALLED) + 1
                    yield words[start : words.index(">")] if ">" in words else words[start:]


def test_systemd_accepts_the_hub_unit_without_a_warning(tmp_path: Path) -> None:
    if shutil.which("systemd-analyze") is None:
        pytest.fail("systemd-analyze missing (package systemd)")
    unit = tmp_path / HUB_UNIT.name
    here = str(Path(sys.prefix) / "bin/cloudping")
    unit.write_text(HUB_UNIT.read_text().replace(INSTALLED, here))
    argv = ["systemd-analyze", "verify", str(unit)]
    verified = subprocess.run(argv, check=False, capture_output=True, text=True, timeout=60)
    assert (verified.returncode, verified.stderr) == (0, "")


def test_the_hub_unit_runs_as_its_own_user_with_no_capability_and_a_valid_command() -> None:
    settings = unit_settings(HUB_UNIT)
    assert settings["User"] == ["cloudping-hub"]
    assert settings["CapabilityBoundingSet"] == [""]
    assert settings["AmbientCapabilities"] == [""]
    assert settings["NoNewPrivileges"] == ["yes"]
    assert settings["ProtectSystem"] == ["strict"]
    [exec_start] = settings["ExecStart"]
    words = shlex.split(exec_start)
    assert words[0] == INSTALLED
    check_command_line(words[1:])
    assert f"/var/lib/{settings['StateDirectory'][0]}" in words  # --data-dir is its state


@pytest.mark.parametrize("words", list(containerfile_commands()), ids=lambda w: w[0])
def test_the_images_default_commands_are_accepted_by_the_cli(words: list[str]) -> None:
    if words == ["agent", "--help"]:
        with pytest.raises(SystemExit) as done:
            agent.parser().parse_args(words[1:])
        assert done.value.code == 0
    else:
        check_command_line(words)


def test_the_agent_image_gives_its_interpreter_cap_net_raw_only() -> None:
    text = CONTAINERFILE.read_text()
    assert re.findall(r"setcap (\S+)", text) == ["cap_net_raw+ep"]
    assert re.findall(r"^USER (\S+)", text, re.MULTILINE) == ["cloudping", "cloudping-agent"]
    assert 'ENTRYPOINT ["/opt/cloudping/bin/cloudping"]' in text


@pytest.mark.parametrize("words", list(compose_commands()), ids=lambda w: " ".join(w[:2]))
def test_the_compose_files_commands_are_accepted_by_the_cli(words: list[str]) -> None:
    check_command_line(words)


def test_compose_runs_a_hub_two_agents_with_cap_net_raw_only_and_prometheus() -> None:
    services = compose()["services"]
    agents = {n: s for n, s in services.items() if s.get("build", {}).get("target") == "agent"}
    assert len(agents) == 2
    for service in agents.values():
        assert (service["cap_drop"], service["cap_add"]) == (["ALL"], ["NET_RAW"])
        hub_at = service["command"][service["command"].index("--hub") + 1]
        # The agents check the hub's certificate chain and name: the service is that name.
        assert hub_at == f"{DEFAULT_CERT_NAME}:8443"
    assert services[DEFAULT_CERT_NAME]["cap_drop"] == ["ALL"]
    assert "cap_add" not in services[DEFAULT_CERT_NAME]
    scraped = yaml.safe_load(PROMETHEUS.read_text())["scrape_configs"]
    targets = {t for job in scraped for group in job["static_configs"] for t in group["targets"]}
    metrics = {f"{name}:9464" for name in [DEFAULT_CERT_NAME, *agents]}
    assert targets == metrics
    for name in metrics:
        service = services[name.partition(":")[0]]
        assert "0.0.0.0:9464" in service["command"]


def test_the_one_line_install_writes_settings_the_agent_unit_accepts(tmp_path: Path) -> None:
    argv = ["sh", str(INSTALL), "--print-env", "--hub", "hub.example.net:8443", "--name", "fra1"]
    argv += ["--hub-fingerprint", "AB:" * 31 + "AB", "--token-file", "/tmp/t"]
    argv += ["--country", "DE", "--tag", "edge", "--metrics-listen", "127.0.0.1:9464"]
    done = subprocess.run(argv, capture_output=True, text=True, timeout=30, check=True)
    env = dict(line.split("=", 1) for line in done.stdout.splitlines() if not line.startswith("#"))
    env["CREDENTIALS_DIRECTORY"] = str(tmp_path)
    [exec_start] = unit_settings()["ExecStart"]
    words = expand(exec_start, env)
    check_command_line(words[1:])
    assert words[words.index("--metrics-listen") + 1] == "127.0.0.1:9464"
    assert words[words.index("--name") + 1] == "fra1"


def test_the_one_line_install_refuses_without_its_named_options() -> None:
    argv = ["sh", str(INSTALL), "--name", "fra1"]
    done = subprocess.run(argv, check=False, capture_output=True, text=True, timeout=30)
    assert done.returncode == 2
    assert "--hub" in done.stderr
