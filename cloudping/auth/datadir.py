"""The tokens of a hub's data directory: its signing keys, revocations and registry, opened
together, the same way by the hub and by the operator's ``cloudping token`` tool."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import closing, contextmanager
from pathlib import Path

from cloudping.auth.keys import KeyDirectory
from cloudping.auth.registry import REGISTRY_FILE, SqliteTokenRegistry
from cloudping.auth.revocations import REVOCATIONS_FILE, SqliteRevocations
from cloudping.auth.tokens import TokenService
from cloudping.datafiles import private_dir


@contextmanager
def data_dir_tokens(data_dir: Path, issuer: str) -> Iterator[TokenService]:
    """The token service of ``data_dir`` (made private if new), its files open until the
    block ends. Blocking (files, SQLite): a hub enters it off its event loop.

    Raises:
        KeyStoreError: the keys cannot be read or made.
        CloudpingError: ``state_too_new`` for files of a newer cloudping.
    """
    private_dir(data_dir)
    keys = KeyDirectory.in_data_dir(data_dir).load()
    with (
        closing(SqliteRevocations.open(data_dir / REVOCATIONS_FILE)) as revocations,
        closing(SqliteTokenRegistry.open(data_dir / REGISTRY_FILE)) as registry,
    ):
        yield TokenService(keys, issuer, revocations, registry=registry)
