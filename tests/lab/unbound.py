"""unbound in the lab: the zone ``lab.`` over UDP, TCP, DoT and DoH, and a root that delegates.

Two kinds of instance, both authoritative only (nothing is ever asked upstream):

- the *lab server* answers ``lab.`` and the reverse zones of the lab addresses from
  ``local-data`` (``local-zone: "." static``: a name it does not hold is NXDOMAIN), on
  UDP/TCP 53, DoT 853 (RFC 7858) and DoH 443 (RFC 8484), with an NSID (RFC 5001);
- the *root* serves a root zone file (``auth-zone "."``) that delegates ``lab.`` to the lab
  server with glue, so an iterative trace has a real referral to follow.

unbound runs in the foreground (``-d``) under ``lab.popen`` and is stopped by PID; it has no
chroot, no user switch, no remote control and its pid file in the instance's directory.
Facts from ../shared/lab-notes.md: TXT data is quoted with single quotes outside; 40 A records
for one name exceed 512 bytes, so a UDP answer without EDNS comes back with TC=1.
"""

from __future__ import annotations

import ipaddress
import subprocess
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .pki import LabPki
from .topology import Lab, Role

DNS_PORT, DOT_PORT, DOH_PORT = 53, 853, 443
BIG_NAME, BIG_COUNT = "big.lab.", 100
TXT_STRINGS = ("hello world with  spaces", 'a "quoted" word; and a semicolon')
NSID = "dns.lab"
_START_TIMEOUT = 15.0

# Names of the lab's own addresses (what a PTR query for them answers).
LAB_HOSTS: dict[str, tuple[str, ...]] = {
    "agent.lab.": ("198.18.1.2", "2001:db8:1::2"),
    "r1.lab.": ("198.18.1.1", "2001:db8:1::1"),
    "r2.lab.": ("198.18.2.2", "2001:db8:2::2"),
    "target.lab.": ("198.18.3.2", "2001:db8:3::2"),
    "agent2.lab.": ("198.18.4.2", "2001:db8:4::2"),
}


def _rr(owner: str, rtype: str, data: str, ttl: int = 300) -> str:
    return f"{owner} {ttl} IN {rtype} {data}"


def _txt_data(strings: Iterable[str]) -> str:
    """TXT character-strings in presentation form (RFC 1035 5.1: quote, escape \\ and ")."""
    return " ".join('"' + s.replace("\\", "\\\\").replace('"', '\\"') + '"' for s in strings)


def _address_rrs(owner: str, addresses: Iterable[str]) -> list[str]:
    return [
        _rr(owner, "A" if ipaddress.ip_address(a).version == 4 else "AAAA", a) for a in addresses
    ]


def lab_zone(server: Sequence[str], root: Sequence[str] = ()) -> list[str]:
    """The records of ``lab.`` as presentation lines; ``server``/``root``: their addresses."""
    rrs = [
        _rr("lab.", "SOA", "ns1.lab. hostmaster.lab. 2026110101 3600 900 604800 60", 3600),
        _rr("lab.", "NS", "ns1.lab.", 3600),
        _rr("lab.", "MX", "10 mail.lab."),
        _rr("_dns._tcp.lab.", "SRV", "0 5 853 dns.lab."),
        _rr("txt.lab.", "TXT", _txt_data(TXT_STRINGS)),
        *_address_rrs("ns1.lab.", server),
        *_address_rrs("dns.lab.", server),
        *_address_rrs("mail.lab.", ("198.18.3.25", "2001:db8:3::25")),
        *_address_rrs("www.lab.", LAB_HOSTS["target.lab."]),
        *_address_rrs(BIG_NAME, (f"198.18.5.{n}" for n in range(1, BIG_COUNT + 1))),
    ]
    for name, addresses in LAB_HOSTS.items():
        rrs += _address_rrs(name, addresses)
    if root:  # where the root servers are, as a resolver would answer `. NS`
        rrs += [_rr(".", "NS", "root.lab.", 3600), *_address_rrs("root.lab.", root)]
    return rrs


