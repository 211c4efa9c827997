"""Sending through the operator's relay with aiosmtplib: STARTTLS whenever the relay offers it
(required with ``--smtp-relay-tls require``), credentials from a file, and every outcome as
data: sent, try again later (the relay is down, or said 4xx), or refused for good (5xx)."""

from __future__ import annotations

import ssl
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Literal

import aiosmtplib

RelayTls = Literal["auto", "require"]
Outcome = Literal["sent", "later", "refused"]
SEND_TIMEOUT_S = 30.0


@dataclass(frozen=True, slots=True)
class Credentials:
    """A user name and password for the relay's AUTH."""

    username: str
    password: str = ""

    def __repr__(self) -> str:  # never a secret in a log line or a traceback
        return f"Credentials(username={self.username!r}, password=***)"

    @classmethod
    def from_file(cls, path: Path) -> Credentials:
        """``USER:PASSWORD`` on the file's first line.

        Raises:
            ValueError: the file has no such line (the message never shows the password).
        """
        lines = path.read_text().splitlines()
        user, colon, password = lines[0].partition(":") if lines else ("", "", "")
        if not user or not colon:
            raise ValueError(f"{path} does not hold USER:PASSWORD on its first line")
        return cls(user, password)


@dataclass(frozen=True, slots=True)
class Relay:
    """Where replies go out."""

    host: str
    port: int
    tls: RelayTls = "auto"
    credentials: Credentials | None = None
    ca_file: Path | None = None

    async def send(
        self, message: bytes, sender: str, recipients: tuple[str, ...]
    ) -> tuple[Outcome, str]:
        """Hand ``message`` to the relay; the outcome and what the relay said."""
        context = _context(self.ca_file)
        try:
            await aiosmtplib.send(
                message,
                sender=sender,
                recipients=list(recipients),
                hostname=self.host,
                port=self.port,
                start_tls=True if self.tls == "require" else None,
                tls_context=context,
                username=self.credentials.username if self.credentials else None,
                password=self.credentials.password if self.credentials else None,
                timeout=SEND_TIMEOUT_S,
            )
        except aiosmtplib.SMTPAuthenticationError as exc:  # our settings: keep the reply
            return "later", f"{exc.code} {exc.message}"
        except aiosmtplib.SMTPRecipientsRefused as exc:
            permanent = all(error.code >= 500 for error in exc.recipients)
            return ("refused" if permanent else "later"), str(exc)
        except aiosmtplib.SMTPResponseException as exc:
            return ("refused" if exc.code >= 500 else "later"), f"{exc.code} {exc.message}"
        except (aiosmtplib.SMTPException, OSError, TimeoutError) as exc:
            return "later", str(exc) or type(exc).__name__
        return "sent", "250"


@cache
def _context(ca_file: Path | None) -> ssl.SSLContext:
    """The TLS context for the relay (made once: loading the CA bundle takes milliseconds)."""
    return ssl.create_default_context(cafile=str(ca_file) if ca_file else None)
