"""Synthetic exports shared by the integration tests: generated once per session.

``tiny_export`` and ``small_export`` (seed 7, academic year 2025-2026) are written into
session temp folders and opened as a :class:`GeneratedExport`: every CSV loaded as text (all
columns varchar, empty = NULL) into a DuckDB database of its own, plus ``defects`` (defects.csv)
and views of what ingestion would keep:

- ``loaded_<table>``: the table without the rows defects.csv lists with an ingestion-stage
  kind (the rows ingestion quarantines);
- ``current_learners``: each learner's latest loaded movement event, when it leaves them
  enrolled in 2025-2026 (not a transfer_out, graduation or dropout), with their class's
  grade and shift, their sex and birth date and the organization's district;
- ``current_pupils``: those of ``current_learners`` at a school level (primary, basic,
  secondary).

``export`` is parametrized over both scales (small marked slow), for tests that hold at any
scale.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import os
import shutil
import subprocess
import sys
import uuid
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd
import psycopg
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from emis.cli import main as cli_main
from emis.settings import Settings, load_settings
from ingestion.contract import (
    EXIT_EVENTS,
    FILE_SUFFIXES,
    MANIFEST_FILE,
    SCHOOL_LEVELS,
    TABLES,
    TABLES_BY_NAME,
)
from ingestion.load import LoadResult, ingest
from ingestion.manifest import sha256_of
from ingestion.synthetic.defects import DEFECT_KINDS
from ingestion.synthetic.export import DEFECTS_FILE, generate_export
from tests.postgres import create_database, drop_database
from warehouse.schema import META_TABLES, raw_table_columns

SEED = 7
YEAR = 2025
ACADEMIC_YEAR = "2025-2026"
INGESTION_KINDS = tuple(
    (kind.file, kind.kind) for kind in DEFECT_KINDS if kind.stage == "ingestion"
)


def generate(scale: str, seed: int, out: Path) -> Path:
    """Write a synthetic export of ``scale`` for 2025-2026 into ``out``; return ``out``."""
    generate_export(scale, seed, YEAR, out, progress=False)
    return out


def sql_list(values: Iterable[str]) -> str:
    """``('a', 'b')``: string literals for an SQL ``in`` list."""
    return "(" + ", ".join(f"'{value}'" for value in values) + ")"


def age_on(birth_date: Iterable, day: dt.date) -> np.ndarray:
    """Age in completed years on ``day`` of each birth date (ISO text or dates)."""
    born = pd.Series(pd.to_datetime(birth_date))
    had_birthday = (born.dt.month * 100 + born.dt.day) <= day.month * 100 + day.day
    return (day.year - born.dt.year - (~had_birthday).astype(int)).to_numpy()


def differences(found: set, expected: set, limit: int = 10) -> str:
    """A readable account of how two sets of record ids differ."""
    missing, extra = sorted(expected - found), sorted(found - expected)
    return (
        f"{len(expected)} expected, {len(found)} found; "
        f"{len(missing)} missing (e.g. {missing[:limit]}), "
        f"{len(extra)} unexpected (e.g. {extra[:limit]})"
    )


class GeneratedExport:
    """One export folder and a DuckDB database holding its files as text."""

    def __init__(self, path: Path, scale: str) -> None:
        self.path = path
        self.scale = scale
        self.db = duckdb.connect()
        for table in TABLES:
            self.db.execute(
                f"create table {table.name} as select * from read_csv('{self.file(table.name)}', "
                "all_varchar = true, header = true, delim = ',', quote = '\"')"
            )
        self.db.execute(
            f"create table defects as select * from read_csv('{path / DEFECTS_FILE}', "
            "all_varchar = true, header = true)"
        )
        self._create_views()

    def file(self, name: str) -> Path:
        """The path of a table's CSV (``students``) or of any file of the export."""
        return self.path / (name if "." in name else f"{name}.csv")

    @cached_property
    def manifest(self) -> dict:
        return json.loads((self.path / MANIFEST_FILE).read_text(encoding="utf-8"))

    @cached_property
    def snapshot_date(self) -> dt.date:
        return dt.date.fromisoformat(self.manifest["snapshot_date"])

    def sql(self, query: str) -> pd.DataFrame:
        return self.db.sql(query).df()

    def scalar(self, query: str):
        """The single value a query returns."""
        return self.db.sql(query).fetchall()[0][0]

    def column(self, query: str) -> list:
        """The first column of a query's result."""
        return [row[0] for row in self.db.sql(query).fetchall()]

    def ids(self, query: str) -> set[str]:
        """The first column of a query's result, as a set."""
        return set(self.column(query))

    def defects(self, kind: str, file: str | None = None) -> set[str]:
        """Record ids defects.csv lists for ``kind`` (in ``file``, if given)."""
        where = f"defect_kind = '{kind}'" + (f" and file = '{file}'" if file else "")
        return self.ids(f"select record_id from defects where {where}")

    def _create_views(self) -> None:
        quarantined = " or ".join(
            f"(file = '{file}' and defect_kind = '{kind}')" for file, kind in INGESTION_KINDS
        )
        self.db.execute(
            f"create view quarantined as select file, record_id from defects where {quarantined}"
        )
        for table in TABLES:
            key = table.key[0]  # defects.csv names a record by (the first column of) its key
            self.db.execute(
                f"create view loaded_{table.name} as select * from {table.name} "
                f"where {key} not in (select record_id from quarantined "
                f"where file = '{table.name}.csv')"
            )
        self.db.execute(f"""
            create view current_learners as
            with latest as (
                select *
                from loaded_enrolments
                qualify row_number() over (
                    partition by student_id
                    order by cast(event_date as date) desc, event_id desc
                ) = 1
            )
            select
                latest.student_id, latest.org_id, latest.class_id, latest.event_type,
                cast(latest.event_date as date) as entered_on, latest.level,
                cast(latest.grade as integer) as grade,
                cast(classes.grade as integer) as class_grade,
                cast(classes.shift as integer) as shift,
                students.sex, cast(students.birth_date as date) as birth_date,
                organizations.district_code
            from latest
            left join classes on classes.class_id = latest.class_id
            left join students on students.student_id = latest.student_id
            left join organizations on organizations.org_id = latest.org_id
            where latest.event_type not in {sql_list(EXIT_EVENTS)}
                and latest.academic_year = '{ACADEMIC_YEAR}'
        """)
        self.db.execute(
            "create view current_pupils as select * from current_learners "
            f"where level in {sql_list(SCHOOL_LEVELS)}"
        )