def mail_records(
    domain: str,
    selector: str,
    public_key: str,
    *,
    spf: str = "v=spf1 a:mail.lab -all",
    dmarc: str = "p=reject",
) -> list[str]:
    """The records that authenticate mail from ``domain``: its DKIM key (RFC 6376 section
    3.6.1, ``public_key`` the base64 SubjectPublicKeyInfo), SPF (RFC 7208; by default only
    the lab's mail host ``mail.lab`` sends) and DMARC policy (RFC 7489)."""
    return [
        _rr(f"{selector}._domainkey.{domain}.", "TXT", _txt_data(_dkim_strings(public_key))),
        _rr(f"{domain}.", "TXT", _txt_data([spf])),
        _rr(f"_dmarc.{domain}.", "TXT", _txt_data([f"v=DMARC1; {dmarc}"])),
    ]


def _dkim_strings(public_key: str) -> list[str]:
    """A DKIM record as TXT strings of at most 255 bytes (RFC 1035 3.3.14), joined by readers."""
    record = f"v=DKIM1; k=rsa; p={public_key}"
    return [record[i : i + 255] for i in range(0, len(record), 255)]


def ptr_entries(server: Sequence[str]) -> list[tuple[str, str]]:
    """(address, name) pairs for the reverse zones: every lab host and the DNS server."""
    pairs = [(a, name) for name, addresses in LAB_HOSTS.items() for a in addresses]
    return pairs + [(a, "dns.lab.") for a in server]


def root_zone(server: Sequence[str], root: Sequence[str]) -> str:
    """A root zone file: SOA and NS of the root, and ``lab.`` delegated to ``ns1.lab.``."""
    rrs = [
        _rr(".", "SOA", "root.lab. hostmaster.lab. 2026110101 1800 900 604800 86400", 86400),
        _rr(".", "NS", "root.lab.", 518400),
        _rr("lab.", "NS", "ns1.lab.", 172800),
        *_address_rrs("ns1.lab.", server),  # glue (RFC 1034 4.2.1)
        *_address_rrs("root.lab.", root),
    ]
    return "\n".join(rrs) + "\n"


def _quoted(line: str) -> str:
    # lab-notes: single quotes outside, so the TXT data keeps its double quotes.
    return f"'{line}'" if '"' in line else f'"{line}"'


@dataclass(frozen=True)
class UnboundSpec:
    """Where one instance listens and what it serves."""

    directory: Path
    addresses: tuple[str, ...]
    loopback: bool = False  # also 127.0.0.1 and ::1 port 53 (the namespace's resolv.conf)
    tls: tuple[Path, Path] | None = None  # certificate chain and key: DoT and DoH
    local_data: tuple[str, ...] = ()
    ptrs: tuple[tuple[str, str], ...] = ()
    root_zone: str | None = None
    nsid: str | None = None
    dns_port: int = DNS_PORT  # another port: an instance on the host's loopback (mail tests)

    def ports(self) -> list[int]:
        return [self.dns_port, DOT_PORT, DOH_PORT] if self.tls else [self.dns_port]


def _interfaces(spec: UnboundSpec) -> list[str]:
    lines = [f"interface: {a}@{port}" for a in spec.addresses for port in spec.ports()]
    if spec.loopback:
        lines += [f"interface: 127.0.0.1@{DNS_PORT}", f"interface: ::1@{DNS_PORT}"]
    return lines


def _tls_lines(spec: UnboundSpec) -> list[str]:
    if spec.tls is None:
        return []
    cert, key = spec.tls
    return [
        f'tls-service-pem: "{cert}"',
        f'tls-service-key: "{key}"',
        f"tls-port: {DOT_PORT}",
        f"https-port: {DOH_PORT}",
        'http-endpoint: "/dns-query"',
    ]


def _zone_lines(spec: UnboundSpec) -> list[str]:
    if spec.root_zone is not None:
        return []
    # Explicit zones: unbound's default local zones hold 2001:db8::/32's reverse (RFC 6303).
    zones = ('"."', '"lab."', '"18.198.in-addr.arpa."', '"8.b.d.0.1.0.0.2.ip6.arpa."')
    lines = [f"local-zone: {zone} static" for zone in zones]
    lines += [f"local-data: {_quoted(rr)}" for rr in spec.local_data]
    return lines + [f'local-data-ptr: "{a} {name}"' for a, name in spec.ptrs]


