"""The warehouse side of the checks, on DuckDB and PostgreSQL alike.

- what the latest load is (``meta.latest_load``) and whether ``emis build`` has run;
- fact frames read in chunks over short-lived read-only connections;
- ``quality.dq_issues`` (declared in ``warehouse/schema.py``): one row per load x rule x record
  failing it (record ids only, no personal data); a run replaces its load's rows in one
  transaction, so reruns are idempotent.
"""

from __future__ import annotations

from collections.abc import Iterator

import pandas as pd

from emis.errors import UserError
from emis.settings import Settings
from expectations.facts import OBSERVATION_MEASURES, CheckContext
from warehouse.schema import QUALITY_TABLES, column_type

CHUNK_ROWS = 500_000  # a national register is validated a chunk at a time: bounded memory
DUCKDB_MEMORY_LIMIT = "2GB"  # the fact queries' joins spill beyond; within 4 GB per process
ISSUE_COLUMNS = [name for name, _ in QUALITY_TABLES["dq_issues"]]


def create_statements(dialect: str) -> list[str]:
    """Idempotent DDL of quality.dq_issues (loads create it too; older warehouses lack it)."""
    columns = ", ".join(
        f'"{name}" {column_type(kind, dialect)}' for name, kind in QUALITY_TABLES["dq_issues"]
    )
    return [
        "create schema if not exists quality",
        f"create table if not exists quality.dq_issues ({columns})",
    ]


def query(settings: Settings, sql: str) -> list[tuple]:
    """Rows of one query over a read-only connection, closed at once."""
    if settings.is_postgres:
        import psycopg

        with psycopg.connect(settings.warehouse) as conn:
            conn.read_only = True
            return conn.execute(sql).fetchall()
    with _duckdb_reader(settings) as con:
        return con.execute(sql).fetchall()


def check_context(settings: Settings) -> CheckContext:
    """The latest load and the dialect; a user error if nothing is loaded or built yet."""
    if not settings.is_postgres and not settings.warehouse_path.exists():
        raise UserError(f"no warehouse at {settings.warehouse}: run `emis ingest DIR` first")
    found = {
        f"{schema}.{name}"
        for schema, name in query(
            settings,
            "select table_schema, table_name from information_schema.tables "
            "where table_schema in ('meta', 'staging', 'marts_open')",
        )
    }
    if "meta.latest_load" not in found:
        raise UserError("nothing loaded in the warehouse: run `emis ingest DIR` first")
    if not {"staging.stg_emis__students", "marts_open.observations"} <= found:
        raise UserError("the warehouse models are not built: run `emis build` first")
    loads = query(
        settings,
        "select loads.load_id, loads.snapshot_date, loads.academic_year "
        "from meta.latest_load inner join meta.loads on latest_load.load_id = loads.load_id",
    )
    if not loads:
        raise UserError("nothing loaded in the warehouse: run `emis ingest DIR` first")
    load_id, snapshot_date, academic_year = loads[0]
    keys = [
        name
        for (name,) in query(
            settings,
            "select column_name from information_schema.columns where table_schema = "
            "'marts_open' and table_name = 'observations' order by ordinal_position",
        )
        if name not in OBSERVATION_MEASURES
    ]
    dialect = "postgres" if settings.is_postgres else "duckdb"
    return CheckContext(int(load_id), snapshot_date, academic_year, dialect, tuple(keys))


def read_chunks(settings: Settings, sql: str, rows: int = CHUNK_ROWS) -> Iterator[pd.DataFrame]:
    """The result of ``sql`` as DataFrames of at most ``rows`` rows, over one read-only
    connection held while they are consumed."""
    if settings.is_postgres:
        import psycopg

        with psycopg.connect(settings.warehouse) as conn:
            conn.read_only = True
            # The staging views hide their row counts from the planner (it expects one row), so
            # it would nest loops over whole registers; the fact queries are full scans that
            # want hash joins. Only this transaction is affected.
            conn.execute("set local enable_nestloop = off")
            with conn.cursor(name="emis_check_facts") as cursor:  # server side: streamed
                cursor.execute(sql)
                columns = None
                while batch := cursor.fetchmany(rows):
                    columns = columns or [column.name for column in cursor.description]
                    yield pd.DataFrame(batch, columns=columns)
        return
    with _duckdb_reader(settings) as con:
        for batch in con.sql(sql).to_arrow_reader(rows):
            yield batch.to_pandas()


def _duckdb_reader(settings: Settings):
    import duckdb

    try:
        return duckdb.connect(
            str(settings.warehouse_path),
            read_only=True,
            config={"memory_limit": DUCKDB_MEMORY_LIMIT},
        )
    except duckdb.IOException as error:
        raise UserError(
            f"{settings.warehouse}: cannot be read now, another process may be writing it "
            f"({str(error).splitlines()[0][:120]})"
        ) from None


def write_issues(settings: Settings, load_id: int, issues: pd.DataFrame) -> None:
    """Replace the load's rows of quality.dq_issues by ``issues``, in one transaction."""
    frame = issues[ISSUE_COLUMNS]
    if settings.is_postgres:
        _write_postgres(settings.warehouse, load_id, frame)
    else:
        _write_duckdb(settings, load_id, frame)


def _write_duckdb(settings: Settings, load_id: int, frame: pd.DataFrame) -> None:
    import duckdb

    con = duckdb.connect()
    try:
        try:
            con.execute(f"attach '{settings.warehouse_path}' as warehouse")
        except duckdb.IOException as error:
            raise UserError(
                f"{settings.warehouse}: in use by another process (DuckDB admits one writer); "
                f"close it and check again ({str(error).splitlines()[0][:120]})"
            ) from None
        con.execute("use warehouse")
        con.execute("begin transaction")
        for statement in create_statements("duckdb"):
            con.execute(statement)
        con.execute("delete from quality.dq_issues where load_id = ?", [load_id])
        if len(frame):
            con.register("issues_frame", frame)
            casts = ", ".join(
                f'cast("{name}" as {column_type(kind, "duckdb")})'
                for name, kind in QUALITY_TABLES["dq_issues"]
            )
            con.execute(f"insert into quality.dq_issues select {casts} from issues_frame")
        con.execute("commit")
    finally:
        con.close()  # before the commit, closing rolls the whole run back


def _write_postgres(dsn: str, load_id: int, frame: pd.DataFrame) -> None:
    import psycopg

    names = ", ".join(f'"{name}"' for name in ISSUE_COLUMNS)
    with psycopg.connect(dsn) as conn, conn.transaction():
        for statement in create_statements("postgres"):
            conn.execute(statement)
        # Two checks of one load at a time would interleave their deletes and inserts.
        conn.execute("lock table quality.dq_issues in exclusive mode")
        conn.execute("delete from quality.dq_issues where load_id = %s", [load_id])
        with (
            conn.cursor() as cursor,
            cursor.copy(f"copy quality.dq_issues ({names}) from stdin") as copy,
        ):
            for row in frame.itertuples(index=False, name=None):
                copy.write_row([None if pd.isna(value) else value for value in row])
