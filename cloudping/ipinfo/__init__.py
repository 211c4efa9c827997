"""IP info: network (ASN, AS name) and place of an address, from local data first.

Sources sit behind one interface (:mod:`~cloudping.ipinfo.sources`): MMDB files
(:mod:`~cloudping.ipinfo.mmdb`), and later the BGP table; the router
(:mod:`~cloudping.ipinfo.router`) picks them by range and merges their answers through one
cache (:mod:`~cloudping.ipinfo.cache`). The hub annotates every hop with them
(:mod:`~cloudping.ipinfo.annotate`); ``ipinfo`` answers with :mod:`~cloudping.ipinfo.answer`.
"""
