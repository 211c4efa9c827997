"""The SQLite files of authentication (revocations, the token registry): private, versioned.

Both hold who may act on the hub, so their directory is 0700 and the files 0600 (SQLite
gives its ``-wal`` and ``-shm`` files the mode of the database file). A connection may be
used from a worker thread (``asyncio.to_thread``) as well as the loop's; each class guards
its own with a lock.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

from cloudping.datafiles import private_dir, private_file
from cloudping.errors import CloudpingError


def connect_private(
    path: str | Path, schema: str, component: str, version: int
) -> sqlite3.Connection:
    """A connection to ``path`` (made 0600, in a 0700 directory, if new) with ``schema`` made.

    Raises:
        CloudpingError: ``state_too_new`` when the file comes from a newer cloudping.
    """
    file = Path(path)
    private_dir(file.parent)
    private_file(file)
    db = sqlite3.connect(file, isolation_level=None, check_same_thread=False)
    try:
        db.execute("PRAGMA journal_mode=WAL")
        db.execute("PRAGMA busy_timeout=5000")  # the CLI and a running hub write the same file
        db.executescript(schema)  # idempotent, so two processes opening at once agree
        _check_version(db, component, version)
    except BaseException:
        db.close()
        raise
    return db


def _check_version(db: sqlite3.Connection, component: str, version: int) -> None:
    """Record the schema version on a new file; refuse a file from a newer cloudping."""
    db.execute("INSERT OR IGNORE INTO schema_version VALUES (?, ?)", (component, version))
    (found,) = db.execute(
        "SELECT version FROM schema_version WHERE component = ?", (component,)
    ).fetchone()
    if found > version:
        raise CloudpingError(
            f"the {component} in this file have schema version {found}, newer than this "
            f"cloudping's ({version}): upgrade cloudping",
            code="state_too_new",
        )
