"""Providers over HTTP (IPinfo Lite, IP2Location.io, ipregistry): one client
(:mod:`.client`), one small module per vendor saying how to ask and how to read the answer."""
