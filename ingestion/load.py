"""Load one register export into the warehouse: every row loaded or quarantined, atomically.

1. Whole-file checks (manifest, required files, checksums): any failure stops the load with
   one line naming the file; the warehouse is not touched.
2. The same export loaded before (same fingerprint) changes nothing.
3. Each file is staged as text in a private DuckDB, checked row by row against the contract
   (``rules``), keys and references; bad rows go to quarantine with the rule they break, good
   rows cross the personal-data boundary (``boundary``) into the target's ``loading``. Files
   are read in reference order, so a child row whose parent was quarantined is quarantined too.
4. Rows read = rows loaded + rows quarantined, per file, equal to the manifest's declaration.
5. The warehouse target commits everything in one transaction with one ``load_id``: a file
   that fails leaves the warehouse as it was (``warehouse.targets``).

A delta export (``"kind": "delta"`` in its manifest) carries one day's new and corrected rows:
its references are checked against its own rows and the records the warehouse holds now.
"""

from __future__ import annotations

import os
import shutil
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import duckdb

from emis.settings import Settings, pseudonym_key
from ingestion.boundary import hmac_pads, raw_columns
from ingestion.contract import TABLES_BY_NAME, Table
from ingestion.manifest import Manifest, locate_files, read_manifest, verify_checksums
from ingestion.readers import FileError, StagedFile, drop_staged_rows, stage_file, unstage
from ingestion.rules import q, rules_for
from warehouse.targets import PreparedLoad, open_target

# Parents before children, so references are checked against rows that were loaded.
LOAD_ORDER = (
    "organizations", "students", "staff", "classes", "enrolments", "staff_assignments",
    "infrastructure", "grades", "attendance_marks", "absences", "population",
)  # fmt: skip
MASK = "***"  # what the quarantine shows of a personal value
DUCKDB_CONFIG = {"memory_limit": "2GB", "preserve_insertion_order": True}


@dataclass(frozen=True)
class FileSummary:
    file: str
    table: str
    format: str
    encoding: str | None
    delimiter: str | None
    declared: int
    read: int
    loaded: int
    quarantined: int
    seconds: float
    warnings: tuple[str, ...]

    def as_row(self) -> dict:
        return {
            "file_name": self.file, "table_name": self.table, "file_format": self.format,
            "encoding": self.encoding, "delimiter": self.delimiter,
            "rows_declared": self.declared, "rows_read": self.read, "rows_loaded": self.loaded,
            "rows_quarantined": self.quarantined, "seconds": round(self.seconds, 3),
            "warnings": "; ".join(self.warnings) or None,
        }  # fmt: skip


@dataclass(frozen=True)
class LoadResult:
    load_id: int
    already_loaded: bool
    files: tuple[FileSummary, ...]
    seconds: float

    @property
    def warnings(self) -> list[str]:
        return [f"{f.file}: {w}" for f in self.files for w in f.warnings]


def ingest(export_dir: Path, settings: Settings, progress=None) -> LoadResult:
    """Load ``export_dir`` into the warehouse of ``settings``; see the module docstring."""
    started = time.perf_counter()
    export_dir = Path(export_dir)
    manifest = read_manifest(export_dir)
    files = locate_files(export_dir, manifest)
    verify_checksums(files, manifest)
    target = open_target(settings)
    existing = target.find_load(manifest.fingerprint)
    if existing is not None:
        return LoadResult(existing, True, (), time.perf_counter() - started)
    target.check_writable()
    work = _work_dir(settings.home / "tmp")
    try:
        config = DUCKDB_CONFIG | {"temp_directory": str(work / "spill")}
        with (
            duckdb.connect(config=config) as con,
            target.loading(con, work, manifest.is_delta) as loading,
        ):
            # Timestamps without an offset are read as UTC, whatever the machine's time zone
            # (set once the database is open: only then does the time-zone extension load).
            con.execute("set TimeZone = 'UTC'")
            prepared, summaries = prepare(
                con, export_dir, manifest, files, settings, work, loading, progress
            )
            prepared.seconds = round(time.perf_counter() - started, 3)
            load_id = loading.commit(prepared)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return LoadResult(load_id, False, tuple(summaries), time.perf_counter() - started)


