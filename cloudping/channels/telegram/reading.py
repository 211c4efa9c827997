"""What a chat message asks for, as a command line of the grammar (sans-IO).

Telegram sends ``/ping@cloudping_bot -c 3 example.com``; the grammar reads ``ping -c 3
example.com``. In a group a bot with privacy mode on is sent only commands (Bot API,
"Privacy mode"); a command addressed to another bot (``/ping@otherbot``) is not ours, and
messages from bots are never answered (two bots would answer each other forever).
"""

from __future__ import annotations

from typing import Literal, get_args

ChatKind = Literal["private", "group", "supergroup", "channel"]
_KINDS: tuple[ChatKind, ...] = get_args(ChatKind)
# Commands of the chat that are not words of the grammar.
_CHAT_WORDS = {"start": "help"}


def command_line(text: str, chat: ChatKind, bot_username: str, *, from_bot: bool) -> str | None:
    """The grammar's command line in a message, or None when the message is not for us.

    In a private chat text without a slash is read as a command too (``ping example.com``).
    """
    if from_bot or chat == "channel":
        return None
    text = text.strip()
    if not text.startswith("/"):
        return text or None if chat == "private" else None
    head, _, rest = text.partition(" ")
    name, _, addressee = head[1:].partition("@")
    if addressee and addressee.lower() != bot_username.lower():
        return None
    if not name:
        return None
    name = _CHAT_WORDS.get(name.lower(), name)
    return f"{name} {rest.strip()}".strip()


def chat_kind(value: str) -> ChatKind:
    """The kind of a chat as the Bot API names it; an unknown one reads as a channel (not
    answered)."""
    return next((kind for kind in _KINDS if kind == value), "channel")


def is_group(chat: ChatKind) -> bool:
    """Whether edits in ``chat`` count against the stricter group limit."""
    return chat in ("group", "supergroup")
