"""Where each measurement command keeps its targets: what the hub cuts into jobs and what a
renderer counts progress by, read from one table."""

from __future__ import annotations

from cloudping.commands.model import Command
from cloudping.errors import CloudpingError

MEASUREMENT_COMMANDS = frozenset({"ping", "traceroute", "mtr", "tcping", "dns", "http", "scan"})
# The field holding each multi-target command's targets; the others have one target field.
MANY_TARGETS = {"ping": "targets", "tcping": "targets", "dns": "names", "http": "urls"}
_ONE = {"traceroute": "target", "mtr": "target", "scan": "cidr"}


def targets_of(command: Command) -> tuple[str, ...]:
    """The targets of a measurement command, as the user wrote them.

    Raises:
        CloudpingError: ``not_a_measurement`` for ``list``, ``help`` and the other commands
            the hub answers itself.
    """
    if command.command in MANY_TARGETS:
        targets: tuple[str, ...] = getattr(command, MANY_TARGETS[command.command])
        return targets
    if command.command in _ONE:
        return (str(getattr(command, _ONE[command.command])),)
    message = f"{command.command} is not a measurement: no agent runs it"
    raise CloudpingError(message, code="not_a_measurement", command=command.command)
