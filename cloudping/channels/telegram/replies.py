"""The bot's words: answers, refusals and usage errors as Telegram HTML (pure).

Usage errors show the command's usage in ``<pre>`` as a chat types it (``/ping ...``) and name
the offending word; a refusal says which limit and when it resets.
"""

from __future__ import annotations

import html
from datetime import UTC, datetime

from cloudping.commands.commandnames import GENERAL_USAGE, command_list
from cloudping.commands.help import as_invoked
from cloudping.errors import CloudpingError, UsageError
from cloudping.render.pages.telegram import LIMIT, utf16_length

# One line each for setMyCommands (Bot API: 1-256 characters, names [a-z0-9_]{1,32}).
COMMANDS: tuple[tuple[str, str], ...] = (
    ("ping", "ping a host from the agents"),
    ("traceroute", "the path to a host, hop by hop"),
    ("trace", "the same as /traceroute"),
    ("mtr", "traceroute and ping together"),
    ("tcping", "connect to a TCP port, timed"),
    ("dns", "ask a DNS server"),
    ("http", "an HTTP request, timed by phase"),
    ("scan", "sweep a prefix and draw who answered"),
    ("probe", "the same as /scan"),
    ("list", "the agents, with network and place"),
    ("ipinfo", "network, organisation and place of an address"),
    ("route", "BGP routes of an address or prefix"),
    ("version", "the version of the hub and the agents"),
    ("token", "your personal API/MCP token (private chat)"),
    ("help", "the commands, or one of them explained"),
    ("start", "what this bot does"),
)
WELCOME = "cloudping: network diagnostics from probe agents. Type a command, e.g. /ping example.com"


def pre(text: str) -> str:
    """``text`` in a ``<pre>``, escaped, cut to fit one message."""
    body = html.escape(text.rstrip("\n"), quote=False)
    if utf16_length(body) + 11 > LIMIT:
        body = body[: LIMIT - 64] + "\n…"
    return f"<pre>{body}</pre>"


def usage_error(error: UsageError) -> str:
    """What a command that does not parse gets: the problem, then the usage as a chat types it."""
    lines = [f"<b>{html.escape(error.message, quote=False)}</b>"]
    if error.usage == GENERAL_USAGE:  # no command named: the short help
        lines.append(pre(command_list()))
    elif error.usage is not None:
        lines.append(pre(as_invoked(error.usage, "/")))
    return "\n".join(lines)


def refusal(error: CloudpingError, now: float) -> str:
    """A refused command: the message, which limit, and when it resets."""
    text = f"<b>refused ({html.escape(error.code)})</b>: {html.escape(error.message, quote=False)}"
    limit, resets = error.fields.get("limit"), error.fields.get("resets_at")
    if limit is not None and isinstance(resets, int | float):
        at = datetime.fromtimestamp(resets, UTC).strftime("%H:%M:%S UTC")
        text += f"\nlimit: {html.escape(str(limit))}, resets in {_duration(resets - now)} (at {at})"
    return text


def answer_text(text: str) -> str:
    """An answer of the grammar (help, list, version) as a chat shows it."""
    return pre(as_invoked(text, "/"))


def _duration(seconds: float) -> str:
    seconds = max(0, round(seconds))
    minutes, second = divmod(seconds, 60)
    return f"{minutes} min {second} s" if minutes else f"{second} s"
