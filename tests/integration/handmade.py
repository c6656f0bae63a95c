"""A register export written by hand, row by row, for checking indicators against figures
worked out by hand (tests/integration/test_indicator_families.py).

``write_export`` takes each table's rows as dicts of the columns that matter to the case and
fills the rest: required columns with a plain valid value, optional ones empty. It writes the
CSV files and a manifest.json that declares them, as a register would.
"""

from __future__ import annotations

import csv
import json
from pathlib import Path

from ingestion.contract import MANIFEST_FILE, TABLES, Column
from ingestion.manifest import sha256_of

STAFF_CATEGORY = {
    "director": "administrative",
    "deputy_director": "administrative",
    "teacher": "teaching",
    "educator": "teaching",
    "librarian": "teaching_support",
}
DEFAULTS = {
    "name_ru": "Организация",
    "last_name": "Тестов",
    "first_name": "Тест",
    "citizenship": "KG",
    "document_type": "birth_certificate",
    "document_number": "AN0000000",
    "disability": "none",
    "education_level": "higher",
    "ownership": "state",
    "locality": "urban",
    "languages": "ky",
    "status": "active",
}
TIMESTAMP = "2026-05-30T10:00:00Z"


def default(column: Column, row: dict) -> str:
    """A plain valid value of a required column the case leaves out; empty if optional."""
    if not column.required:
        return ""
    if column.type == "timestamp":
        return TIMESTAMP
    if column.name == "staff_category":
        return STAFF_CATEGORY[row["position"]]
    return DEFAULTS[column.name]


def write_export(
    folder: Path, tables: dict[str, list[dict]], snapshot_date: str, academic_year: str
) -> Path:
    """Write ``tables`` (name -> rows) as an export into ``folder``; returns ``folder``."""
    folder.mkdir(parents=True, exist_ok=True)
    files = {}
    for table in TABLES:
        rows = tables.get(table.name)
        if rows is None:
            continue
        path = folder / f"{table.name}.csv"
        with path.open("w", encoding="utf-8", newline="") as handle:
            writer = csv.writer(handle, lineterminator="\n")
            writer.writerow(table.column_names)
            for row in rows:
                unknown = set(row) - set(table.column_names)
                assert not unknown, f"{table.name} has no column {unknown}"
                writer.writerow(
                    [
                        str(row[column.name]) if column.name in row else default(column, row)
                        for column in table.columns
                    ]
                )
        files[path.name] = {"rows": len(rows), "sha256": sha256_of(path)}
    manifest = {
        "source": "hand-made test export",
        "exported_at": f"{snapshot_date}T08:00:00Z",
        "snapshot_date": snapshot_date,
        "academic_year": academic_year,
        "files": files,
    }
    (folder / MANIFEST_FILE).write_text(json.dumps(manifest, indent=2), encoding="utf-8")
    return folder
