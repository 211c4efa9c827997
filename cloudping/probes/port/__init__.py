"""Port probes: ``tcping`` and ``ping --proto tcp|udp``, TCP connects and UDP datagrams."""