def _open(tmp_path_factory: pytest.TempPathFactory, scale: str) -> GeneratedExport:
    out = tmp_path_factory.mktemp(scale) / "export"
    return GeneratedExport(generate(scale, SEED, out), scale)


@pytest.fixture(scope="session")
def tiny_export(tmp_path_factory: pytest.TempPathFactory) -> GeneratedExport:
    return _open(tmp_path_factory, "tiny")


@pytest.fixture(scope="session")
def small_export(tmp_path_factory: pytest.TempPathFactory) -> GeneratedExport:
    return _open(tmp_path_factory, "small")


@pytest.fixture(scope="session", params=["tiny", pytest.param("small", marks=pytest.mark.slow)])
def export(request: pytest.FixtureRequest) -> GeneratedExport:
    """The tiny export, then the small one."""
    return request.getfixturevalue(f"{request.param}_export")


# --- Ingestion: warehouses on both engines, changed copies of an export, the CLI -----------------
#
# ``warehouse`` is parametrized over DuckDB and PostgreSQL: every test that loads runs on both.
# ``loaded_warehouse`` (one per engine and session) already holds the tiny export: only for tests
# that leave it unchanged (they snapshot it before and after). ``baseline`` is the DuckDB one,
# for comparing a load's raw rows with the original export's. All use one fixed pseudonym key.

