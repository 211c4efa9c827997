"""The inline keyboard under a result, and what a press means (sans-IO).

Callback data is at most 64 bytes (Bot API, InlineKeyboardButton): a press carries the short
key of the message's state and one action, never an agent's name or a command; the state
behind the key is kept for a while (:mod:`.recent`), and a press whose key is gone is stale.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

MAX_DATA_BYTES = 64
AGENTS_PER_PAGE = 6
AGENTS_PER_ROW = 3
RERUNS_WITH_MTR = ("ping", "traceroute")

Action = Literal["stop", "again", "mtr", "picture", "agent", "page"]
_CODES: dict[Action, str] = {
    "stop": "s", "again": "g", "mtr": "m", "picture": "p", "agent": "a", "page": "n",
}  # fmt: skip
_ACTIONS = {code: action for action, code in _CODES.items()}
Button = tuple[str, str]  # label, callback data
Keyboard = tuple[tuple[Button, ...], ...]


@dataclass(frozen=True, slots=True)
class Press:
    """A button press: which message state, what to do, and an agent index or page."""

    key: str
    action: Action
    number: int = 0

    def data(self) -> str:
        """The callback data of this press."""
        text = f"{self.key}:{_CODES[self.action]}{self.number}"
        assert len(text.encode()) <= MAX_DATA_BYTES, "keys are short by construction"
        return text


def read_press(data: str) -> Press | None:
    """The press in callback data, None when it is not one of ours."""
    key, _, rest = data.partition(":")
    action = _ACTIONS.get(rest[:1])
    if not key or action is None or not rest[1:].isdigit():
        return None
    return Press(key, action, int(rest[1:]))


@dataclass(frozen=True, slots=True)
class AgentChoice:
    """An agent as its button shows it."""

    name: str
    country: str | None = None


def keyboard(
    key: str,
    command: str,
    agents: Sequence[AgentChoice],
    chosen: Sequence[str],
    *,
    running: bool,
    page: int = 0,
) -> Keyboard:
    """The buttons under a result of ``command``: Stop while it runs (then Again, and mtr
    under a ping or traceroute), Picture, and a page of agents, the chosen ones marked."""
    first = (
        [("⏹ Stop", Press(key, "stop").data())]
        if running
        else [("🔁 Again", Press(key, "again").data())]
    )
    if not running and command in RERUNS_WITH_MTR:
        first.append(("mtr", Press(key, "mtr").data()))
    first.append(("🖼 Picture", Press(key, "picture").data()))
    return (tuple(first), *_agent_rows(key, agents, chosen, page))


def _agent_rows(
    key: str, agents: Sequence[AgentChoice], chosen: Sequence[str], page: int
) -> list[tuple[Button, ...]]:
    pages = max(1, -(-len(agents) // AGENTS_PER_PAGE))
    page = min(max(page, 0), pages - 1)
    start = page * AGENTS_PER_PAGE
    shown = [
        (f"{'✅ ' if agent.name in chosen else ''}{flag(agent.country)}{agent.name}",
         Press(key, "agent", start + offset).data())
        for offset, agent in enumerate(agents[start : start + AGENTS_PER_PAGE])
    ]  # fmt: skip
    rows = [tuple(shown[i : i + AGENTS_PER_ROW]) for i in range(0, len(shown), AGENTS_PER_ROW)]
    if pages > 1:
        nav = [("◀", Press(key, "page", page - 1).data())] if page > 0 else []
        nav.append((f"{page + 1}/{pages}", Press(key, "page", page).data()))
        if page + 1 < pages:
            nav.append(("▶", Press(key, "page", page + 1).data()))
        rows.append(tuple(nav))
    return rows


def flag(country: str | None) -> str:
    """The flag emoji of an ISO 3166 code and a space (regional indicator letters), or ''."""
    if country is None or len(country) != 2 or not country.isascii() or not country.isalpha():
        return ""
    return "".join(chr(0x1F1E6 + ord(c) - ord("A")) for c in country.upper()) + " "
