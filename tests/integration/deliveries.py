"""Hand-made deliveries: rows added to, or rewritten in, a copy of an export's files, with its
manifest kept true (the tests' awkward cases on top of a generated export)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import duckdb

from ingestion.contract import MANIFEST_FILE, TABLES_BY_NAME
from ingestion.manifest import read_manifest, sha256_of

READ = "read_csv('{}', all_varchar = true, header = true)"


def deliver(folder: Path, name: str, rows_sql: str, like: Path) -> None:
    """Add the rows of ``rows_sql`` (the columns of ``like``/``name``, as text) to the export's
    file ``name``, and manifest.json to match."""
    out = folder / name
    with duckdb.connect() as con:
        described = con.execute(f"describe select * from {READ.format(like / name)}").fetchall()
        columns = ", ".join(f'"{row[0]}"' for row in described)
        rows = f"select {columns} from ({rows_sql})"
        if out.exists():
            rows = f"select {columns} from {READ.format(out)} union all {rows}"
        con.execute(f"copy ({rows}) to '{out}.new' (header)")
        Path(f"{out}.new").replace(out)
        count = con.execute(f"select count(*) from {READ.format(out)}").fetchall()[0][0]
    manifest_path = folder / MANIFEST_FILE
    manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
    manifest["files"][name] = {"rows": count, "sha256": sha256_of(out)}
    manifest_path.write_text(json.dumps(manifest), encoding="utf-8")


def csv_rows(path: Path, sql: str) -> list[tuple]:
    """Rows of ``sql`` over the CSV file ``path`` (as the view ``t``, text columns)."""
    with duckdb.connect() as con:
        con.execute(f"create view t as select * from {READ.format(path)}")
        return con.execute(sql).fetchall()


def rewrite(folder: Path, name: str, rows_sql: str) -> None:
    """Replace the export's file ``name`` by the rows of ``rows_sql`` (over the file as ``t``),
    and manifest.json to match."""
    out = folder / name
    with duckdb.connect() as con:
        con.execute(f"create view t as select * from {READ.format(out)}")
        con.execute(f"copy ({rows_sql}) to '{out}.new' (header)")
        Path(f"{out}.new").replace(out)
    manifest_path = folder / MANIFEST_FILE
    manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
    manifest["files"][name]["sha256"] = sha256_of(out)
    manifest_path.write_text(json.dumps(manifest), encoding="utf-8")


def first_id(base: Path, name: str, column: str, where: str = "true") -> str:
    """The least ``column`` of the export's file ``name`` among the rows ``where``."""
    return csv_rows(base / name, f"select min({column}) from t where {where}")[0][0]


def row_of(base: Path, name: str, replaced: str, chosen: str) -> tuple[str, str]:
    """A row of the export's file ``name`` (``chosen``: a where or an order clause), with the
    columns ``replaced``."""
    return name, f"select * replace ({replaced}) from {READ.format(base / name)} {chosen}"


def merged_export(base: Path, delta: Path, out: Path) -> Path:
    """The full export holding the same data: each delta row replaces the base row with its
    key, or is added; the delta's snapshot date."""
    shutil.copytree(base, out)
    manifest = json.loads((base / MANIFEST_FILE).read_text(encoding="utf-8"))
    changed = read_manifest(delta)
    with duckdb.connect() as con:
        for name in changed.files:
            table = TABLES_BY_NAME[Path(name).stem]
            key = ", ".join(table.key)
            con.execute(
                f"""
                copy (
                    select * from {READ.format(base / name)}
                    where ({key}) not in (select ({key}) from {READ.format(delta / name)})
                    union all
                    select * from {READ.format(delta / name)}
                ) to '{out / name}' (header)
                """
            )
            rows = con.execute(f"select count(*) from {READ.format(out / name)}").fetchall()[0][0]
            manifest["files"][name] = {"rows": rows, "sha256": sha256_of(out / name)}
    manifest["snapshot_date"] = changed.snapshot_date.isoformat()
    (out / MANIFEST_FILE).write_text(json.dumps(manifest), encoding="utf-8")
    return out
