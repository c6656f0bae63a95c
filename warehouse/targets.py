"""Writing a load into the warehouse, atomically, on DuckDB or PostgreSQL.

Ingestion checks an export in a private DuckDB and hands each file's loaded rows and its
quarantine to the target's ``loading``; everything lands in one transaction: the load log
row, every raw table, the quarantine and the per-file reconciliation. A failure, or a process
killed half-way, leaves the warehouse as it was.

- DuckDB: the warehouse file is attached to that private DuckDB, and the rows go straight
  into it inside one open transaction (nothing is written twice).
- PostgreSQL: the rows wait as Parquet files, which the commit copies in.
"""

from __future__ import annotations

import datetime as dt
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import duckdb

from emis.errors import UserError
from emis.settings import Settings
from ingestion.contract import TABLES_BY_NAME
from warehouse.schema import META_TABLES, create_statements, raw_table_columns


@dataclass
class PreparedLoad:
    """One export, checked and shaped, waiting to be committed."""

    fingerprint: str
    source: str
    exported_at: str
    snapshot_date: dt.date
    academic_year: str
    export_path: str
    rows_declared: int
    rows_loaded: int
    rows_quarantined: int
    seconds: float
    load_kind: str = "full"
    files: list[dict] = field(default_factory=list)  # rows of meta.load_files, no load_id

    def load_row(self, load_id: int, loaded_at: dt.datetime) -> list:
        return [
            load_id, self.fingerprint, self.source, self.exported_at, self.snapshot_date,
            self.academic_year, self.export_path, loaded_at, self.rows_declared,
            self.rows_loaded, self.rows_quarantined, self.seconds, self.load_kind,
        ]  # fmt: skip


HAS_CURRENT_LOADS = (
    "select count(*) > 0 from information_schema.tables "
    "where table_schema = 'meta' and table_name = 'current_loads'"
)  # an attached DuckDB warehouse is the only catalog that has a schema "meta"


class NoBaseExportError(UserError):
    def __init__(self):
        super().__init__("a delta export applies on top of a full export: load one first")


class WarehouseBusyError(UserError):
    """Another process holds the DuckDB file: it admits one writer, or readers alone."""


class DuckDBTarget:
    dialect = "duckdb"

    def __init__(self, path: Path):
        self.path = Path(path)

    def check_writable(self) -> None:
        """Fail early, before reading an export, when another process holds the file."""
        if self.path.exists():
            self._open_for_writing().close()

    def _open_for_writing(self) -> duckdb.DuckDBPyConnection:
        con = duckdb.connect()
        try:
            self._attach(con)
        except WarehouseBusyError:
            con.close()
            raise
        return con

    def _attach(self, con: duckdb.DuckDBPyConnection) -> None:
        """Attach the warehouse to ``con`` as ``warehouse``, for writing."""
        try:
            con.execute(f"attach '{self.path}' as warehouse")
        except duckdb.IOException as error:
            raise WarehouseBusyError(
                f"{self.path}: in use by another process (DuckDB admits one writer); "
                f"close it and load again ({str(error).splitlines()[0][:120]})"
            ) from None

    def find_load(self, fingerprint: str) -> int | None:
        if not self.path.exists():
            return None
        with duckdb.connect(str(self.path), read_only=True) as con:
            exists = con.execute(
                "select count(*) from information_schema.tables "
                "where table_schema = 'meta' and table_name = 'loads'"
            ).fetchall()[0][0]
            if not exists:
                return None
            rows = con.execute(
                "select load_id from meta.loads where export_fingerprint = ?", [fingerprint]
            ).fetchall()
        return rows[0][0] if rows else None

    def ensure_schema(self) -> None:
        """Bring the schemas up to this version's DDL (idempotent), e.g. before a build."""
        if not self.path.exists():
            return
        con = self._open_for_writing()
        try:
            con.execute("use warehouse")
            for statement in create_statements(self.dialect):
                con.execute(statement)
        finally:
            con.close()

    def record_build(self, kind: str, project: str) -> None:
        """A whole build of the dbt project ``project`` (its fingerprint) succeeded: it went
        through every current load."""
        con = self._open_for_writing()
        try:
            con.execute("use warehouse")
            con.execute(
                "insert into meta.builds (built_through_load_id, build_kind, finished_at, "
                "project_fingerprint) select max(load_id), ?, ?, ? from meta.current_loads",
                [kind, _now(), project],
            )
        finally:
            con.close()

    @contextmanager
    def loading(
        self, con: duckdb.DuckDBPyConnection, work: Path, is_delta: bool
    ) -> Iterator[DuckDBLoading]:
        """``con`` with the warehouse attached and one transaction begun; leaving without
        ``commit`` rolls everything back (and a killed process leaves nothing behind).

        In that transaction ``con`` may write only the warehouse and TEMP tables (DuckDB
        writes one attached database per transaction, and TEMP tables are exempt).
        """
        if is_delta and not self.path.exists():
            raise NoBaseExportError()
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._attach(con)
        loading = DuckDBLoading(con, load_id=0)
        try:
            if is_delta and not con.execute(HAS_CURRENT_LOADS).fetchall()[0][0]:
                raise NoBaseExportError()
            con.execute("begin transaction")
            loading.open = True
            con.execute("use warehouse")
            for statement in create_statements(self.dialect):
                con.execute(statement)
            loading.load_id = con.execute(
                "select coalesce(max(load_id), 0) + 1 from meta.loads"
            ).fetchall()[0][0]
            con.execute("use memory")
            yield loading
        finally:
            if loading.open:
                con.execute("rollback")
            con.execute("use memory")
            con.execute("detach warehouse")


