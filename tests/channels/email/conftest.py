"""The mail servers, DNS records and keys the email channel's tests share (one set per module)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from lab.unbound import mail_records

from .mailservers import DkimKey, Dovecot, LoopbackDns, Postfix, open_directory

SENDER_DOMAIN, SENDER_SELECTOR = "ops.lab", "s1"
HUB_DOMAIN, HUB_SELECTOR = "hub.lab", "cp"
HUB_ADDRESS = f"ping@{HUB_DOMAIN}"
OPS = f"ops@{SENDER_DOMAIN}"
STRANGER_DOMAIN = "elsewhere.lab"
STRANGER = f"eve@{STRANGER_DOMAIN}"
# A domain whose SPF lets loopback send (and that signs nothing): DMARC passes on SPF alone.
SPF_DOMAIN = "loop.lab"
SPF_SENDER = f"ops@{SPF_DOMAIN}"


@dataclass(frozen=True)
class MailWorld:
    """Everything around the hub: DNS with the lab's mail records, Dovecot, Postfix, keys."""

    directory: Path
    sender_key: DkimKey
    stranger_key: DkimKey
    hub_key: DkimKey
    dns: LoopbackDns
    dovecot: Dovecot
    postfix: Postfix

    @property
    def hub_key_file(self) -> Path:
        path = self.directory / "hub-dkim.pem"
        if not path.exists():
            path.write_bytes(self.hub_key.private_pem)
        return path


@pytest.fixture(scope="module")
def mail_world() -> Iterator[MailWorld]:
    """Started once per module, stopped by PID at its end."""
    keys = DkimKey.new(), DkimKey.new(), DkimKey.new()
    records = (
        *mail_records(SENDER_DOMAIN, SENDER_SELECTOR, keys[0].public_b64),
        *mail_records(STRANGER_DOMAIN, SENDER_SELECTOR, keys[1].public_b64),
        *mail_records(HUB_DOMAIN, HUB_SELECTOR, keys[2].public_b64),
        *mail_records(SPF_DOMAIN, "unused", keys[1].public_b64, spf="v=spf1 ip4:127.0.0.1 -all"),
        "mail.lab. 300 IN A 198.18.3.25",
    )
    with open_directory("cp-mail-") as directory:
        for sub in ("dns", "dovecot", "postfix"):
            (directory / sub).mkdir()
        dns = LoopbackDns(directory / "dns", records).start()
        users = (OPS, STRANGER, HUB_ADDRESS, SPF_SENDER)
        dovecot = Dovecot(directory / "dovecot", users)
        domains = (SENDER_DOMAIN, STRANGER_DOMAIN, SPF_DOMAIN)
        postfix = Postfix(directory / "postfix", domains, dovecot.lmtp_port)
        try:
            dovecot.start()
            postfix.start()
            yield MailWorld(directory, *keys, dns, dovecot, postfix)
        finally:
            postfix.stop()
            dovecot.stop()
            dns.stop()
