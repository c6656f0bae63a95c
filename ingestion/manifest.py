"""manifest.json: what an export declares, and the whole-file checks against it.

A missing required file, a file the manifest does not list (or lists but is absent), or a
checksum that disagrees stops the load before anything is read (row counts are reconciled
once the files are read).

An export is ``full`` (every register as it stands) or a ``delta`` (``"kind": "delta"``: one
day's new and corrected rows, on top of what the warehouse holds); a delta has no required
files.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from ingestion.contract import MANIFEST_FILE, TABLES, Table
from ingestion.readers import FileError, find_table_file


@dataclass(frozen=True)
class DeclaredFile:
    rows: int
    sha256: str


@dataclass(frozen=True)
class Manifest:
    source: str
    exported_at: str
    snapshot_date: dt.date
    academic_year: str
    files: dict[str, DeclaredFile]
    kind: str = "full"  # "full" | "delta"

    @property
    def is_delta(self) -> bool:
        return self.kind == "delta"

    def declared(self, file_name: str) -> DeclaredFile | None:
        """The manifest's entry for a file; names compare case-insensitively (Windows exports)."""
        for name, entry in self.files.items():
            if name.lower() == file_name.lower():
                return entry
        return None

    @property
    def fingerprint(self) -> str:
        """Identifies the export: the same files, declared alike, give the same fingerprint.

        Declared row counts are part of it, so a manifest that disagrees with files loaded
        before is a new export (and fails reconciliation), not "already loaded".
        """
        canonical = json.dumps(
            {
                "snapshot_date": self.snapshot_date.isoformat(),
                **({"kind": self.kind} if self.is_delta else {}),
                "files": {
                    name: [entry.sha256, entry.rows] for name, entry in sorted(self.files.items())
                },
            },
            sort_keys=True,
        )
        return hashlib.sha256(canonical.encode()).hexdigest()


def read_manifest(export_dir: Path) -> Manifest:
    path = export_dir / MANIFEST_FILE
    if not export_dir.is_dir():
        raise FileError(str(export_dir), "not a folder")
    if not path.exists():
        raise FileError(MANIFEST_FILE, "missing: every export carries one")
    try:
        data = json.loads(path.read_text(encoding="utf-8-sig"))
        files = {
            name: DeclaredFile(int(entry["rows"]), str(entry["sha256"]).lower())
            for name, entry in data["files"].items()
        }
        return Manifest(
            source=str(data["source"]),
            exported_at=str(data["exported_at"]),
            snapshot_date=dt.date.fromisoformat(data["snapshot_date"]),
            academic_year=str(data["academic_year"]),
            files=files,
            kind=_kind(data.get("kind", "full")),
        )
    except (ValueError, KeyError, TypeError, AttributeError) as error:
        raise FileError(MANIFEST_FILE, f"not a valid manifest: {_describe(error)}") from None


def _kind(value) -> str:
    if value not in ("full", "delta"):
        raise ValueError(f"kind is {value!r}, not 'full' or 'delta'")
    return value


def locate_files(export_dir: Path, manifest: Manifest) -> dict[Table, Path]:
    """The file of each contract table present, checked against the manifest."""
    found: dict[Table, Path] = {}
    for table in TABLES:
        path = find_table_file(export_dir, table)
        if path is None:
            if table.required and not manifest.is_delta:
                raise FileError(f"{table.name}.csv", "required file is missing")
            declared = [name for name in manifest.files if Path(name).stem.lower() == table.name]
            if declared:
                raise FileError(declared[0], "listed in manifest.json but missing")
            continue
        if manifest.declared(path.name) is None:
            raise FileError(path.name, "not listed in manifest.json")
        found[table] = path
    return found


def verify_checksums(files: dict[Table, Path], manifest: Manifest, threads: int = 2) -> None:
    """SHA-256 of every file against the manifest (hashlib releases the GIL: files in parallel)."""
    paths = list(files.values())
    with ThreadPoolExecutor(max_workers=threads) as pool:
        digests = list(pool.map(sha256_of, paths))
    for path, digest in zip(paths, digests, strict=True):
        if digest != manifest.declared(path.name).sha256:
            raise FileError(path.name, "SHA-256 checksum disagrees with manifest.json")


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while chunk := handle.read(1 << 24):
            digest.update(chunk)
    return digest.hexdigest()


def _describe(error: Exception) -> str:
    if isinstance(error, KeyError):
        return f"field {error.args[0]!r} is missing"
    return str(error).splitlines()[0][:160]
