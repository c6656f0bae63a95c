"""SQLite files that hold the platform's private state (portal accounts, sign-off)."""

from __future__ import annotations

import os
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path


@contextmanager
def connect(path: Path, schema: str) -> Iterator[sqlite3.Connection]:
    """The store at ``path``, created with private permissions on first use and brought up to
    ``schema`` (idempotent DDL); one transaction."""
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT, 0o600))
    con = sqlite3.connect(path, timeout=10)
    con.row_factory = sqlite3.Row
    try:
        con.executescript(schema)
        with con:
            yield con
    finally:
        con.close()
