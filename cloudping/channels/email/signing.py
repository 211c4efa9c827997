"""DKIM-signing replies (RFC 6376) with the operator's key: ``--dkim-key FILE --dkim-selector S
--dkim-domain D``. The signature covers the headers a reader sees and the threading ones."""

from __future__ import annotations

from dataclasses import dataclass

import dkim

SIGNED_HEADERS = (
    b"from", b"to", b"subject", b"date", b"message-id", b"in-reply-to", b"references",
    b"mime-version", b"content-type", b"auto-submitted",
)  # fmt: skip


@dataclass(frozen=True, slots=True)
class DkimSigner:
    """Signs with ``key`` (PEM) as ``selector._domainkey.domain``."""

    key: bytes
    selector: str
    domain: str

    def __repr__(self) -> str:  # never the private key in a log line or a traceback
        return f"DkimSigner(selector={self.selector!r}, domain={self.domain!r})"

    def sign(self, message: bytes) -> bytes:
        """``message`` with its ``DKIM-Signature`` header in front.

        Raises:
            ValueError: the key cannot sign (the options try it once at start).
        """
        try:
            header = dkim.sign(
                message,
                self.selector.encode(),
                self.domain.encode(),
                self.key,
                canonicalize=(b"relaxed", b"relaxed"),
                include_headers=list(SIGNED_HEADERS),
            )
        except dkim.DKIMException as exc:
            raise ValueError(f"the DKIM key cannot sign: {exc}") from exc
        return bytes(header) + message
