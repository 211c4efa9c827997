"""The hub's data directory and the files in it: private to the user the hub runs as.

The directory holds who may act on the hub (signing keys, tokens, revocations) and every
measurement: 0700 for the directory, 0600 for each file, whatever the umask and whether or
not the directory existed before. SQLite gives its ``-wal`` and ``-shm`` files the mode of
the database file, so a private database keeps them private too.
"""

from __future__ import annotations

import logging
import os
import stat
from pathlib import Path

log = logging.getLogger(__name__)


def private_dir(path: Path) -> None:
    """Make ``path`` (and missing parents) a directory only its owner may enter.

    An existing directory of this user is narrowed to 0700; one of another user, or a shared
    one with the sticky bit (``/tmp``), is left as it is, with a warning: changing it would
    lock others out of what is theirs.
    """
    path.mkdir(parents=True, exist_ok=True, mode=0o700)
    info = path.stat()
    if not info.st_mode & 0o077:
        return
    if info.st_uid != os.geteuid() or info.st_mode & stat.S_ISVTX:
        log.warning("%s is open to other users (mode %o): use a private directory", path,
                    stat.S_IMODE(info.st_mode))  # fmt: skip
        return
    path.chmod(0o700)


def private_file(path: Path) -> None:
    """Create ``path`` as 0600 if missing, or narrow an existing file to 0600 (one an older
    cloudping made carries the umask's bits); never through a symbolic link."""
    fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW, 0o600)
    try:
        os.fchmod(fd, 0o600)
    finally:
        os.close(fd)


def write_private(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` atomically (temporary file, fsync, rename), mode 0600."""
    tmp = path.with_name(f"{path.name}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_NOFOLLOW, 0o600)
    try:
        os.fchmod(fd, 0o600)  # a stale temporary file may carry wider bits
        os.write(fd, data)
        os.fsync(fd)
    finally:
        os.close(fd)
    os.replace(tmp, path)
