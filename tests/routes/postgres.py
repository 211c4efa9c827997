"""A throwaway PostgreSQL server for tests: ``initdb`` as the ``postgres`` user in a fresh
directory under /tmp (pytest's tmp root is 0700: ``postgres`` could not enter it), reached
only through a unix socket in that directory (no TCP), stopped by its own PID file."""

from __future__ import annotations

import glob
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

TIMEOUT_S = 30


def _bin(name: str) -> str:
    """A server program: on PATH, or where Debian's ``postgresql`` puts it (not on PATH)."""
    found = shutil.which(name) or sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"))[-1:]
    if not found:
        raise FileNotFoundError(f"{name}: install postgresql (scripts/setup does)")
    return found if isinstance(found, str) else found[0]


def _as_postgres(program: str, *arguments: str) -> None:
    command = [_bin(program), *arguments]
    subprocess.run(command, user="postgres", check=True, capture_output=True, timeout=TIMEOUT_S)


@contextmanager
def throwaway_postgres() -> Iterator[str]:
    """A running server, as its libpq connection string; gone after the block."""
    home = Path(tempfile.mkdtemp(prefix="cloudping-pg-"))
    home.chmod(0o755)
    shutil.chown(home, "postgres")
    data = str(home / "data")
    try:
        _as_postgres("initdb", "-D", data, "-A", "trust", "-U", "postgres", "--no-sync")
        # A test server: no fsync, no TCP; the socket lives in its own directory.
        options = f"-k {home} -c listen_addresses='' -c fsync=off -c full_page_writes=off"
        _as_postgres("pg_ctl", "-w", "-D", data, "-o", options, "-l", f"{home}/log", "start")
        yield f"host={home} dbname=postgres user=postgres"
    finally:
        if (home / "data" / "postmaster.pid").exists():  # pg_ctl stops the PID it names
            _as_postgres("pg_ctl", "-w", "-D", data, "-m", "immediate", "stop")
        shutil.rmtree(home, ignore_errors=True)
