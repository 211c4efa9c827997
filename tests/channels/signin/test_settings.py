"""The ``[login]`` table: providers, grants and blocks, and errors that name the key."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from cloudping.channels.signin import login_settings, read_secret
from cloudping.channels.signin.expiring import Expiring
from cloudping.serve import up
from cloudping.serve.channels import configure_channels
from cloudping.settings import load_settings

GOOD = {"name": "corp", "kind": "oidc", "issuer": "https://id.example", "client_id": "c"}


def table(**provider: Any) -> dict[str, Any]:
    return {"provider": [{**GOOD, "client_secret_file": "/s", **provider}]}


def test_a_provider_table_reads_with_defaults() -> None:
    settings = login_settings({**table(), "grant": ["oidc-corp:x=admin"], "block": ["github:1"]})
    (corp,) = settings.providers
    assert corp.label == "corp"
    assert corp.scopes == {"measure"}
    assert corp.principal("7f3a") == "oidc-corp:7f3a"
    assert settings.scopes_of(corp, "oidc-corp:x") == frozenset({"measure", "admin"})
    assert settings.scopes_of(corp, "github:1") is None
    assert settings.session_s == 12 * 3600
    google = login_settings(table(name="g", kind="google", issuer=None)).providers[0]
    assert google.issuer == "https://accounts.google.com"
    assert google.principal("123") == "google:123"


@pytest.mark.parametrize(
    ("given", "named"),
    [
        ({"providers": []}, "login: unknown key 'providers'"),
        (table(colour="red"), "login.provider[0]: unknown key 'colour'"),
        (table(kind="facebook"), "login.provider[0].kind 'facebook'"),
        (table(issuer=None), "login.provider[0].issuer is required"),
        (table(name="Corp ID"), "login.provider[0].name 'Corp ID'"),
        (table(scopes=["root"]), "unknown scope 'root'"),
        (table(client_id=""), "login.provider[0].client_id must be a non-empty string"),
        ({**table(), "session_hours": 0}, "login.session_hours"),
        ({**table(), "grant": ["x"]}, "login.grant: 'x' is not SUBJECT=SCOPE"),
        ({"provider": table()["provider"] * 2}, "same name"),
    ],
)
def test_a_bad_table_is_an_error_naming_the_key(given: dict[str, Any], named: str) -> None:
    with pytest.raises(ValueError, match=named.replace("[", r"\[").replace("]", r"\]")):
        login_settings(given)


def test_a_client_secret_comes_from_its_file(tmp_path: Path) -> None:
    secret = tmp_path / "corp.secret"
    secret.write_text("s3cret\n")
    assert read_secret(secret, "corp") == "s3cret"
    secret.write_text("")
    with pytest.raises(ValueError, match="holds no secret"):
        read_secret(secret, "corp")
    with pytest.raises(ValueError, match="cannot read"):
        read_secret(tmp_path / "missing", "corp")


def test_pending_sign_ins_are_single_use_short_lived_and_bounded() -> None:
    store: Expiring[str] = Expiring(ttl_s=60, capacity=2)
    store.put("a", "1", now=0)
    assert store.peek("a", now=10) == "1"
    assert store.take("a", now=10) == "1"
    assert store.take("a", now=10) is None  # used once
    store.put("b", "2", now=0)
    assert store.take("b", now=61) is None  # expired
    for key in "cde":
        store.put(key, key, now=100)
    assert len(store) == 2  # the oldest went first
    assert store.peek("c", now=100) is None


def test_the_settings_file_carries_the_login_table_to_the_processes(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    secret = tmp_path / "corp.secret"
    secret.write_text("s3cret\n")
    config = tmp_path / "cloudping.toml"
    config.write_text(
        "[login]\nsession_hours = 2\n\n[[login.provider]]\n"
        f'name = "corp"\nkind = "oidc"\nissuer = "https://id.example"\nclient_id = "c"\n'
        f'client_secret_file = "{secret}"\n'
    )
    args = load_settings(up.parser(), ["--config", str(config)]).namespace
    assert args.login.providers[0].name == "corp"
    assert args.login.session_s == 7200
    plain = load_settings(up.parser(), []).namespace
    assert len(configure_channels(args)) == len(configure_channels(plain)) + 1  # sign-in

    config.write_text('[login]\nsession_hours = 2\n\n[[login.provider]]\nname = "x"\n')
    with pytest.raises(SystemExit) as stopped:
        load_settings(up.parser(), ["--config", str(config)])
    assert stopped.value.code == 2
    error = capsys.readouterr().err
    assert "login" in error
    assert f"{config}:" in error  # names the file and line
