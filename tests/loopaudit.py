"""Blocking file or socket I/O on a running event loop, caught by an audit hook (PEP 578).

One ``open()`` of a FIFO or one blocking ``connect()`` on the loop's thread freezes the whole
hub: the API, MCP and the agent listeners. Timing cannot prove its absence; an audit hook can.
``sys.addaudithook`` sees every ``open`` and ``socket.connect``; those raised from a thread
that runs an asyncio loop, by code under a watched root (cloudping's package), while a guarded
test runs, are findings, and the test fails naming each with the code that did it.

Not findings, with the reason: a module import (anything opened while the import system runs,
such as a library reading its own metadata as it loads: once per process), a file shipped
inside the package (a font: local, small, cached), an already open descriptor (``open(fd)``),
a connect on a non-blocking socket (asyncio's own, which returns at once), and the start-up
reads in ``STARTUP``. OpenSSL's own reads (the system CA bundle) raise no audit event. A hook
cannot be removed, so it is installed once and only records while a test holds
:func:`loop_audit`.
"""

from __future__ import annotations

import asyncio
import contextlib
import importlib.metadata
import socket
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import cloudping

CLOUDPING_ROOT = str(Path(cloudping.__file__).parent)
_MODULE_SUFFIXES = (".py", ".pyc", ".so", ".pth")
_IMPORT_SYSTEM = "<frozen importlib._bootstrap"  # also ..._bootstrap_external
# Reading installed packages' metadata is part of importing too: pydantic's first validator in
# a process scans every package's entry points for plugins, once, wherever it happens to be.
_METADATA = str(Path(importlib.metadata.__file__).parent)
# The operator's own files in the data directory, read or written once while a hub starts,
# before any listener accepts a caller: nothing a caller sends can reach them.
STARTUP = frozenset(
    {
        "cloudping/auth/keys.py:_locked",  # the key ring's lock file
        "cloudping/auth/keys.py:_write_private",  # a first signing key
        "cloudping/auth/keys.py:_read_key",
        "cloudping/auth/keys.py:_active_kid",
        "cloudping/hub/certfile.py:hub_certificate",  # the hub's own TLS certificate
        "cloudping/hub/certfile.py:_read",
        "cloudping/hub/certfile.py:_write_private",
        "cloudping/transport/quic.py:serve_agents",  # aioquic loads that certificate
        "cloudping/commands/table.py:build_validators",  # pydantic's plugin scan, once
    }
)
_watches: list[tuple[tuple[str, ...], list[str]]] = []  # (roots, findings) of guarded tests
_inside = threading.local()
_installed: list[bool] = []


def _blocking(event: str, args: tuple[object, ...]) -> str | None:
    """What the event does that may block, or None when it cannot."""
    if event == "open":
        path = args[0]
        if isinstance(path, int) or path is None:
            return None
        name = str(path)
        shipped = name.startswith(CLOUDPING_ROOT)
        return None if shipped or name.endswith(_MODULE_SUFFIXES) else f"open({name!r})"
    if event == "socket.connect":
        sock = args[0]
        if isinstance(sock, socket.socket) and sock.gettimeout() == 0.0:
            return None
        return f"connect({args[1]!r}) on a blocking socket"
    return None


def _culprit(roots: tuple[str, ...]) -> str | None:
    """``file:line`` of the innermost frame under one of ``roots`` (no source is read); None
    when there is none, or when it is a start-up read."""
    frame = sys._getframe(2)
    while frame is not None:
        code = frame.f_code
        if code.co_filename.startswith((_IMPORT_SYSTEM, _METADATA)):
            return None
        if code.co_filename.startswith(roots):
            relative = code.co_filename.removeprefix(str(Path(CLOUDPING_ROOT).parent) + "/")
            if f"{relative}:{code.co_name}" in STARTUP:
                return None
            return f"{code.co_filename}:{frame.f_lineno} in {code.co_name}"
        frame = frame.f_back  # type: ignore[assignment]
    return None


def _hook(event: str, args: tuple[object, ...]) -> None:
    if not _watches or event not in ("open", "socket.connect"):
        return
    if getattr(_inside, "busy", False) or asyncio._get_running_loop() is None:
        return
    _inside.busy = True
    try:
        what = _blocking(event, args)
        if what is None:
            return
        for roots, findings in _watches:
            where = _culprit(roots)
            if where is not None:
                findings.append(f"{what} from {where}")
    finally:
        _inside.busy = False


@contextlib.contextmanager
def loop_audit(roots: tuple[str, ...] = (CLOUDPING_ROOT,)) -> Iterator[list[str]]:
    """Record blocking I/O done on an event loop by code under ``roots`` while inside."""
    if not _installed:
        sys.addaudithook(_hook)
        _installed.append(True)
    watch: tuple[tuple[str, ...], list[str]] = (roots, [])
    _watches.append(watch)
    try:
        yield watch[1]
    finally:
        _watches.remove(watch)


def audited() -> Iterator[None]:
    """The body of an autouse fixture: the test fails if cloudping blocked a running loop."""
    with loop_audit() as findings:
        yield
    if findings:
        shown = "\n  ".join(dict.fromkeys(findings))
        raise AssertionError(f"blocking I/O on the event loop's thread:\n  {shown}")