def _work_dir(root: Path) -> Path:
    """A private folder for this load; folders of loads whose process died are removed."""
    root.mkdir(parents=True, exist_ok=True)
    for stale in root.glob("load-*"):
        pid = stale.name.split("-")[1]
        if pid.isdigit() and not _process_alive(int(pid)):
            shutil.rmtree(stale, ignore_errors=True)
    return Path(tempfile.mkdtemp(prefix=f"load-{os.getpid()}-", dir=root))


def _process_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def prepare(
    con, export_dir, manifest: Manifest, files: dict[Table, Path], settings, work, loading, progress
):
    """Check every file on ``con`` (temporary files under ``work``) and hand its rows and
    quarantine to ``loading``.

    For a delta, the rows may reference the records the warehouse holds now: ``loading`` says
    which those are.
    """
    pads = hmac_pads(pseudonym_key(settings))
    by_name = {table.name: (table, path) for table, path in files.items()}
    prepared = PreparedLoad(
        fingerprint=manifest.fingerprint,
        source=manifest.source,
        exported_at=manifest.exported_at,
        snapshot_date=manifest.snapshot_date,
        academic_year=manifest.academic_year,
        export_path=str(export_dir.resolve()),
        rows_declared=0,
        rows_loaded=0,
        rows_quarantined=0,
        seconds=0.0,
        load_kind=manifest.kind,
    )
    summaries: list[FileSummary] = []
    present = set(by_name)
    if manifest.is_delta:
        for parent, column in referenced_keys():
            keys = loading.current_keys(parent, column)
            con.execute(f"create temp table keys_{parent}__{column} as {keys}")
            present.add(parent)
    for name in LOAD_ORDER:
        if name not in by_name:
            continue
        table, path = by_name[name]
        if progress:
            progress(path.name)
        summary = _prepare_file(con, table, path, manifest, present, pads, work, loading)
        summaries.append(summary)
        prepared.files.append(summary.as_row())
        prepared.rows_declared += summary.declared
        prepared.rows_loaded += summary.loaded
        prepared.rows_quarantined += summary.quarantined
    return prepared, summaries


def _prepare_file(con, table, path, manifest, present, pads, work, loading) -> FileSummary:
    started = time.perf_counter()
    staged = stage_file(con, path, table, "staged", work)
    declared = manifest.declared(path.name).rows
    if staged.rows != declared:
        raise FileError(path.name, f"{staged.rows} rows read, manifest.json declares {declared}")
    warnings = [*_staging_warnings(staged)]
    warnings += find_problems(con, table, manifest, present)
    quarantined = con.execute("select count(distinct row_number) from problems").fetchall()[0][0]
    if quarantined:
        write_quarantine(table, path.name, loading)
        drop_staged_rows(con, "staged", "select row_number from problems")
    write_loaded_rows(con, table, loading, pads)
    keep_keys(con, table)
    unstage(con, "staged")
    return FileSummary(
        file=path.name,
        table=table.name,
        format=staged.format,
        encoding=staged.encoding,
        delimiter=staged.delimiter,
        declared=declared,
        read=staged.rows,
        loaded=staged.rows - quarantined,
        quarantined=quarantined,
        seconds=time.perf_counter() - started,
        warnings=tuple(warnings),
    )


def _staging_warnings(staged: StagedFile):
    if staged.extra_columns:
        yield f"unknown column(s) ignored: {', '.join(staged.extra_columns)}"
    if staged.missing_optional:
        yield f"optional column(s) absent, loaded empty: {', '.join(staged.missing_optional)}"


