"""Flag > environment > file > default; errors name the key and the line; --print-config."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from cloudping.auth import DEFAULT_ISSUER
from cloudping.main import main
from cloudping.serve import agent, hub
from cloudping.settings import SettingsError, load_settings, resolve
from cloudping.settings.tables import TableRule

from .processes import process_parser

HUB_BASE = ["--data-dir", "/srv/cloudping", "--agent-listen", "198.18.0.1:4433"]
AGENT_TOKEN = "eyJhbGciOiJFZERTQSJ9.eyJzdWIiOiJmcmExIn0.c2lnbmF0dXJl"  # noqa: S105 (a stand-in)


def settings_file(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "cloudping.toml"
    path.write_text(text, encoding="utf-8")
    return path


def heartbeat(argv: list[str], env: dict[str, str]) -> tuple[Any, str]:
    settings = resolve(process_parser("hub"), [*HUB_BASE, *argv], env)
    found = next(s for s in settings.settings if s.option.key == "heartbeat")
    return found.value, found.source


def test_a_flag_wins_over_the_environment_which_wins_over_the_file(tmp_path: Path) -> None:
    config = ["--config", str(settings_file(tmp_path, "# hub\nheartbeat = 5\n"))]
    env = {"CLOUDPING_HEARTBEAT": "6"}
    assert heartbeat([*config, "--heartbeat", "7"], env) == (7.0, "flag --heartbeat")
    assert heartbeat(config, env) == (6.0, "env CLOUDPING_HEARTBEAT")
    assert heartbeat(config, {}) == (5.0, f"{tmp_path / 'cloudping.toml'}:2")
    assert heartbeat([], {}) == (15.0, "default")


def test_a_list_given_as_flags_replaces_the_files_list(tmp_path: Path) -> None:
    path = settings_file(tmp_path, 'allowed_host = ["a.example", "b.example"]\n')
    argv = [*HUB_BASE, "--config", str(path)]
    parser = process_parser("hub")
    assert resolve(parser, argv, {}).namespace.allowed_host == ["a.example", "b.example"]
    given = resolve(parser, [*argv, "--allowed-host", "c.example"], {})
    assert given.namespace.allowed_host == ["c.example"]


def test_the_issuer_still_comes_from_cloudping_issuer() -> None:
    parser = process_parser("hub")
    assert resolve(parser, HUB_BASE, {}).namespace.issuer == DEFAULT_ISSUER
    env = {"CLOUDPING_ISSUER": "https://hub.example.net"}
    assert resolve(parser, HUB_BASE, env).namespace.issuer == "https://hub.example.net"


def test_required_options_may_come_from_the_file_and_the_config_from_the_environment(
    tmp_path: Path,
) -> None:
    token_file = tmp_path / "agent.token"
    token_file.write_text(AGENT_TOKEN + "\n", encoding="utf-8")
    path = settings_file(
        tmp_path,
        f'hub = "198.18.0.1:4433"\nname = "fra1"\ntoken_file = "{token_file}"\n'
        'hub_ca = "/etc/cloudping/hub.pem"\ncountry = "DE"\n',
    )
    args = resolve(process_parser("agent"), [], {"CLOUDPING_CONFIG": str(path)}).namespace
    assert (args.hub, args.name, args.country, args.hub_ca) == (
        "198.18.0.1:4433", "fra1", "DE", "/etc/cloudping/hub.pem"
    )  # fmt: skip
    assert agent.agent_token(args) == AGENT_TOKEN


def test_a_flag_of_an_exclusive_group_silences_the_files_other_member(tmp_path: Path) -> None:
    path = settings_file(tmp_path, 'hub_ca = "/etc/cloudping/hub.pem"\n')
    argv = ["--hub", "198.18.0.1:4433", "--name", "fra1", "--token-file", "/run/t"]
    argv += ["--config", str(path), "--hub-fingerprint", "AB"]
    args = resolve(process_parser("agent"), argv, {}).namespace
    assert (args.hub_fingerprint, args.hub_ca) == ("AB", None)


def test_two_members_of_an_exclusive_group_in_the_file_are_an_error(tmp_path: Path) -> None:
    path = settings_file(tmp_path, 'hub_ca = "/etc/hub.pem"\nhub_fingerprint = "AB"\n')
    argv = ["--hub", "198.18.0.1:4433", "--name", "fra1", "--token-file", "/run/t"]
    with pytest.raises(SettingsError, match="hub_fingerprint and hub_ca exclude each other"):
        resolve(process_parser("agent"), [*argv, "--config", str(path)], {})


def test_a_required_option_missing_everywhere_is_a_usage_error(
    capsys: pytest.CaptureFixture[str],
) -> None:
    with pytest.raises(SystemExit) as exit_:
        resolve(process_parser("hub"), ["--data-dir", "/srv/cloudping"], {})
    assert exit_.value.code == 2
    assert "required: --agent-listen (as a flag, a CLOUDPING_* variable" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("heartbeat = 5\n\nbogus = 1\n", "cloudping.toml:3: unknown key bogus"),
        ('[agent]\nlisten = "198.18.0.1:1"\nlisten_v6 = "x"\n', ":3: unknown key agent.listen_v6"),
        ('heartbeat = "soon"\n', ":1: heartbeat (--heartbeat): invalid float value: 'soon'"),
        (
            "[agent]\nlisten = 4433\n",
            ":2: agent.listen (--agent-listen): expects a string, not 4433",
        ),
        (
            'guest_anywhere = "yes"\n',
            ":1: guest_anywhere (--guest-anywhere): expects true or false",
        ),
        ('allowed_host = "a.example"\n', ":1: allowed_host (--allowed-host): expects a list"),
        ('anonymous = "everyone"\n', ":1: anonymous (--anonymous): 'everyone' is not one of off"),
        ("retention_days = 0.5\n", ":1: retention_days (--retention-days): '0.5': give 0"),
        ('[smtp]\npassword = "hunter2"\n', ":2: unknown key smtp.password: a secret is never"),
        ("heartbeat = \n", "not valid TOML: Invalid value (at line 1, column 13)"),
    ],
)
def test_a_bad_key_or_value_names_the_key_and_its_line(
    tmp_path: Path, text: str, message: str
) -> None:
    argv = [*HUB_BASE, "--config", str(settings_file(tmp_path, text))]
    with pytest.raises(SettingsError) as error:
        resolve(process_parser("hub"), argv, {})
    assert message in error.value.message


def test_a_secret_in_the_file_is_refused_with_the_file_key_to_use(tmp_path: Path) -> None:
    path = settings_file(tmp_path, f'name = "fra1"\ntoken = "{AGENT_TOKEN}"\n')
    with pytest.raises(SettingsError) as error:
        resolve(process_parser("agent"), ["--config", str(path)], {})
    assert error.value.message == (
        f"{path}:2: token: a secret is never written in the settings file; "
        "put it in a file and name that file with token_file"
    )


def test_a_secret_never_comes_from_the_environment() -> None:
    argv = ["--hub", "198.18.0.1:4433", "--name", "fra1", "--hub-fingerprint", "AB"]
    with pytest.raises(SystemExit):  # --token or --token-file is still required
        resolve(process_parser("agent"), argv, {"CLOUDPING_TOKEN": AGENT_TOKEN})


def test_a_bad_variable_names_itself() -> None:
    with pytest.raises(SettingsError, match=r"env: CLOUDPING_NO_MCP \(--no-mcp\): 'maybe'"):
        resolve(process_parser("hub"), HUB_BASE, {"CLOUDPING_NO_MCP": "maybe"})


def test_a_process_with_a_bad_setting_exits_2_with_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = settings_file(tmp_path, "[agent]\nlisten = 4433\n")
    with pytest.raises(SystemExit) as exit_:
        hub.main(["--data-dir", str(tmp_path), "--config", str(path)])
    assert exit_.value.code == 2
    assert capsys.readouterr().err == (
        f"cloudping hub: {path}:2: agent.listen (--agent-listen): expects a string, not 4433\n"
    )


def test_a_registered_table_is_checked_by_its_validator(tmp_path: Path) -> None:
    def providers(value: Any) -> tuple[str, ...]:
        if not isinstance(value, list) or not all("name" in p for p in value):
            raise ValueError("every provider needs a name")
        return tuple(p["name"] for p in value)

    tables = {"sample.provider": TableRule("sample.provider", providers)}
    good = '[[sample.provider]]\nname = "github"\n\n[[sample.provider]]\nname = "google"\n'
    argv = [*HUB_BASE, "--config", str(settings_file(tmp_path, good))]
    checked = resolve(process_parser("hub"), argv, {}, tables).tables
    assert checked == {"sample.provider": ("github", "google")}
    bad = 'heartbeat = 5\n[[sample.provider]]\nissuer = "https://id.example"\n'
    argv = [*HUB_BASE, "--config", str(settings_file(tmp_path, bad))]
    with pytest.raises(SettingsError, match=r":2: sample\.provider: every provider needs a name"):
        resolve(process_parser("hub"), argv, {}, tables)
    with pytest.raises(SettingsError, match=":2: unknown key sample"):
        resolve(process_parser("hub"), argv, {})  # not registered: unknown


def test_print_config_says_where_each_value_came_from_and_hides_secrets(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = settings_file(tmp_path, '[agent]\nws_listen = "198.18.0.1:8443"\n')
    env = {"CLOUDPING_HEARTBEAT": "6"}
    with pytest.raises(SystemExit) as exit_:
        load_settings(
            process_parser("hub"), [*HUB_BASE, "--config", str(path), "--print-config"], env
        )
    assert exit_.value.code == 0
    out = capsys.readouterr().out
    assert 'data_dir = "/srv/cloudping"  # flag --data-dir\n' in out
    assert "heartbeat = 6.0  # env CLOUDPING_HEARTBEAT\n" in out
    assert f'ws_listen = "198.18.0.1:8443"  # {path}:2\n' in out
    assert "idle_timeout = 45.0  # default\n" in out
    assert "# listen: not set (default)\n" in out
    agent_argv = ["--hub", "198.18.0.1:4433", "--name", "fra1", "--hub-fingerprint", "AB"]
    with pytest.raises(SystemExit):
        load_settings(
            process_parser("agent"), [*agent_argv, "--token", AGENT_TOKEN, "--print-config"], {}
        )
    out = capsys.readouterr().out
    assert AGENT_TOKEN not in out
    assert "# token: secret, given (flag --token); use token_file\n" in out


def test_print_config_reads_back_as_the_same_settings(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    argv = [*HUB_BASE, "--allowed-host", "hub.example", "--no-mcp", "--listen", "198.18.0.1:80"]
    with pytest.raises(SystemExit):
        load_settings(process_parser("hub"), [*argv, "--print-config"], {})
    path = settings_file(tmp_path, capsys.readouterr().out)
    again = resolve(process_parser("hub"), ["--config", str(path)], {}).namespace
    assert vars(again) == vars(resolve(process_parser("hub"), argv, {}).namespace) | {
        "config": str(path)
    }


@pytest.mark.parametrize(
    ("process", "argv"),
    [
        ("hub", HUB_BASE),
        ("agent", ["--hub", "198.18.0.1:4433", "--name", "fra1", "--token-file", "/run/t",
                   "--hub-fingerprint", "AB"]),
        ("up", ["--data-dir", "/srv/cloudping"]),
    ],
)  # fmt: skip
def test_every_process_reads_its_settings_file(
    process: str,
    argv: list[str],
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("CLOUDPING_CONFIG", str(settings_file(tmp_path, '[log]\nformat = "json"\n')))
    with pytest.raises(SystemExit) as exit_:
        main([process, *argv, "--print-config"])
    assert exit_.value.code == 0
    out = capsys.readouterr().out
    assert out.startswith(f"# cloudping {process}\n")
    assert f'format = "json"  # {tmp_path / "cloudping.toml"}:2\n' in out
