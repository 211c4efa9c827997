"""Probes: the code that sends packets. Found by command name through ``registry.probe_for``."""
