"""Real mail servers for the email channel's tests, each started by the test and stopped by
PID (or, for Postfix, by ``postfix -c DIR stop``: killing ``start-fg`` leaves its master).

- Dovecot (``dovecot -F -c CONF``): one passwd-file user per address, IMAP and LMTP on
  loopback; the replies land there and are read back over IMAP.
- Postfix (``postfix -c DIR start-fg``): the relay the hub sends through; it delivers the
  lab's mail domains to Dovecot over LMTP.
- unbound on loopback (the lab's configuration writer, :mod:`lab.unbound`) serving the DKIM,
  SPF and DMARC records of the test domains, for ``--mail-dns``.

Facts from ../shared/lab-notes.md ("Mail servers"): Dovecot's parser rejects a block written
on one line; Postfix logs only to syslog before its ``maillog_file`` is accepted, and the
file must match ``maillog_file_prefixes``. Their processes run as ``postfix``/``dovecot``, so
their directories are made world-searchable (pytest's own temporary root is 0700).
"""

from __future__ import annotations

import base64
import imaplib
import os
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from lab.unbound import UnboundSpec, unbound_conf
from upprocess import free_port

START_TIMEOUT_S = 15.0
PASSWORD = "secret"  # noqa: S105 (a throwaway mailbox on loopback)


@contextmanager
def open_directory(prefix: str) -> Iterator[Path]:
    """A fresh directory under /tmp that the servers' own users may enter; removed after."""
    directory = Path(tempfile.mkdtemp(prefix=prefix, dir="/tmp"))
    directory.chmod(0o755)
    try:
        yield directory
    finally:
        if not os.environ.get("CLOUDPING_KEEP_MAIL_SERVERS"):  # set it to read their logs
            shutil.rmtree(directory, ignore_errors=True)


def wait_listening(port: int, timeout: float = START_TIMEOUT_S) -> None:
    """Until something accepts on 127.0.0.1:``port`` (bounded)."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                return
        except OSError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.02)


def stop_process(process: subprocess.Popen[Any]) -> None:
    """Stop a process this test started, by PID (terminate, then kill)."""
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=5)


def _free_on_both() -> int:
    """A port free for UDP and for TCP (unbound listens on both)."""
    while True:
        port = free_port(socket.SOCK_DGRAM)
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
            try:
                probe.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port


@dataclass(frozen=True)
class DkimKey:
    """An RSA key: the private PEM (for signing) and the public key for the DNS record."""

    private_pem: bytes
    public_b64: str

    @classmethod
    def new(cls) -> DkimKey:
        key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        private = key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.TraditionalOpenSSL,
            serialization.NoEncryption(),
        )
        public = key.public_key().public_bytes(
            serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
        )
        return cls(private, base64.b64encode(public).decode())


@dataclass
class Dovecot:
    """Dovecot with IMAP and LMTP on loopback and a mailbox per address of ``users``."""

    directory: Path
    users: tuple[str, ...]
    imap_port: int = field(default_factory=lambda: free_port(socket.SOCK_STREAM))
    lmtp_port: int = field(default_factory=lambda: free_port(socket.SOCK_STREAM))
    process: subprocess.Popen[Any] | None = None

    def start(self) -> Dovecot:
        d = self.directory
        for sub in ("run", "state", "mail"):
            (d / sub).mkdir(exist_ok=True)
        shutil.chown(d / "mail", "dovecot", "dovecot")
        (d / "passwd").write_text("".join(f"{u}:{{PLAIN}}{PASSWORD}::::::\n" for u in self.users))
        (d / "dovecot.conf").write_text(self._conf())
        log = (d / "stdout.log").open("w")
        self.process = subprocess.Popen(
            ["dovecot", "-F", "-c", str(d / "dovecot.conf")], stdout=log, stderr=log
        )
        log.close()
        wait_listening(self.imap_port)
        wait_listening(self.lmtp_port)
        return self

    def stop(self) -> None:
        if self.process is not None:
            stop_process(self.process)
            self.process = None

    def _conf(self) -> str:
        d = self.directory
        return f"""base_dir = {d}/run
state_dir = {d}/state
log_path = {d}/dovecot.log
protocols = imap lmtp
listen = 127.0.0.1
ssl = no
disable_plaintext_auth = no
auth_mechanisms = plain
mail_location = maildir:{d}/mail/%d/%n
default_internal_user = dovecot
default_login_user = dovenull
mail_uid = dovecot
mail_gid = dovecot
first_valid_uid = 1
passdb {{
  driver = passwd-file
  args = scheme=PLAIN username_format=%u {d}/passwd
}}
userdb {{
  driver = static
  args = uid=dovecot gid=dovecot home={d}/mail/%d/%n
}}
service imap-login {{
  inet_listener imap {{
    address = 127.0.0.1
    port = {self.imap_port}
  }}
  inet_listener imaps {{
    port = 0
  }}
}}
service lmtp {{
  inet_listener lmtp {{
    address = 127.0.0.1
    port = {self.lmtp_port}
  }}
  unix_listener lmtp {{
    mode = 0600
  }}
}}
service auth {{
  unix_listener auth-userdb {{
    mode = 0600
  }}
}}
protocol lmtp {{
  auth_username_format = %Lu
}}
"""

    def messages(self, user: str) -> list[bytes]:
        """Every message in ``user``'s inbox, oldest first."""
        with imaplib.IMAP4("127.0.0.1", self.imap_port, timeout=5) as imap:
            imap.login(user, PASSWORD)
            imap.select("INBOX", readonly=True)
            _, found = imap.search(None, "ALL")
            raw = []
            for number in found[0].split():
                _, data = imap.fetch(number, "(RFC822)")
                first = data[0]
                assert isinstance(first, tuple)
                raw.append(first[1])
            return raw

    def wait_messages(self, user: str, count: int, timeout: float = 30.0) -> list[bytes]:
        """``user``'s messages once there are at least ``count`` (bounded wait)."""
        deadline = time.monotonic() + timeout
        while True:
            found = self.messages(user)
            if len(found) >= count:
                return found
            assert time.monotonic() < deadline, f"{user} has {len(found)} of {count} messages"
            time.sleep(0.05)


