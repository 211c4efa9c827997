"""Where a command runs, behind one seam: this machine's own probes, or a hub's HTTP API.

A client channel (the CLI) picks its :class:`Runner` once, from its options, and then runs
measurements and asks for answers the same way whichever it got. Nothing heavy is imported
here: the probes load only for a local run, httpx only for a hub.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Protocol

from cloudping.errors import UsageError
from cloudping.runner.target import HUB_ENV, TOKEN_ENV, HubTarget

if TYPE_CHECKING:
    from cloudping.commands import Command
    from cloudping.commands.answer import Answer
    from cloudping.events import Emit
    from cloudping.ipinfo.setup import IpinfoSettings

__all__ = ["HUB_ENV", "TOKEN_ENV", "HubTarget", "Runner", "hub_target", "runner_for"]


class Runner(Protocol):
    """Runs measurements and answers the other commands, here or on a hub."""

    async def run(self, command: Command, emit: Emit) -> None:
        """Run the measurement ``command``, handing each event of its stream to ``emit``.

        Raises:
            CloudpingError: it could not run at all (a hub that cannot be reached or that
                refused it, with the hub's own code).
        """
        ...

    async def answer(self, command: Command) -> Answer:
        """The answer to ``command`` (``list``, ``version``, ...).

        Raises:
            CloudpingError: as the command service (``not_implemented``, ...), or ``needs_hub``.
        """
        ...


def hub_target(url: str | None, token: str | None, env: Mapping[str, str]) -> HubTarget | None:
    """The hub ``--hub``/``--token`` name, ``CLOUDPING_HUB``/``CLOUDPING_TOKEN`` filling in what
    they do not say; ``None``: run here.

    Raises:
        UsageError: a token without a hub, a URL not http(s).
    """
    chosen = url or env.get(HUB_ENV) or None
    if chosen is None:
        if token:
            raise UsageError("--token needs --hub URL (or CLOUDPING_HUB)", word="--token")
        return None
    if not chosen.startswith(("http://", "https://")):
        raise UsageError(f"--hub {chosen!r} must be an http:// or https:// URL", word=chosen)
    return HubTarget(chosen.rstrip("/"), token or env.get(TOKEN_ENV) or None)


def runner_for(hub: HubTarget | None, geoip: IpinfoSettings | None = None) -> Runner:
    """The runner for ``hub``: through its API, or on this machine when ``None`` (reading
    the ``geoip`` files there).

    Raises:
        UsageError: ``geoip`` files with a hub (the hub's own providers answer there).
    """
    if hub is None:
        from cloudping.runner.local import LocalRunner  # noqa: PLC0415 (asyncio, probes)

        return LocalRunner(geoip)
    if geoip is not None and (geoip.city or geoip.asn):
        word = "--geoip-city" if geoip.city else "--geoip-asn"
        message = f"{word} is read by a local run; through --hub the hub's providers answer"
        raise UsageError(message, word=word)
    from cloudping.runner.remote import HubRunner  # noqa: PLC0415

    return HubRunner(hub)
