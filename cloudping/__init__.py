"""cloudping: network diagnostics from probe agents, asked for from any channel."""

__version__ = "0.1.0"
