"""The Telegram channel's settings, from its ``--telegram-...`` options.

The bot token comes from a file only (``--telegram-token-file``): never on the command line,
where the process list shows it, and never in a log line (see :mod:`.redact`).
"""

from __future__ import annotations

import argparse
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

from cloudping.auth import SCOPES, Scope

OFFICIAL_API = "https://api.telegram.org"
MAX_TOKEN_CHARS = 200  # a real token is ~46 characters: a bigger file is not a token


@dataclass(frozen=True, slots=True)
class TelegramSettings:
    """How the bot runs.

    Attributes:
        token: the bot token (kept out of ``repr``).
        api_url: the Bot API server's root; requests go to ``URL/bot<TOKEN>/METHOD``.
        webhook_url: receive updates there (served on the hub's listener) instead of polling.
        allow: user and chat ids that may use the bot when the hub admits no guests.
        grants: the scopes given to some users, beyond the guest scopes.
        edit_interval_s: the least time between two edits in a private chat.
        group_edit_interval_s: the same in a group (Telegram: about 20 a minute).
        photo_interval_s: how often a running scan's bitmap is redrawn.
    """

    token: str = field(repr=False)
    api_url: str = OFFICIAL_API
    webhook_url: str | None = None
    allow: frozenset[int] = frozenset()
    grants: tuple[tuple[int, frozenset[Scope]], ...] = ()
    edit_interval_s: float = 1.0
    group_edit_interval_s: float = 3.0
    photo_interval_s: float = 5.0

    def granted(self, user_id: int) -> frozenset[Scope] | None:
        """The scopes the operator granted ``user_id``, or None."""
        return next((scopes for who, scopes in self.grants if who == user_id), None)

    @property
    def webhook_path(self) -> str | None:
        """The path of the webhook route on the hub's listener."""
        return None if self.webhook_url is None else urlsplit(self.webhook_url).path or "/"


def add_options(p: argparse.ArgumentParser) -> None:
    """The ``--telegram-...`` options of ``cloudping hub`` and ``cloudping up``."""
    group = p.add_argument_group("Telegram bot")
    group.add_argument(
        "--telegram-token-file",
        type=Path,
        metavar="FILE",
        help="run the Telegram bot with the token in FILE (never given on the command line)",
    )
    group.add_argument(
        "--telegram-api-url",
        default=OFFICIAL_API,
        metavar="URL",
        help=f"the Bot API server (default {OFFICIAL_API}; or a self-hosted telegram-bot-api)",
    )
    group.add_argument(
        "--telegram-webhook-url",
        metavar="URL",
        help="receive updates at this public URL (served on --listen) instead of polling",
    )
    group.add_argument(
        "--telegram-allow",
        metavar="IDS",
        default="",
        help="user and chat ids (comma-separated) that may use the bot when --anonymous is off",
    )
    group.add_argument(
        "--telegram-grant",
        action="append",
        default=[],
        metavar="ID=SCOPES",
        help="give a user these scopes (comma-separated: measure,private,admin); repeatable",
    )


def settings_from(args: argparse.Namespace) -> TelegramSettings | None:
    """The settings the options give, None when the bot is not configured.

    Raises:
        ValueError: naming the option that is wrong.
    """
    if args.telegram_token_file is None:
        return None
    webhook = args.telegram_webhook_url
    if webhook is not None and getattr(args, "listen", "") is None:
        raise ValueError("--telegram-webhook-url needs --listen (the webhook is served there)")
    return TelegramSettings(
        token=_token(args.telegram_token_file),
        api_url=_http_url(args.telegram_api_url, "--telegram-api-url").rstrip("/"),
        webhook_url=None if webhook is None else _http_url(webhook, "--telegram-webhook-url"),
        allow=frozenset(_ids(args.telegram_allow)),
        grants=tuple(_grant(text) for text in args.telegram_grant),
    )


def _token(path: Path) -> str:
    try:
        text = path.read_text(encoding="utf-8").strip()
    except (OSError, UnicodeDecodeError) as exc:
        raise ValueError(f"--telegram-token-file {path}: {exc}") from None
    # Bot API: a token is "<bot id>:<secret>"; it travels in a URL path, so no '/' or space.
    bot_id, colon, secret = text.partition(":")
    valid = bot_id.isdigit() and colon and secret and len(text) <= MAX_TOKEN_CHARS
    if not valid or any(c in text for c in "/?# \t\n"):
        raise ValueError(f"--telegram-token-file {path}: not a bot token (<bot id>:<secret>)")
    return text


def _http_url(text: str, option: str) -> str:
    parts = urlsplit(text)
    if parts.scheme not in ("http", "https") or not parts.hostname or parts.query:
        raise ValueError(f"{option} {text!r}: not an http(s) URL with a host and no query")
    return text


def _ids(text: str) -> list[int]:
    try:
        return [int(word) for word in text.split(",") if word.strip()]
    except ValueError:
        raise ValueError(f"--telegram-allow {text!r}: ids are integers, comma-separated") from None


def _grant(text: str) -> tuple[int, frozenset[Scope]]:
    who, equals, names = text.partition("=")
    words = [word.strip() for word in names.split(",") if word.strip()]
    unknown = [word for word in words if word not in SCOPES]
    if not equals or not who.strip().lstrip("-").isdigit() or not words or unknown:
        raise ValueError(
            f"--telegram-grant {text!r}: give ID=SCOPES, scopes among {', '.join(SCOPES)}"
        )
    return int(who), frozenset(scope for scope in SCOPES if scope in words)
