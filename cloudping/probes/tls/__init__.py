"""TLS as the probes see it: which certificates they trust and what a session looks like."""
