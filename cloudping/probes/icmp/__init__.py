"""ICMP and ICMPv6 echo: a sans-IO codec, a probe table, one shared socket per family."""