@dataclass
class Postfix:
    """Postfix on loopback: takes mail from 127.0.0.0/8 for ``domains`` and delivers it to
    Dovecot's LMTP."""

    directory: Path
    domains: tuple[str, ...]
    lmtp_port: int
    port: int = field(default_factory=lambda: free_port(socket.SOCK_STREAM))
    process: subprocess.Popen[Any] | None = None

    @property
    def conf(self) -> Path:
        return self.directory / "conf"

    def start(self) -> Postfix:
        for sub in ("conf", "queue", "data"):
            (self.directory / sub).mkdir(exist_ok=True)
        shutil.chown(self.directory / "data", "postfix")
        (self.conf / "main.cf").write_text(self._main())
        (self.conf / "master.cf").write_text(_MASTER.format(port=self.port))
        log = (self.directory / "stdout.log").open("w")
        self.process = subprocess.Popen(
            ["postfix", "-c", str(self.conf), "start-fg"], stdout=log, stderr=log
        )
        log.close()
        wait_listening(self.port)
        return self

    def stop(self) -> None:
        if self.process is None:
            return
        subprocess.run(
            ["postfix", "-c", str(self.conf), "stop"], check=False, capture_output=True, timeout=15
        )
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            stop_process(self.process)
        self.process = None

    def _main(self) -> str:
        d = self.directory
        return f"""compatibility_level = 3.6
queue_directory = {d}/queue
data_directory = {d}/data
mail_owner = postfix
myhostname = relay.lab
mydomain = lab
myorigin = lab
inet_interfaces = 127.0.0.1
inet_protocols = ipv4
mydestination =
local_recipient_maps =
mynetworks = 127.0.0.0/8
relay_domains =
smtpd_relay_restrictions = permit_mynetworks, reject
virtual_mailbox_domains = {" ".join(self.domains)}
virtual_transport = lmtp:inet:127.0.0.1:{self.lmtp_port}
smtp_dns_support_level = disabled
lmtp_host_lookup = native
maillog_file_prefixes = {d}
maillog_file = {d}/maillog
alias_maps =
alias_database =
queue_run_delay = 1s
minimal_backoff_time = 1s
"""


# Only what a relay to LMTP needs; nothing chrooted (a chroot would need /etc copied in).
_MASTER = """127.0.0.1:{port} inet n - n - - smtpd
pickup    unix  n       -       n       60      1       pickup
cleanup   unix  n       -       n       -       0       cleanup
qmgr      unix  n       -       n       300     1       qmgr
rewrite   unix  -       -       n       -       -       trivial-rewrite
bounce    unix  -       -       n       -       0       bounce
defer     unix  -       -       n       -       0       bounce
trace     unix  -       -       n       -       0       bounce
verify    unix  -       -       n       -       1       verify
flush     unix  n       -       n       1000?   0       flush
proxymap  unix  -       -       n       -       -       proxymap
smtp      unix  -       -       n       -       -       smtp
relay     unix  -       -       n       -       -       smtp
showq     unix  n       -       n       -       -       showq
error     unix  -       -       n       -       -       error
retry     unix  -       -       n       -       -       error
discard   unix  -       -       n       -       -       discard
lmtp      unix  -       -       n       -       -       lmtp
anvil     unix  -       -       n       -       1       anvil
scache    unix  -       -       n       -       1       scache
postlog   unix-dgram n  -       n       -       1       postlogd
"""


@dataclass
class LoopbackDns:
    """unbound on 127.0.0.1 (a free port) serving ``records`` and nothing else."""

    directory: Path
    records: tuple[str, ...]
    port: int = field(default_factory=_free_on_both)
    process: subprocess.Popen[Any] | None = None

    @property
    def address(self) -> str:
        return f"127.0.0.1:{self.port}"

    def start(self) -> LoopbackDns:
        spec = UnboundSpec(
            directory=self.directory,
            addresses=("127.0.0.1",),
            local_data=self.records,
            dns_port=self.port,
        )
        conf = self.directory / "unbound.conf"
        conf.write_text(unbound_conf(spec))
        subprocess.run(["unbound-checkconf", str(conf)], check=True, capture_output=True)
        log = (self.directory / "unbound.log").open("w")
        self.process = subprocess.Popen(["unbound", "-d", "-c", str(conf)], stdout=log, stderr=log)
        log.close()
        wait_listening(self.port)  # unbound listens on TCP too, once UDP is up
        return self

    def stop(self) -> None:
        if self.process is not None:
            stop_process(self.process)
            self.process = None