ENGINES = ("duckdb", pytest.param("postgres", marks=pytest.mark.postgres))
PSEUDONYM_KEY = bytes(range(100, 132))  # the tests' pseudonym key (32 bytes)
EMIS_BIN = Path(sys.executable).with_name("emis")  # the venv's console script
TEXT_TYPES = ("VARCHAR", "text", "character varying")
# The rule each ingestion-stage defect kind of defects.csv breaks: (file, kind) -> (column, rule).
PLANTED_RULES = {
    ("enrolments.csv", "bad_date"): ("event_date", "type"),
    ("enrolments.csv", "unknown_code"): ("study_form", "code"),
    ("enrolments.csv", "dangling_reference"): ("student_id", "reference"),
    ("enrolments.csv", "missing_required"): ("academic_year", "required"),
    ("staff_assignments.csv", "dangling_reference"): ("org_id", "reference"),
}


@dataclass(frozen=True)
class Warehouse:
    """A warehouse under test (a DuckDB file or a PostgreSQL database) and its settings.

    Every query opens a short-lived read-only connection, so the loader (in this process or
    another) can open the warehouse between queries.
    """

    engine: str  # "duckdb" | "postgres"
    settings: Settings

    @property
    def env(self) -> dict[str, str]:
        """The environment naming this warehouse, for the CLI."""
        return {
            "EMIS_HOME": str(self.settings.home),
            "EMIS_WAREHOUSE": self.settings.warehouse,
            "EMIS_PSEUDONYM_KEY_FILE": str(self.settings.pseudonym_key_file),
        }

    def ingest(self, export_dir: Path, settings: Settings | None = None) -> LoadResult:
        return ingest(Path(export_dir), settings or self.settings)

    @contextmanager
    def connect(self) -> Iterator[Callable[[str], list[tuple]]]:
        """``query(sql) -> rows`` on one read-only connection, closed on leaving."""
        if self.engine == "postgres":
            options = "-c default_transaction_read_only=on"
            with psycopg.connect(self.settings.warehouse, autocommit=True, options=options) as conn:
                yield lambda sql: conn.execute(sql).fetchall()
        else:
            with duckdb.connect(str(self.settings.warehouse_path), read_only=True) as con:
                yield lambda sql: con.execute(sql).fetchall()

    def rows(self, sql: str) -> list[tuple]:
        with self.connect() as query:
            return query(sql)

    def write(self, statement: str) -> None:
        """Run one statement that changes the warehouse, committed at once."""
        if self.engine == "postgres":
            with psycopg.connect(self.settings.warehouse, autocommit=True) as conn:
                conn.execute(statement)
        else:
            with duckdb.connect(str(self.settings.warehouse_path)) as con:
                con.execute(statement)

    def scalar(self, sql: str):
        return self.rows(sql)[0][0]

    def exists(self) -> bool:
        return self.engine == "postgres" or self.settings.warehouse_path.exists()

    def tables(self, schemas: Sequence[str] = ("meta", "raw")) -> list[str]:
        """``schema.table`` of every base table in ``schemas``."""
        return [
            f"{schema}.{table}"
            for schema, table in self.rows(
                "select table_schema, table_name from information_schema.tables "
                f"where table_schema in {sql_list(schemas)} and table_type = 'BASE TABLE' "
                "order by 1, 2"
            )
        ]

    def snapshot(self) -> dict:
        """The warehouse's state: row counts of every table in meta and raw, meta.loads in full."""
        if not self.exists():
            return {}
        tables = self.tables()
        with self.connect() as query:
            counts = {table: query(f"select count(*) from {table}")[0][0] for table in tables}
            loads = query("select * from meta.loads order by load_id") if counts else []
        return {"counts": counts, "loads": loads}

    def load_files(self, load_id: int) -> dict[str, dict]:
        """meta.load_files of one load: file name -> row as a dict."""
        with self.connect() as query:
            columns = [name for name, _ in META_TABLES["load_files"]]
            rows = query(f"select * from meta.load_files where load_id = {load_id}")
        return {row[1]: dict(zip(columns, row, strict=True)) for row in rows}

    def quarantine(self, load_id: int = 1) -> set[tuple[str, str, str, str]]:
        """(file_name, record_id, column_name, rule) of every quarantine row of one load."""
        return set(
            self.rows(
                "select file_name, record_id, column_name, rule from meta.quarantine "
                f"where load_id = {load_id}"
            )
        )

    def raw_rows(self, table: str, load_id: int, drop: Sequence[str] = ()) -> list[tuple]:
        """A raw table's rows of one load in file order, without load_id and ``drop`` columns."""
        names = [
            name for name, _ in raw_table_columns(TABLES_BY_NAME[table])[1:] if name not in drop
        ]
        columns = ", ".join(f'"{name}"' for name in names)
        return self.rows(
            f"select {columns} from raw.{table} where load_id = {load_id} "
            "order by source_row_number"
        )

    def text_values(self) -> dict[str, set[str]]:
        """Every distinct value of every text column of every table and view: column -> values."""
        with self.connect() as query:
            columns = query(
                "select table_schema, table_name, column_name from information_schema.columns "
                "where table_schema not in ('information_schema', 'pg_catalog') "
                f"and data_type in {sql_list(TEXT_TYPES)} order by 1, 2, 3"
            )
            return {
                f"{schema}.{table}.{column}": {
                    value
                    for (value,) in query(
                        f'select distinct "{column}" from {schema}.{table} '
                        f'where "{column}" is not null'
                    )
                }
                for schema, table, column in columns
            }


