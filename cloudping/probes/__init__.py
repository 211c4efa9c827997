"""Probes: the code that sends packets. Found by command name in ``registry.PROBES``."""
