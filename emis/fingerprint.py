"""A digest of source files: work made by code is reused only while that code is unchanged."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent  # the repository


def of_files(names: Iterable[str]) -> str:
    """SHA-256 over each named file, or each file under a named folder, with its path."""
    digest = hashlib.sha256()
    for name in names:
        path = ROOT / name
        files = sorted(p for p in path.rglob("*") if p.is_file()) if path.is_dir() else [path]
        for file in files:
            digest.update(str(file.relative_to(ROOT)).encode())
            digest.update(file.read_bytes())
    return digest.hexdigest()