def make_settings(home: Path, location: str, key_file: Path) -> Settings:
    return load_settings(
        environ={
            "EMIS_HOME": str(home),
            "EMIS_WAREHOUSE": location,
            "EMIS_PSEUDONYM_KEY_FILE": str(key_file),
        }
    )


def write_key(path: Path, key: bytes) -> Path:
    """A pseudonym key file as the platform writes it (hex, mode 0600)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(key.hex() + "\n")
    path.chmod(0o600)
    return path


@pytest.fixture(scope="session")
def pseudonym_key_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_key(tmp_path_factory.mktemp("keys") / "pseudonym.key", PSEUDONYM_KEY)


class Warehouses:
    """Makes empty warehouses of one engine for one test.

    The first is ``tmp_path/warehouse.duckdb`` or the ``pg_dsn`` database; further ones (for a
    test that must start over) are new DuckDB files or new databases on the same server.
    """

    def __init__(self, engine: str, request: pytest.FixtureRequest, root: Path, key_file: Path):
        self.engine, self.request, self.root, self.key_file = engine, request, root, key_file
        self.made = 0

    def new(self) -> Warehouse:
        self.made += 1
        suffix = "" if self.made == 1 else f"-{self.made}"
        if self.engine == "duckdb":
            location = str(self.root / f"warehouse{suffix}.duckdb")
        elif self.made == 1:
            location = self.request.getfixturevalue("pg_dsn")
        else:
            location = new_database(self.request, f"emis_test_{uuid.uuid4().hex[:8]}")
        settings = make_settings(self.root / f"home{suffix}", location, self.key_file)
        return Warehouse(self.engine, settings)


def new_database(request: pytest.FixtureRequest, name: str) -> str:
    """A new database on the test server, dropped when ``request``'s scope ends."""
    server = request.getfixturevalue("pg_server")
    dsn = create_database(server, name)
    request.addfinalizer(lambda: drop_database(server, name))
    return dsn


@pytest.fixture(params=ENGINES)
def warehouses(request, tmp_path: Path, pseudonym_key_file: Path) -> Warehouses:
    return Warehouses(request.param, request, tmp_path, pseudonym_key_file)


@pytest.fixture
def warehouse(warehouses: Warehouses) -> Warehouse:
    """An empty warehouse: DuckDB (tmp_path/warehouse.duckdb) or PostgreSQL (pg_dsn)."""
    return warehouses.new()


@pytest.fixture(scope="session")
def baseline(tmp_path_factory, tiny_export: GeneratedExport, pseudonym_key_file) -> Warehouse:
    """A DuckDB warehouse holding the tiny export as load 1. Do not change it."""
    root = tmp_path_factory.mktemp("baseline")
    settings = make_settings(root / "home", str(root / "warehouse.duckdb"), pseudonym_key_file)
    warehouse = Warehouse("duckdb", settings)
    warehouse.ingest(tiny_export.path)
    return warehouse


