"""Which commands are measurements (agents run them), and the targets each one names.

The others (``list``, ``version``, ``help``, ``ipinfo``, ``route``, ``token``) are answered by
the command service itself; an agent never sees them.
"""

from __future__ import annotations

from cloudping.commands.model import Command
from cloudping.errors import CloudpingError

MEASUREMENT_COMMANDS = frozenset({"ping", "traceroute", "mtr", "tcping", "dns", "http", "scan"})
# The field holding each multi-target command's targets; the others have one target field.
_MANY = {"ping": "targets", "tcping": "targets", "dns": "names", "http": "urls"}
_ONE = {"traceroute": "target", "mtr": "target", "scan": "cidr"}


def is_measurement(command: Command) -> bool:
    """Whether agents run ``command`` (else the command service answers it)."""
    return command.command in MEASUREMENT_COMMANDS


def targets_of(command: Command) -> tuple[str, ...]:
    """The targets of a measurement command, as the user wrote them.

    Raises:
        CloudpingError: ``not_a_measurement`` for ``list``, ``help`` and the other commands
            the command service answers itself.
    """
    if command.command in _MANY:
        targets: tuple[str, ...] = getattr(command, _MANY[command.command])
        return targets
    if command.command in _ONE:
        return (str(getattr(command, _ONE[command.command])),)
    message = f"{command.command} is not a measurement: no agent runs it"
    raise CloudpingError(message, code="not_a_measurement", command=command.command)


def one_target(command: Command, target: str) -> Command:
    """``command`` narrowed to ``target``, without its selection (the agent's job)."""
    update: dict[str, object] = {"from_": None}
    if command.command in _MANY:
        update[_MANY[command.command]] = (target,)
    return command.model_copy(update=update)
