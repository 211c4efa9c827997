"""The command layer: one grammar, one typed ``Command``, help and schemas from one table.

Text (any channel) -> :func:`parse`; CLI argv -> :func:`parse_args`; the API's structured form
-> :func:`from_json`. :func:`format_command` and :func:`to_json` go back. Every error is a
``cloudping.errors.UsageError`` naming the offending word, with the command's usage line.

The names below load with the submodule that defines them, at first use: ``from
cloudping.commands.commandnames import command_list`` (the CLI's ``--help``) must not pay
for pydantic and the models.
"""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from cloudping.commands.commandnames import ALIASES as ALIASES
    from cloudping.commands.commandnames import COMMAND_NAMES as COMMAND_NAMES
    from cloudping.commands.commandnames import command_list as command_list
    from cloudping.commands.dnstypes import RECORD_TYPES as RECORD_TYPES
    from cloudping.commands.dnstypes import record_type_number as record_type_number
    from cloudping.commands.formatter import format_command as format_command
    from cloudping.commands.help import as_invoked as as_invoked
    from cloudping.commands.help import help_text as help_text
    from cloudping.commands.help import usage as usage
    from cloudping.commands.jsonform import from_json as from_json
    from cloudping.commands.jsonform import to_json as to_json
    from cloudping.commands.measured import MEASUREMENT_COMMANDS as MEASUREMENT_COMMANDS
    from cloudping.commands.measured import is_measurement as is_measurement
    from cloudping.commands.measured import targets_of as targets_of
    from cloudping.commands.model import TCPING_DEFAULT_PORT as TCPING_DEFAULT_PORT
    from cloudping.commands.model import Command as Command
    from cloudping.commands.model import CommandModel as CommandModel
    from cloudping.commands.model import DnsCommand as DnsCommand
    from cloudping.commands.model import HelpCommand as HelpCommand
    from cloudping.commands.model import HttpCommand as HttpCommand
    from cloudping.commands.model import IpinfoCommand as IpinfoCommand
    from cloudping.commands.model import ListCommand as ListCommand
    from cloudping.commands.model import MtrCommand as MtrCommand
    from cloudping.commands.model import PingCommand as PingCommand
    from cloudping.commands.model import RouteCommand as RouteCommand
    from cloudping.commands.model import ScanCommand as ScanCommand
    from cloudping.commands.model import TcpingCommand as TcpingCommand
    from cloudping.commands.model import TokenCommand as TokenCommand
    from cloudping.commands.model import TracerouteCommand as TracerouteCommand
    from cloudping.commands.model import VersionCommand as VersionCommand
    from cloudping.commands.names import split_host_port as split_host_port
    from cloudping.commands.parser import parse as parse
    from cloudping.commands.parser import parse_args as parse_args
    from cloudping.commands.schema import json_schema as json_schema
    from cloudping.commands.selection import Selection as Selection

# Each public name and the submodule it comes from.
_HOMES: dict[str, str] = {
    "ALIASES": "commandnames",
    "COMMAND_NAMES": "commandnames",
    "Command": "model",
    "CommandModel": "model",
    "DnsCommand": "model",
    "HelpCommand": "model",
    "HttpCommand": "model",
    "IpinfoCommand": "model",
    "ListCommand": "model",
    "MEASUREMENT_COMMANDS": "measured",
    "MtrCommand": "model",
    "PingCommand": "model",
    "RECORD_TYPES": "dnstypes",
    "RouteCommand": "model",
    "ScanCommand": "model",
    "Selection": "selection",
    "TCPING_DEFAULT_PORT": "model",
    "TcpingCommand": "model",
    "TokenCommand": "model",
    "TracerouteCommand": "model",
    "VersionCommand": "model",
    "as_invoked": "help",
    "command_list": "commandnames",
    "format_command": "formatter",
    "from_json": "jsonform",
    "help_text": "help",
    "is_measurement": "measured",
    "json_schema": "schema",
    "parse": "parser",
    "parse_args": "parser",
    "record_type_number": "dnstypes",
    "split_host_port": "names",
    "targets_of": "measured",
    "to_json": "jsonform",
    "usage": "help",
}


def __getattr__(name: str) -> object:
    """Load ``name`` from its submodule on first use (PEP 562), then keep it here."""
    home = _HOMES.get(name)
    if home is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    submodule = f"{__name__}.{home}"
    # __import__, not importlib.import_module: `python -X importtime` times only the former,
    # so the submodule keeps its own line there instead of adding to its importer's.
    __import__(submodule)
    value: object = getattr(sys.modules[submodule], name)
    globals()[name] = value
    return value
