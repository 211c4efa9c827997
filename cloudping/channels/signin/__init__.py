"""Sign-in: GitHub, Google, Microsoft Entra and any OpenID Connect provider; browser
sessions; the OAuth authorization server MCP clients sign in through (see ``channel.py``).

Configured by the settings file's ``[login]`` table (``settings.py`` shows one); the hub
needs ``--listen`` and a ``--public-url`` (``cloudping up`` has both) for the providers to
send people back to it.
"""

from __future__ import annotations

import argparse
from collections.abc import Mapping
from pathlib import Path

from cloudping.channels.plug import Channel, ChannelContext, ChannelFactory, ChannelKind
from cloudping.channels.signin.channel import SignIn
from cloudping.channels.signin.providers import Provider
from cloudping.channels.signin.settings import LoginSettings, login_settings
from cloudping.errors import CloudpingError
from cloudping.settings import register_table

MAX_SECRET_BYTES = 4096


def signin_factory(settings: LoginSettings, secrets: Mapping[str, str]) -> ChannelFactory:
    """The sign-in channel for ``settings``, with each provider's client secret by name."""

    def build(context: ChannelContext) -> Channel:
        if not context.listening or context.public_url is None:
            raise CloudpingError(
                "sign-in needs the HTTP API (--listen) and --public-url, where providers "
                "send people back",
                code="usage",
            )
        providers = {p.name: Provider(p, secrets[p.name]) for p in settings.providers}
        return SignIn(
            settings,
            providers=providers,
            tokens=context.tokens,
            base_url=context.public_url,
            data_dir=context.data_dir,
            clock=context.service.settings.clock,
        )

    return build


def read_secret(path: Path, where: str) -> str:
    """A client secret from its file (the first line, stripped).

    Raises:
        ValueError: the file cannot be read or is empty, naming ``where`` and the file.
    """
    try:
        with path.open("rb") as file:
            raw = file.read(MAX_SECRET_BYTES + 1)
    except OSError as exc:
        raise ValueError(f"{where}: cannot read {path}: {exc.strerror}") from exc
    secret = raw.decode(errors="replace").strip().splitlines()[0] if raw.strip() else ""
    if not secret or len(raw) > MAX_SECRET_BYTES:
        raise ValueError(f"{where}: {path} holds no secret (one line, at most 4 KiB)")
    return secret


def _configure(args: argparse.Namespace) -> ChannelFactory | None:
    # The settings file's checked [login] (absent from a namespace not read by the settings).
    settings: LoginSettings | None = getattr(args, "login", None)
    if settings is None or not settings.providers:
        return None
    secrets = {
        p.name: read_secret(p.client_secret_file, f"login.provider {p.name!r} client_secret_file")
        for p in settings.providers
    }
    return signin_factory(settings, secrets)


def _no_options(_: argparse.ArgumentParser) -> None:
    """Sign-in is configured in the settings file only (providers are tables, not flags)."""


register_table("login", login_settings)
KIND = ChannelKind("login", _no_options, _configure)

__all__ = ["KIND", "LoginSettings", "SignIn", "login_settings", "read_secret", "signin_factory"]