@dataclass
class DuckDBLoading:
    """A load being written straight into the attached DuckDB warehouse."""

    con: duckdb.DuckDBPyConnection
    load_id: int
    open: bool = False  # a transaction is begun and not committed

    def write_raw(self, table: str, columns: str, rows: str, parameters: dict) -> None:
        """``select {columns} {rows}`` (a query over ingestion's staged rows) into raw.<table>."""
        names = ", ".join(f'"{name}"' for name, _ in raw_table_columns(TABLES_BY_NAME[table]))
        self.con.execute(
            f"insert into warehouse.raw.{table} ({names}) select {self.load_id}, {columns} {rows}",
            parameters,
        )

    def write_quarantine(self, columns: str, rows: str) -> None:
        self.con.execute(
            f"insert into warehouse.meta.quarantine select {self.load_id}, {columns} {rows}"
        )

    def current_keys(self, table: str, column: str) -> str:
        """A query of the keys of ``table``'s current records (meta.current_loads)."""
        return current_keys_sql(table, column, catalog="warehouse.")

    def commit(self, load: PreparedLoad) -> int:
        _insert(self.con, "warehouse.meta.loads", load.load_row(self.load_id, _now()))
        for row in load.files:
            _insert(self.con, "warehouse.meta.load_files", [self.load_id, *row.values()])
        self.con.execute("commit")
        self.open = False
        return self.load_id


class PostgresTarget:
    dialect = "postgres"

    def __init__(self, dsn: str):
        self.dsn = dsn

    def check_writable(self) -> None:
        """PostgreSQL takes concurrent loads: they queue on the lock of meta.loads."""

    def _connect(self):
        import psycopg

        return psycopg.connect(self.dsn)

    def find_load(self, fingerprint: str) -> int | None:
        with self._connect() as conn:
            exists = conn.execute("select to_regclass('meta.loads') is not null").fetchall()[0][0]
            if not exists:
                return None
            rows = conn.execute(
                "select load_id from meta.loads where export_fingerprint = %s", [fingerprint]
            ).fetchall()
        return rows[0][0] if rows else None

    def ensure_schema(self) -> None:
        """Bring the schemas up to this version's DDL (idempotent), e.g. before a build."""
        with self._connect() as conn:
            for statement in create_statements(self.dialect):
                conn.execute(statement)

    def record_build(self, kind: str, project: str) -> None:
        """A whole build of the dbt project ``project`` (its fingerprint) succeeded: it went
        through every current load."""
        with self._connect() as conn:
            conn.execute(
                "insert into meta.builds (built_through_load_id, build_kind, finished_at, "
                "project_fingerprint) select max(load_id), %s, %s, %s from meta.current_loads",
                [kind, _now(), project],
            )

    def write_current_keys(self, table: str, column: str, path: Path) -> None:
        """The keys of ``table``'s current records (meta.current_loads) as Parquet at ``path``."""
        import pyarrow as pa
        import pyarrow.parquet as pq

        with self._connect() as conn:
            if not conn.execute(HAS_CURRENT_LOADS).fetchall()[0][0]:
                raise NoBaseExportError()
            keys = [row[0] for row in conn.execute(current_keys_sql(table, column)).fetchall()]
        pq.write_table(pa.table({column: pa.array(keys, pa.string())}), path)

    @contextmanager
    def loading(
        self, con: duckdb.DuckDBPyConnection, work: Path, is_delta: bool
    ) -> Iterator[ParquetLoading]:
        """The rows wait in Parquet files under ``work`` until ``commit`` copies them in."""
        yield ParquetLoading(self, con, work)

    def commit(self, load: PreparedLoad, raw: dict[str, Path], quarantine: list[Path]) -> int:
        with self._connect() as conn, conn.transaction():
            for statement in create_statements(self.dialect):
                conn.execute(statement)
            # One load at a time: the next load_id and the fingerprint check must not race.
            conn.execute("lock table meta.loads in exclusive mode")
            rows = conn.execute(
                "select load_id from meta.loads where export_fingerprint = %s", [load.fingerprint]
            ).fetchall()
            if rows:
                return rows[0][0]
            load_id = conn.execute(
                "select coalesce(max(load_id), 0) + 1 from meta.loads"
            ).fetchall()[0][0]
            _insert_pg(conn, "meta.loads", load.load_row(load_id, _now()))
            for row in load.files:
                _insert_pg(conn, "meta.load_files", [load_id, *row.values()])
            with tempfile.TemporaryDirectory(prefix="emis-copy-") as tmp:
                for table, path in raw.items():
                    names = [name for name, _ in raw_table_columns(TABLES_BY_NAME[table])]
                    _copy_parquet(conn, f"raw.{table}", names, path, load_id, Path(tmp))
                names = [name for name, _ in META_TABLES["quarantine"]]
                for path in quarantine:
                    _copy_parquet(conn, "meta.quarantine", names, path, load_id, Path(tmp))
            # Fresh statistics, so the first build after a load plans its joins well.
            for table in raw:
                conn.execute(f"analyze raw.{table}")
        return load_id


