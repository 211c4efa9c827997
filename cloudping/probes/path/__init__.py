"""Path probes: ``traceroute`` and ``mtr``, TTL-limited probers, hop bookkeeping, rDNS of hops."""
