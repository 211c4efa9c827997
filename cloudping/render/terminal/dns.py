"""``dns`` events as text, the way dig prints them: pure functions of one event.

A query's answer::

    ;; ->>HEADER<<- opcode: QUERY, status: NOERROR
    ;; flags: qr aa rd ra; QUERY: 1, ANSWER: 1, AUTHORITY: 0, ADDITIONAL: 0
    ;; NSID: dns.lab

    ;; QUESTION SECTION:
    ;www.lab.		IN	A

    ;; ANSWER SECTION:
    www.lab.	300	IN	A	198.18.3.2

    ;; Query time: 0.4 msec (connect 40.1 msec)
    ;; SERVER: 198.18.3.53#853 (dot)
    ;; MSG SIZE  rcvd: 84

A query with no answer is one line naming the server and why. A ``--trace`` step reads as
``dig +trace`` does: the records of the answer or referral, then ``;; Received N bytes from
ADDRESS#PORT(NAME) in T ms``.
"""

from __future__ import annotations

from cloudping.events import DnsEvent, DnsRecord
from cloudping.render.numbers import format_rtt

_SECTIONS = (("ANSWER", "answers"), ("AUTHORITY", "authority"), ("ADDITIONAL", "additional"))


def record_line(record: DnsRecord) -> str:
    """``name TTL IN TYPE data``, tab-separated as in a zone file and dig's output."""
    return f"{record.name}\t{record.ttl}\tIN\t{record.type}\t{record.data}"


def server_text(event: DnsEvent) -> str:
    """dig's ``ADDRESS#PORT``: a name or URL asked by name is added in parentheses."""
    if "://" in event.server:
        return f"{event.server} ({event.address or '?'})"
    host, _, port = event.server.rpartition(":")
    host = host.strip("[]")
    address = event.address or host
    named = f"({host})" if host != address else ""
    return f"{address}#{port}{named}"


def dns_event(event: DnsEvent) -> str:
    """The text of one ``dns`` event: an answer, a trace step, or an error line."""
    if event.step is not None:
        return trace_step(event)
    if event.error is not None:
        return error_line(event)
    return answer_block(event)


def error_line(event: DnsEvent) -> str:
    """``;; no answer from SERVER (transport) for NAME TYPE: why``."""
    asked = f"{event.qname or event.target} {event.qtype}"
    where = f"{server_text(event)} ({event.transport})"
    return f";; no answer from {where} for {asked}: {event.error}"


def _header(event: DnsEvent) -> list[str]:
    counts = ", ".join(f"{title}: {len(getattr(event, field))}" for title, field in _SECTIONS)
    lines = [
        f";; ->>HEADER<<- opcode: QUERY, status: {event.rcode}",
        f";; flags: {' '.join(event.flags)}; QUERY: 1, {counts}",
    ]
    if event.nsid is not None:
        lines.append(f";; NSID: {event.nsid}")
    return lines


def _sections(event: DnsEvent) -> list[str]:
    lines = ["", ";; QUESTION SECTION:", f";{event.qname or event.target}\t\tIN\t{event.qtype}"]
    for title, field in _SECTIONS:
        found: tuple[DnsRecord, ...] = getattr(event, field)
        if found:
            lines += ["", f";; {title} SECTION:", *map(record_line, found)]
    return lines


def _footer(event: DnsEvent) -> list[str]:
    time = f";; Query time: {format_rtt(event.query_ms or 0.0)} msec"
    if event.connect_ms is not None:
        time += f" (connect {format_rtt(event.connect_ms)} msec)"
    lines = ["", time, f";; SERVER: {server_text(event)} ({event.transport})"]
    if event.truncated:
        lines.append(";; truncated: retried over TCP")
    if event.size is not None:
        lines.append(f";; MSG SIZE  rcvd: {event.size}")
    return lines


def answer_block(event: DnsEvent) -> str:
    """dig's full answer: header, flags, sections, timings, server, and a blank line."""
    return "\n".join([*_header(event), *_sections(event), *_footer(event), ""])


def trace_step(event: DnsEvent) -> str:
    """One step of ``--trace``: the records that answer or refer, then who sent them."""
    if event.error is not None and event.rcode is None:
        return f";; step {event.step}: {error_line(event).removeprefix(';; ')}\n"
    lines = [record_line(r) for r in (*event.answers, *event.authority)]
    received = (
        f";; Received {event.size} bytes from {server_text(event)} in "
        f"{format_rtt(event.query_ms or 0.0)} ms"
    )
    if event.rcode != "NOERROR":
        received += f", status: {event.rcode}"
    lines.append(received)
    if event.error is not None:
        lines.append(f";; trace ends: {event.error}")
    return "\n".join([*lines, ""])
