"""``--ca FILE``: the CLI reads the certificates itself and the command carries ``ca_pem``.

A command names no file on the hub or an agent (design.md), so ``--ca`` is an option of the
``cloudping`` process, like ``--png``: the file is read here, on the user's machine, and its
text travels in the command, to a local run or through a hub alike.
"""

from __future__ import annotations

from cloudping.commands import Command, from_json, to_json
from cloudping.commands.pem import CA_FLAG, MAX_PEM_CHARS
from cloudping.errors import UsageError
from cloudping.policy import Limits


def with_ca(cmd: Command, ca_pem: str | None, limits: Limits) -> Command:
    """``cmd`` trusting ``ca_pem`` (checked as the API checks it), or ``cmd`` itself.

    Raises:
        UsageError: a command that verifies no certificate, or text that holds none.
    """
    if ca_pem is None:
        return cmd
    if "ca_pem" not in type(cmd).model_fields:
        raise UsageError(f"{CA_FLAG}: only dns and http verify certificates", word=CA_FLAG)
    return from_json({**to_json(cmd), "ca_pem": ca_pem}, limits=limits)


def read_ca(path: str) -> str:
    """The text of the CA file ``path`` (not checked yet: the command's model checks it).

    Raises:
        UsageError: a file that cannot be read, is too large, or is not text.
    """
    try:
        with open(path, "rb") as file:
            data = file.read(MAX_PEM_CHARS + 1)
    except OSError as exc:
        raise UsageError(f"--ca {path}: {exc.strerror or exc}", word=path) from exc
    if len(data) > MAX_PEM_CHARS:
        raise UsageError(f"--ca {path}: larger than {MAX_PEM_CHARS // 1024} KiB", word=path)
    try:
        return data.decode("ascii")
    except UnicodeDecodeError:
        raise UsageError(f"--ca {path}: not PEM text (RFC 7468)", word=path) from None
