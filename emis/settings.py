"""The platform's settings, read from the environment in one place.

Nothing else in the code base reads ``os.environ`` for these: call :func:`load_settings`.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

PSEUDONYM_KEY_BYTES = 32


@dataclass(frozen=True)
class Settings:
    """Where the platform keeps its state.

    ``home`` holds the warehouse (DuckDB default), releases and keys.
    ``warehouse`` is a DuckDB file path or a ``postgresql://`` DSN.
    """

    home: Path
    warehouse: str
    pseudonym_key_file: Path

    @property
    def is_postgres(self) -> bool:
        return is_postgres_dsn(self.warehouse)

    @property
    def releases_dir(self) -> Path:
        return self.home / "releases"

    @property
    def warehouse_path(self) -> Path:
        """The DuckDB file; an error on a PostgreSQL warehouse."""
        if self.is_postgres:
            raise ValueError("the warehouse is PostgreSQL, not a DuckDB file")
        return Path(self.warehouse)


def is_postgres_dsn(location: str) -> bool:
    return location.startswith(("postgresql://", "postgres://"))


def load_settings(environ: Mapping[str, str] | None = None) -> Settings:
    """Settings from ``environ`` (default: the process environment), with defaults under ./var."""
    env = os.environ if environ is None else environ
    home = Path(env.get("EMIS_HOME") or "var").expanduser().absolute()
    warehouse = env.get("EMIS_WAREHOUSE") or str(home / "warehouse.duckdb")
    if not is_postgres_dsn(warehouse):
        warehouse = str(Path(warehouse).expanduser().absolute())
    key_file = env.get("EMIS_PSEUDONYM_KEY_FILE")
    key_path = (
        Path(key_file).expanduser().absolute() if key_file else home / "keys" / "pseudonym.key"
    )
    return Settings(home=home, warehouse=warehouse, pseudonym_key_file=key_path)


def pseudonym_key(settings: Settings) -> bytes:
    """The secret key for PIN pseudonyms; created (mode 0600) on first use if absent.

    The key never lives in the repository: losing it means new pseudonyms for everyone,
    so a deployment backs it up with the warehouse.
    """
    path = settings.pseudonym_key_file
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as handle:
            handle.write(secrets.token_hex(PSEUDONYM_KEY_BYTES) + "\n")
    key = bytes.fromhex(path.read_text().strip())
    if len(key) < 16:
        raise ValueError(f"{path}: the pseudonym key is shorter than 16 bytes")
    return key