def _auth_zone(spec: UnboundSpec) -> list[str]:
    if spec.root_zone is None:
        return []
    zonefile = spec.directory / "root.zone"
    zonefile.write_text(spec.root_zone)
    return [
        "auth-zone:",
        '  name: "."',
        f'  zonefile: "{zonefile}"',
        "  for-downstream: yes",
        "  for-upstream: no",
        "  fallback-enabled: no",
    ]


def unbound_conf(spec: UnboundSpec) -> str:
    """The whole configuration file of one instance."""
    server = [
        "server:",
        "verbosity: 1",
        'chroot: ""',
        'username: ""',
        f'directory: "{spec.directory}"',
        f'pidfile: "{spec.directory / "unbound.pid"}"',
        "use-syslog: no",
        'logfile: ""',
        "do-ip4: yes",
        "do-ip6: yes",
        "do-udp: yes",
        "do-tcp: yes",
        "access-control: 0.0.0.0/0 allow",
        "access-control: ::/0 allow",
        'module-config: "iterator"',  # no validator: no trust anchor to load
        "do-not-query-localhost: yes",
        "edns-buffer-size: 1232",
        "num-threads: 1",
        *([f'nsid: "ascii_{spec.nsid}"'] if spec.nsid else []),
        *_interfaces(spec),
        *_tls_lines(spec),
        *_zone_lines(spec),
    ]
    tail = ["remote-control:", "control-enable: no", *_auth_zone(spec)]
    return "\n".join([server[0], *("  " + line for line in server[1:]), *tail]) + "\n"


@dataclass
class Unbound:
    """A running instance: started by :meth:`start`, stopped by PID with :meth:`stop`."""

    lab: Lab
    role: Role
    spec: UnboundSpec
    proc: subprocess.Popen[Any] | None = field(default=None, repr=False)

    def start(self) -> Unbound:
        """Write the configuration, check it, start unbound and wait until every port listens.

        Raises:
            LabCommandError: ``unbound-checkconf`` refused the configuration.
            LabError: a port did not listen within the start timeout.
        """
        conf = self.spec.directory / "unbound.conf"
        conf.write_text(unbound_conf(self.spec))
        self.lab.run(self.role, ["unbound-checkconf", str(conf)], timeout=_START_TIMEOUT)
        log = (self.spec.directory / "unbound.log").open("w")
        self.proc = self.lab.popen(
            self.role, ["unbound", "-d", "-c", str(conf)], stdout=log, stderr=subprocess.STDOUT
        )
        log.close()
        for port in self.spec.ports():
            self.lab.wait_listening(self.role, port, proto="tcp", timeout=_START_TIMEOUT)
        self.lab.wait_listening(self.role, DNS_PORT, proto="udp", timeout=_START_TIMEOUT)
        return self

    def stop(self) -> None:
        if self.proc is not None:
            self.lab.stop(self.proc)
            self.proc = None


def lab_server(
    lab: Lab, directory: Path, pki: LabPki, addresses: Sequence[str], root: Sequence[str] = ()
) -> Unbound:
    """The lab server (not yet started): zone ``lab.``, reverse zones, DoT and DoH.

    Its certificate names ``dns.lab`` and ``addresses``; ``root``: where :func:`root_server`
    listens, announced as the root's NS (answers to ``. NS``).
    """
    directory.mkdir(parents=True, exist_ok=True)
    spec = UnboundSpec(
        directory=directory,
        addresses=tuple(addresses),
        loopback=True,
        tls=pki.leaf("dns.lab", *addresses),
        local_data=tuple(lab_zone(addresses, root)),
        ptrs=tuple(ptr_entries(addresses)),
        nsid=NSID,
    )
    return Unbound(lab, "target", spec)


def root_server(
    lab: Lab, directory: Path, pki: LabPki, addresses: Sequence[str], server: Sequence[str]
) -> Unbound:
    """The root (not yet started): delegates ``lab.`` to ``server``; its DoT certificate
    names ``root.lab`` only (no address), for tests of certificate names."""
    directory.mkdir(parents=True, exist_ok=True)
    spec = UnboundSpec(
        directory=directory,
        addresses=tuple(addresses),
        tls=pki.leaf("root.lab"),
        root_zone=root_zone(server, addresses),
    )
    return Unbound(lab, "target", spec)