@dataclass
class ParquetLoading:
    """A load waiting in Parquet files for ``PostgresTarget.commit``."""

    target: PostgresTarget
    con: duckdb.DuckDBPyConnection
    work: Path
    raw: dict[str, Path] = field(default_factory=dict)
    quarantine: list[Path] = field(default_factory=list)

    def write_raw(self, table: str, columns: str, rows: str, parameters: dict) -> None:
        path = self.work / f"raw_{table}.parquet"
        self.con.execute(f"copy (select {columns} {rows}) to '{path}' (format parquet)", parameters)
        self.raw[table] = path

    def write_quarantine(self, columns: str, rows: str) -> None:
        path = self.work / f"quarantine_{len(self.quarantine)}.parquet"
        self.con.execute(f"copy (select {columns} {rows}) to '{path}' (format parquet)")
        self.quarantine.append(path)

    def current_keys(self, table: str, column: str) -> str:
        path = self.work / f"current_{table}__{column}.parquet"
        self.target.write_current_keys(table, column, path)
        return f"select * from read_parquet('{path}')"

    def commit(self, load: PreparedLoad) -> int:
        return self.target.commit(load, self.raw, self.quarantine)


def current_keys_sql(table: str, column: str, catalog: str = "") -> str:
    return (
        f'select distinct records."{column}" from {catalog}raw."{table}" as records '
        f"inner join {catalog}meta.current_loads as loads on records.load_id = loads.load_id"
    )


def _copy_parquet(conn, table: str, columns: list[str], parquet: Path, load_id: int, tmp: Path):
    """COPY a Parquet file into a PostgreSQL table (DuckDB writes the CSV stream)."""
    csv_path = tmp / "copy.csv"
    with duckdb.connect() as con:
        con.execute(
            f"copy (select {load_id}::bigint, * from read_parquet('{parquet}')) "
            f"to '{csv_path}' (header false, timestampformat '%Y-%m-%d %H:%M:%S')"
        )
    names = ", ".join(f'"{name}"' for name in columns)
    statement = f"copy {table} ({names}) from stdin (format csv)"
    with conn.cursor() as cursor, cursor.copy(statement) as copy, csv_path.open("rb") as handle:
        while chunk := handle.read(1 << 20):
            copy.write(chunk)
    csv_path.unlink()


def _insert(con, table: str, values: list) -> None:
    placeholders = ", ".join("?" for _ in values)
    con.execute(f"insert into {table} values ({placeholders})", values)


def _insert_pg(conn, table: str, values: list) -> None:
    placeholders = ", ".join("%s" for _ in values)
    conn.execute(f"insert into {table} values ({placeholders})", values)


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC).replace(tzinfo=None, microsecond=0)


def open_target(settings: Settings) -> DuckDBTarget | PostgresTarget:
    if settings.is_postgres:
        return PostgresTarget(settings.warehouse)
    return DuckDBTarget(settings.warehouse_path)
