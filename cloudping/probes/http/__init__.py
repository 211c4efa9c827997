"""The ``http`` probe: HTTP/1.1 and HTTP/2 (httpx) and HTTP/3 (aioquic), phases, redirects, TLS."""
