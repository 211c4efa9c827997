"""Settings of the processes (``hub``, ``agent``, ``up``): flags, ``CLOUDPING_*`` variables
and a TOML file (``--config``), one rule naming every option the three ways
(:mod:`.names`), flag > environment > file > default (:mod:`.resolve`); and their logs
(:mod:`.logs`).

A process makes one call, ``load_settings(parser(), argv)``, then
``configure_logging(...)``; a flag added to its parser is a key and a variable at once.
"""

from cloudping.settings.load import add_settings_options, load_settings
from cloudping.settings.logs import LOG_FORMATS, configure_logging, scrub
from cloudping.settings.names import SECTIONS, Option, SettingsError, options_of
from cloudping.settings.resolve import Setting, Settings, resolve
from cloudping.settings.tables import register_table

__all__ = [
    "LOG_FORMATS",
    "SECTIONS",
    "Option",
    "Setting",
    "Settings",
    "SettingsError",
    "add_settings_options",
    "configure_logging",
    "load_settings",
    "options_of",
    "register_table",
    "resolve",
    "scrub",
]