def find_problems(con, table: Table, manifest: Manifest, present: set[str]) -> list[str]:
    """Fill temp table ``problems`` (row_number, column_name, rule); return warnings.

    Every contract table has rules (its key columns are required). Most keys are unique:
    sorted key hashes are compared first, and only the rows of a hash that occurs twice are
    ranked.
    """
    rules = rules_for(table, manifest.snapshot_date)
    # One query per rule: alone, a condition is a filter DuckDB applies while scanning its
    # columns (a column without nulls is not read for "required"); one condition of every
    # rule OR-ed together was evaluated row by row.
    failing = " union all ".join(
        f"select row_number, '{rule.column}' as column_name, '{rule.rule}' as rule "
        f"from staged where {rule.fails}"
        for rule in rules
    )
    con.execute(f"create or replace temp table problems as {failing}")
    key_hash = f"hash({', '.join(q(k) for k in table.key)})"
    # Grouping 16.5 million four-part text keys took 7 s; their 64-bit hashes sort in a
    # fraction of it. No hash occurring twice proves the keys unique; otherwise a shared hash
    # only makes rows candidates: the window below compares the keys themselves.
    if table.key and _shares_a_hash(con, key_hash):
        con.execute(
            f"""
            insert into problems
            select row_number, '{"+".join(table.key)}', 'duplicate_key'
            from (select row_number,
                         row_number() over (partition by {", ".join(q(k) for k in table.key)}
                                            order by row_number) as seen
                  from staged
                  where {key_hash} in (select {key_hash} from staged
                                       group by 1 having count(*) > 1))
            where seen > 1
            """
        )
    warnings = []
    for column in table.columns:
        if not column.references:
            continue
        parent, parent_column = column.references.split(".")
        if parent not in present:
            warnings.append(f"{parent} absent: {column.name} references not checked")
            continue
        con.execute(
            f"""
            insert into problems
            select s.row_number, '{column.name}', 'reference'
            from staged as s
            anti join keys_{parent}__{parent_column} as k
                on k.{q(parent_column)} = s.{q(column.name)}
            where s.{q(column.name)} is not null
            """
        )
    return warnings


def _shares_a_hash(con, key_hash: str) -> bool:
    # The hashes sorted, each compared with the one before: grades.csv's 16.5 million in
    # 2.4 s inside the load, against 4.2 s as a distinct subquery (a hash table of them all).
    query = (
        "select count(*) from (select hash, lag(hash) over (order by hash) as previous "
        f"from (select {key_hash} as hash from staged)) where hash = previous"
    )
    return con.execute(query).fetchall()[0][0] > 0


def write_loaded_rows(con, table: Table, loading, pads: dict[str, str]) -> None:
    """The staged rows, those with problems dropped, across the personal-data boundary, in
    file order (a plain scan keeps it: insertion order is preserved)."""
    columns = raw_columns(table)
    select = ", ".join(f"{column.sql} as {q(column.name)}" for column in columns)
    params = pads if any(column.name == "pin_pseudonym" for column in columns) else {}
    loading.write_raw(table.name, select, "from staged", params)


def write_quarantine(table: Table, file_name: str, loading) -> None:
    """Each problem with its file line, record id and value (personal values masked)."""
    record_id = (
        f"concat_ws('|', {', '.join('s.' + q(k) for k in table.key)})" if table.key else "null"
    )
    # A person register's row may carry personal data in any column (a name typed into a code
    # field): show none of its values, only where it is and which rule it breaks.
    is_person_register = any(column.personal for column in table.columns)
    value_cases = " ".join(
        f"when '{column.name}' then {literal_mask(column, is_person_register)}"
        for column in table.columns
    )
    loading.write_quarantine(
        f"""'{file_name}' as file_name,
               p.row_number + 1 as line_number,
               {record_id} as record_id,
               p.column_name,
               p.rule,
               case p.column_name {value_cases} end as value""",
        """from problems as p
           join staged as s using (row_number)
           order by p.row_number, p.column_name, p.rule""",
    )


def literal_mask(column, mask_all: bool = False) -> str:
    if column.personal or mask_all:
        return f"case when s.{q(column.name)} is not null then '{MASK}' end"
    return f"s.{q(column.name)}"


def referenced_keys() -> list[tuple[str, str]]:
    """(parent table, column) of every reference in the contract."""
    return sorted(
        {
            tuple(column.references.split("."))
            for table in TABLES_BY_NAME.values()
            for column in table.columns
            if column.references
        }
    )


def keep_keys(con, table: Table) -> None:
    """The loaded keys of a parent table, for its children's reference checks (added to the
    warehouse's current keys when a delta is loaded)."""
    for parent, column in referenced_keys():
        if parent != table.name:
            continue
        con.execute(
            f"create temp table if not exists keys_{parent}__{column} ({q(column)} varchar)"
        )
        con.execute(f"insert into keys_{parent}__{column} select distinct {q(column)} from staged")