@pytest.fixture(scope="session", params=ENGINES)
def loaded_warehouse(
    request, tmp_path_factory, tiny_export: GeneratedExport, pseudonym_key_file, baseline
) -> Warehouse:
    """A warehouse of each engine holding the tiny export as load 1, shared by the session:
    only for tests that leave it as it is."""
    if request.param == "duckdb":
        return baseline
    root = tmp_path_factory.mktemp("loaded-postgres")
    dsn = new_database(request, f"emis_test_loaded_{uuid.uuid4().hex[:8]}")
    warehouse = Warehouse("postgres", make_settings(root / "home", dsn, pseudonym_key_file))
    warehouse.ingest(tiny_export.path)
    return warehouse


@pytest.fixture(scope="session")
def tiny_2026_export(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The tiny export a year later (2026-2027, snapshot 2027-01-15), same seed."""
    out = tmp_path_factory.mktemp("tiny-2026") / "export"
    generate_export("tiny", SEED, YEAR + 1, out, progress=False)
    return out


def expected_counts(export: GeneratedExport) -> dict[str, tuple[int, int, int]]:
    """file -> (declared, loaded, quarantined) that loading the export must report."""
    quarantined = dict(
        export.db.execute("select file, count(*) from quarantined group by file").fetchall()
    )
    return {
        name: (entry["rows"], entry["rows"] - quarantined.get(name, 0), quarantined.get(name, 0))
        for name, entry in export.manifest["files"].items()
    }


def result_counts(result: LoadResult) -> dict[str, tuple[int, int, int]]:
    """file -> (declared, loaded, quarantined) as a load reported them."""
    return {f.file: (f.declared, f.loaded, f.quarantined) for f in result.files}


def planted_quarantine(export: GeneratedExport) -> set[tuple[str, str, str, str]]:
    """(file, record_id, column, rule) of every ingestion-stage defect planted in the export."""
    return {
        (file, record_id, *PLANTED_RULES[file, kind])
        for file, record_id, kind in export.db.execute(
            "select file, record_id, defect_kind from defects"
        ).fetchall()
        if (file, kind) in PLANTED_RULES
    }


# --- changed copies of an export --------------------------------------------------------------


def copy_export(export: GeneratedExport | Path, folder: Path) -> Path:
    """A copy of an export's folder (defects.csv included) to change; returns ``folder``."""
    source = export.path if isinstance(export, GeneratedExport) else export
    shutil.copytree(source, folder)
    return folder


def changed_export(
    export: GeneratedExport, folder: Path, *changes: Callable[[Path], object], rows=None
) -> Path:
    """A copy of ``export`` in ``folder`` with ``changes`` applied, manifest.json to match."""
    copy_export(export, folder)
    for change in changes:
        change(folder)
    rewrite_manifest(folder, rows)
    return folder


def table_files(folder: Path) -> list[Path]:
    """The register files in ``folder``: a contract table's name with a known suffix."""
    names = {table.name for table in TABLES}
    return sorted(
        path
        for path in folder.iterdir()
        if path.stem.lower() in names and path.suffix.lower() in FILE_SUFFIXES
    )


def edit_manifest(folder: Path, change: Callable[[dict], object]) -> None:
    """Apply ``change`` to manifest.json's content in place."""
    path = folder / MANIFEST_FILE
    manifest = json.loads(path.read_text(encoding="utf-8"))
    change(manifest)
    path.write_text(json.dumps(manifest, indent=2), encoding="utf-8")


def rewrite_manifest(folder: Path, rows: dict[str, int] | None = None) -> None:
    """Make manifest.json list exactly the register files in ``folder`` with their checksums.

    A file keeps the row count declared for its table (whatever its format was) unless ``rows``
    gives one.
    """

    def change(manifest: dict) -> None:
        declared = {Path(name).stem: entry["rows"] for name, entry in manifest["files"].items()}
        manifest["files"] = {
            path.name: {
                "rows": (rows or {}).get(path.name, declared.get(path.stem)),
                "sha256": sha256_of(path),
            }
            for path in table_files(folder)
        }

    edit_manifest(folder, change)


def edit_csv(path: Path, change: Callable[[pd.DataFrame], pd.DataFrame | None]) -> None:
    """Rewrite a UTF-8 CSV after ``change`` edits its rows (all text; '' = empty cell)."""
    frame = pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8")
    changed = change(frame)
    (frame if changed is None else changed).to_csv(path, index=False, lineterminator="\n")


def recode_csv(path: Path, *, encoding="utf-8", delimiter=",", bom=False) -> str:
    """Rewrite a UTF-8 comma CSV in another encoding and/or delimiter; returns its text."""
    with path.open(encoding="utf-8", newline="") as handle:
        records = list(csv.reader(handle))
    buffer = io.StringIO()
    csv.writer(buffer, delimiter=delimiter, lineterminator="\n").writerows(records)
    text = buffer.getvalue()
    path.write_bytes((b"\xef\xbb\xbf" if bom else b"") + text.encode(encoding))
    return text


def csv_to_xlsx(
    path: Path, convert: dict[str, Callable[[str], object]], keep_csv: bool = False
) -> Path:
    """Replace a CSV by an XLSX of the same rows; ``convert`` types a column's non-empty cells."""
    import openpyxl

    frame = pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8")
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.append(list(frame.columns))
    for record in frame.itertuples(index=False):
        sheet.append(
            [
                None if value == "" else convert.get(column, str)(value)
                for column, value in zip(frame.columns, record, strict=True)
            ]
        )
    target = path.with_suffix(".xlsx")
    workbook.save(target)
    if not keep_csv:
        path.unlink()
    return target


def csv_to_parquet(path: Path, types: dict[str, pa.DataType]) -> Path:
    """Replace a CSV by a Parquet file of the same rows, ``types`` giving typed columns."""
    frame = pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8")
    parse = {
        pa.date32(): dt.date.fromisoformat,
        pa.float64(): float,
        pa.int64(): int,
        pa.bool_(): lambda text: text == "true",
        pa.timestamp("us", tz="UTC"): dt.datetime.fromisoformat,
    }
    arrays = {
        column: pa.array(
            [
                None if value == "" else parse.get(types.get(column, pa.string()), str)(value)
                for value in frame[column]
            ],
            type=types.get(column, pa.string()),
        )
        for column in frame.columns
    }
    target = path.with_suffix(".parquet")
    pq.write_table(pa.table(arrays), target)
    path.unlink()
    return target


def insert_bytes(path: Path, line: int, data: bytes) -> None:
    """Insert ``data`` in the middle of physical line ``line`` (1-based) of a file."""
    lines = path.read_bytes().split(b"\n")
    middle = len(lines[line - 1]) // 2
    lines[line - 1] = lines[line - 1][:middle] + data + lines[line - 1][middle:]
    path.write_bytes(b"\n".join(lines))


# --- the emis command -------------------------------------------------------------------------


@dataclass(frozen=True)
class CliRun:
    code: int
    out: str
    err: str


@pytest.fixture
def emis_cli(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture):
    """``run(warehouse, *args) -> CliRun``: `emis` in this process, settings from the env."""

    def run(warehouse: Warehouse, *args: str) -> CliRun:
        for name, value in warehouse.env.items():
            monkeypatch.setenv(name, value)
        capsys.readouterr()
        code = cli_main(list(args))
        out, err = capsys.readouterr()
        return CliRun(code, out, err)

    return run


def run_emis(warehouse: Warehouse, *args: str, timeout: float = 300) -> CliRun:
    """`emis` as a separate process (the venv's console script), settings from the env."""
    process = subprocess.run(
        [str(EMIS_BIN), *args],
        env=os.environ | warehouse.env,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    return CliRun(process.returncode, process.stdout, process.stderr)
