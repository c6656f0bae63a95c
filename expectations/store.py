"""The warehouse side of the checks, on DuckDB and PostgreSQL alike.

- what the latest load is (``meta.latest_load``) and whether ``emis build`` has run;
- fact frames read in chunks over short-lived read-only connections;
- ``quality.dq_issues`` (declared in ``warehouse/schema.py``): one row per load x rule x record
  failing it (record ids only, no personal data); a run replaces its load's rows in one
  transaction, so reruns are idempotent;
- ``quality.check_runs``: one row per load checked, written in the same transaction, which
  the next check reads to know what it may take over (``delta.py``).
"""

from __future__ import annotations

from collections.abc import Iterator

import pandas as pd

from emis.errors import UserError
from emis.settings import Settings
from expectations.delta import EarlierCheck
from expectations.facts import OBSERVATION_MEASURES, CheckContext
from warehouse.schema import QUALITY_TABLES, column_type

CHUNK_ROWS = 500_000  # a national register is validated a chunk at a time: bounded memory
DUCKDB_MEMORY_LIMIT = "2GB"  # the fact queries' joins spill beyond; within 4 GB per process
POSTGRES_BOOLEAN_OID = 16  # pg_type's oid of bool, as psycopg describes a column
ISSUE_COLUMNS = [name for name, _ in QUALITY_TABLES["dq_issues"]]
CHECK_RUNS = [
    ("load_id", "bigint"),
    ("check_kind", "text"),  # full | incremental
    ("rules_fingerprint", "text"),
    ("snapshot_date", "date"),
    ("academic_year", "text"),
    ("built_through_load_id", "bigint"),  # meta.builds when the check ran
    ("finished_at", "timestamp"),
]


def create_statements(dialect: str) -> list[str]:
    """Idempotent DDL of quality.dq_issues (loads create it too; older warehouses lack it)."""

    def columns(table: list[tuple[str, str]]) -> str:
        return ", ".join(f'"{name}" {column_type(kind, dialect)}' for name, kind in table)

    return [
        "create schema if not exists quality",
        f"create table if not exists quality.dq_issues ({columns(QUALITY_TABLES['dq_issues'])})",
        f"create table if not exists quality.check_runs ({columns(CHECK_RUNS)})",
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


def earlier_check(settings: Settings, ctx: CheckContext) -> EarlierCheck | None:
    """The latest check recorded of a current load not after the checked one, if any."""
    found = query(
        settings,
        "select table_name from information_schema.tables "
        "where table_schema = 'quality' and table_name = 'check_runs'",
    )
    if not found:
        return None
    rows = query(
        settings,
        f"""
        select runs.load_id, runs.rules_fingerprint, runs.snapshot_date, runs.academic_year,
            runs.built_through_load_id, loads.load_sequence
        from quality.check_runs as runs
        inner join meta.current_loads as loads on runs.load_id = loads.load_id
        where loads.load_sequence <= (
            select load_sequence from meta.current_loads where load_id = {ctx.load_id}
        )
        order by loads.load_sequence desc
        limit 1
        """,
    )
    return EarlierCheck(*rows[0]) if rows else None


def loads_after(settings: Settings, earlier: EarlierCheck) -> list[int]:
    """The current loads after the earlier check's, in order."""
    rows = query(
        settings,
        "select load_id from meta.current_loads "
        f"where load_sequence > {earlier.load_sequence} order by load_sequence",
    )
    return [int(load_id) for (load_id,) in rows]


def built_through(settings: Settings) -> int | None:
    """The load the latest whole build went through (meta.builds), if any."""
    rows = query(settings, "select max(built_through_load_id) from meta.builds")
    return None if rows[0][0] is None else int(rows[0][0])


def read_issues(
    settings: Settings, load_id: int, rule_ids: list[str]
) -> dict[str, set[tuple[str, str | None]]]:
    """The load's issues of the given rules: rule id -> (record_id, org_id)."""
    issues: dict[str, set[tuple[str, str | None]]] = {rule_id: set() for rule_id in rule_ids}
    if not rule_ids:
        return issues
    listed = ", ".join(f"'{rule_id}'" for rule_id in rule_ids)
    rows = query(
        settings,
        "select rule, record_id, org_id from quality.dq_issues "
        f"where load_id = {load_id} and rule in ({listed})",
    )
    for rule_id, record_id, org_id in rows:
        issues[rule_id].add((record_id, org_id))
    return issues


def read_chunks(settings: Settings, sql: str, rows: int = CHUNK_ROWS) -> Iterator[pd.DataFrame]:
    """The result of ``sql`` as DataFrames of at most ``rows`` rows, over one read-only
    connection held while they are consumed.

    A boolean column is pandas' nullable ``boolean`` on both engines: a fact is NULL where its
    rule does not apply, and booleans with NULLs would otherwise be Python objects, which
    pandas tests one by one inside Great Expectations (1.3 s of a national check)."""
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
                columns, booleans = None, None
                while batch := cursor.fetchmany(rows):
                    if columns is None:
                        columns = [column.name for column in cursor.description]
                        booleans = {
                            column.name: "boolean"
                            for column in cursor.description
                            if column.type_code == POSTGRES_BOOLEAN_OID
                        }
                    yield pd.DataFrame(batch, columns=columns).astype(booleans)
        return
    with _duckdb_reader(settings) as con:
        for batch in con.sql(sql).to_arrow_reader(rows):
            yield batch.to_pandas(types_mapper=_nullable_booleans)


def _nullable_booleans(arrow_type):
    import pyarrow as pa

    return pd.BooleanDtype() if arrow_type == pa.bool_() else None


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


def write_issues(
    settings: Settings, load_id: int, issues: pd.DataFrame, run: tuple | None = None
) -> None:
    """Replace the load's rows of quality.dq_issues by ``issues`` and its row of
    quality.check_runs by ``run`` (values of CHECK_RUNS; none: the load is left unrecorded),
    in one transaction."""
    frame = issues[ISSUE_COLUMNS]
    if settings.is_postgres:
        _write_postgres(settings.warehouse, load_id, frame, run)
    else:
        _write_duckdb(settings, load_id, frame, run)


def _write_duckdb(settings: Settings, load_id: int, frame: pd.DataFrame, run: tuple | None) -> None:
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
        con.execute("delete from quality.check_runs where load_id = ?", [load_id])
        if run is not None:
            marks = ", ".join("?" for _ in CHECK_RUNS)
            con.execute(f"insert into quality.check_runs values ({marks})", list(run))
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


def _write_postgres(dsn: str, load_id: int, frame: pd.DataFrame, run: tuple | None) -> None:
    import psycopg

    names = ", ".join(f'"{name}"' for name in ISSUE_COLUMNS)
    with psycopg.connect(dsn) as conn, conn.transaction():
        for statement in create_statements("postgres"):
            conn.execute(statement)
        # Two checks of one load at a time would interleave their deletes and inserts.
        conn.execute("lock table quality.dq_issues in exclusive mode")
        conn.execute("delete from quality.dq_issues where load_id = %s", [load_id])
        conn.execute("delete from quality.check_runs where load_id = %s", [load_id])
        if run is not None:
            marks = ", ".join("%s" for _ in CHECK_RUNS)
            conn.execute(f"insert into quality.check_runs values ({marks})", list(run))
        with (
            conn.cursor() as cursor,
            cursor.copy(f"copy quality.dq_issues ({names}) from stdin") as copy,
        ):
            for row in frame.itertuples(index=False, name=None):
                copy.write_row([None if pd.isna(value) else value for value in row])
