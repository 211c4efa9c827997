"""One rule names every option three ways, and every option round-trips through each."""

from __future__ import annotations

import re
import sys
from pathlib import Path

import pytest

from cloudping.settings import SettingsError, options_of, resolve
from cloudping.settings.tables import registered_tables

from .processes import PARSERS, as_argv, as_env, as_toml, process_parser, rounds


@pytest.mark.parametrize("name", PARSERS)
def test_no_two_options_of_a_process_share_a_key_or_a_variable(name: str) -> None:
    options = options_of(process_parser(name))
    paths = [option.path for option in options]
    envs = [option.env for option in options]
    tables = {option.table for option in options if option.table}
    assert len(set(paths)) == len(paths)
    assert len(set(envs)) == len(envs)
    assert not tables & {option.key for option in options if option.table is None}


def test_a_flag_names_its_table_key_and_variable() -> None:
    by_flag = {o.flag: o for o in options_of(process_parser("hub"))}
    listen = by_flag["--agent-ws-listen"]
    assert (listen.table, listen.key, listen.env) == (
        "agent",
        "ws_listen",
        "CLOUDPING_AGENT_WS_LISTEN",
    )
    data_dir = by_flag["--data-dir"]
    assert (data_dir.table, data_dir.key, data_dir.env) == (None, "data_dir", "CLOUDPING_DATA_DIR")
    assert by_flag["--log-format"].path == "log.format"
    # An old alias is not a second key: the first long spelling names the option.
    assert "--mcp-allowed-host" not in by_flag
    assert by_flag["--allowed-host"].path == "allowed_host"


def test_two_flags_that_would_share_a_key_are_refused() -> None:
    parser = process_parser("agent")
    parser.add_argument("--log", help="a one-word flag named like the table [log]")
    with pytest.raises(SettingsError, match="--log is key log, also a table"):
        options_of(parser)


@pytest.mark.parametrize("name", PARSERS)
def test_every_option_reads_the_same_from_a_flag_a_variable_and_the_file(
    name: str, tmp_path: Path
) -> None:
    parser = process_parser(name)
    for number, options in enumerate(rounds(parser)):
        argv = as_argv(options)
        config = tmp_path / f"{name}-{number}.toml"
        config.write_text(as_toml(options), encoding="utf-8")
        from_flags = resolve(parser, argv, {})
        from_env = resolve(parser, [], as_env(options))
        from_file = resolve(parser, ["--config", str(config)], {})
        # argparse itself, on the flags; and each registered table, absent from these files
        expected = vars(parser.parse_args(argv)) | dict.fromkeys(
            (name.replace(".", "_") for name in registered_tables()), None
        )
        assert vars(from_flags.namespace) == expected
        assert vars(from_env.namespace) == expected
        assert vars(from_file.namespace) == expected | {"config": str(config)}
        given = {o.dest for o in options}
        for settings, layer in ((from_flags, "flag"), (from_env, "env"), (from_file, "file")):
            assert {s.option.dest for s in settings.settings if s.layer == layer} == given


def test_the_settings_know_nothing_above_the_foundations() -> None:
    from test_layers import offences  # noqa: PLC0415 (tests/ is on sys.path, as for upprocess)

    def allowed(module: str) -> bool:
        top = module.partition(".")[0]
        return (
            module in ("cloudping.errors",)
            or module.startswith("cloudping.settings")
            or (top != "cloudping" and top in sys.stdlib_module_names)
        )

    assert offences("settings", allowed) == []


@pytest.mark.parametrize("name", ["hub", "agent"])
def test_the_readmes_example_settings_files_are_valid(name: str, tmp_path: Path) -> None:
    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text(encoding="utf-8")
    blocks = re.findall(r"```toml\n(# /etc/cloudping/(\w+)\.toml.*?)```", readme, re.DOTALL)
    text = next(block for block, process in blocks if process == name)
    path = tmp_path / f"{name}.toml"
    path.write_text(text, encoding="utf-8")
    settings = resolve(process_parser(name), ["--config", str(path)], {})
    from_file = {s.option.path for s in settings.settings if s.layer == "file"}
    keys = {k if not t else f"{t}.{k}" for t, k in _assignments(text)}
    assert from_file == keys


def _assignments(text: str) -> list[tuple[str, str]]:
    table, found = "", []
    for line in text.splitlines():
        if header := re.match(r"\[(\w+)\]", line):
            table = header.group(1)
        elif assign := re.match(r"(\w+) =", line):
            found.append((table, assign.group(1)))
    return found


def test_two_flags_sharing_a_dest_are_refused() -> None:
    parser = process_parser("hub")
    parser.add_argument("--mcp", dest="no_mcp", action="store_false")
    with pytest.raises(SettingsError, match="two options map to no_mcp"):
        options_of(parser)
