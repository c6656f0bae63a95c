"""Reading an OpenEMIS database: the DSN, one consistent snapshot, tables streamed into DuckDB.

The connector only reads. Everything it pulls comes from one REPEATABLE READ transaction
started WITH CONSISTENT SNAPSHOT, so files extracted minutes apart still describe one moment.

Speed: the server writes each row as ONE text column, a CSV line (``CONCAT_WS``, strings
quoted, NULL as an empty field), so the driver hands over one byte string per row instead of
decoding every field in Python; the lines stream through an unbuffered cursor into a spool file
that DuckDB's parallel CSV reader loads with the types of the result's columns. The driver is
mysqlclient (C, libmariadb): about 20 times the rows per second of decoding fields with PyMySQL
(docs/performance.md). Client memory stays flat whatever the table's size.
"""

from __future__ import annotations

import datetime as dt
import os
import tempfile
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import parse_qs, unquote, urlsplit

import duckdb
import MySQLdb
import MySQLdb.cursors
from MySQLdb.constants import FIELD_TYPE

BATCH_ROWS = 50_000
DriverError = MySQLdb.Error


class SourceError(RuntimeError):
    """The database cannot be reached or stopped answering; the message says which and where."""


@dataclass(frozen=True)
class Dsn:
    user: str
    password: str
    host: str
    port: int
    database: str
    unix_socket: str | None

    def connect(self, **kw) -> MySQLdb.Connection:
        args = dict(
            user=self.user,
            password=self.password,
            database=self.database,
            charset="utf8mb4",
            connect_timeout=20,
            **kw,
        )
        if self.unix_socket:
            args["unix_socket"] = self.unix_socket
        else:
            args.update(host=self.host, port=self.port)
        try:
            return MySQLdb.connect(**args)
        except DriverError as error:
            raise SourceError(f"cannot connect to {self.safe}: {_message(error)}") from None

    @property
    def safe(self) -> str:
        """The DSN without its password, for messages and the manifest."""
        where = self.unix_socket or f"{self.host}:{self.port}"
        return f"mysql://{self.user}@{where}/{self.database}"


def parse_dsn(dsn: str) -> Dsn:
    """``mysql://user:password@host:port/database`` (or ``?unix_socket=/path``)."""
    parts = urlsplit(dsn)
    if parts.scheme not in ("mysql", "mariadb", "mysql+pymysql"):
        raise SourceError(f"{dsn!r}: expected mysql://user:password@host:port/database")
    database = unquote(parts.path.lstrip("/"))
    if not database:
        raise SourceError(f"{dsn!r}: the DSN names no database")
    query = parse_qs(parts.query)
    return Dsn(
        user=unquote(parts.username or ""),
        password=unquote(parts.password or ""),
        host=parts.hostname or "localhost",
        port=parts.port or 3306,
        database=database,
        unix_socket=query.get("unix_socket", [None])[0],
    )


def open_snapshot(dsn: Dsn) -> tuple[MySQLdb.Connection, dt.datetime]:
    """A read-only connection inside one consistent snapshot, and the server's time at its start."""
    conn = dsn.connect(cursorclass=MySQLdb.cursors.SSCursor, read_timeout=600)
    try:
        with conn.cursor() as cur:
            cur.execute("SET SESSION TRANSACTION ISOLATION LEVEL REPEATABLE READ")
            cur.execute("SET time_zone = '+00:00'")
            cur.execute("START TRANSACTION WITH CONSISTENT SNAPSHOT, READ ONLY")
            cur.execute("SELECT NOW()")
            (now,) = cur.fetchall()[0]
    except DriverError as error:
        conn.close()
        raise SourceError(f"{dsn.safe}: cannot open a snapshot: {_message(error)}") from None
    return conn, now


def _duck_type(type_code: int, scale: int) -> str:
    if type_code in (
        FIELD_TYPE.TINY,
        FIELD_TYPE.SHORT,
        FIELD_TYPE.LONG,
        FIELD_TYPE.INT24,
        FIELD_TYPE.LONGLONG,
        FIELD_TYPE.YEAR,
    ):
        return "BIGINT"
    if type_code in (FIELD_TYPE.DECIMAL, FIELD_TYPE.NEWDECIMAL):
        return f"DECIMAL(18, {min(scale, 6)})"
    if type_code in (FIELD_TYPE.FLOAT, FIELD_TYPE.DOUBLE):
        return "DOUBLE"
    if type_code == FIELD_TYPE.DATE:
        return "DATE"
    if type_code in (FIELD_TYPE.DATETIME, FIELD_TYPE.TIMESTAMP):
        return "TIMESTAMP"
    return "VARCHAR"


def pull(
    conn: MySQLdb.Connection,
    duck: duckdb.DuckDBPyConnection,
    name: str,
    query: str,
    params: tuple | dict = (),
    on_rows: Callable[[int], None] | None = None,
    loader: Loader | None = None,
) -> int:
    """Stream ``query``'s rows into the DuckDB table ``name``; returns the row count.

    The columns and their types come from the query run with ``LIMIT 0``; the rows come as CSV
    lines made by the server (:func:`text_query`), spooled to a file beside DuckDB's spill
    files, which DuckDB then reads in parallel: at once, or on the ``loader``'s thread while
    the next table is pulled."""
    args = params or None
    rows = 0
    handle, spool_name = tempfile.mkstemp(prefix=f"{name}-", suffix=".csv", dir=_spool_dir(duck))
    spool = Path(spool_name)
    try:
        with os.fdopen(handle, "wb", buffering=1 << 20) as out:
            try:
                with conn.cursor() as cur:
                    cur.execute(f"{query} LIMIT 0", args)
                    columns = [(d[0], _duck_type(d[1], d[5] or 0)) for d in cur.description]
                    cur.fetchall()
                with conn.cursor() as cur:
                    cur.execute(text_query(query, columns), args)
                    while batch := cur.fetchmany(BATCH_ROWS):
                        out.write(b"\n".join([row[0] for row in batch]))
                        out.write(b"\n")
                        rows += len(batch)
                        if on_rows:
                            on_rows(len(batch))
            except DriverError as error:
                raise SourceError(f"reading {name}: {_message(error)}") from None
        if loader is not None:
            loader.load(name, columns, spool, rows)
            spool = None  # the loader's now
        else:
            load_spool(duck, name, columns, spool, rows)
    finally:
        if spool is not None:
            spool.unlink(missing_ok=True)
    return rows


class Loader:
    """Loads spooled tables into DuckDB on a thread of its own (a cursor of its own), one after
    another, while the main thread pulls the next table: the server's and the client's work
    overlap DuckDB's. ``wait()`` raises the first load's error."""

    def __init__(self, duck: duckdb.DuckDBPyConnection) -> None:
        self.duck = duck
        self.database = duck.execute("SELECT current_database()").fetchall()[0][0]
        self.pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="duckdb-load")
        self.pending: list[Future] = []

    def load(self, name: str, columns: list[tuple[str, str]], spool: Path, rows: int) -> None:
        self.pending.append(self.pool.submit(self._load, name, columns, spool, rows))

    def _load(self, name, columns, spool: Path, rows: int) -> None:
        cursor = self.duck.cursor()
        try:
            cursor.execute(f'USE "{self.database}"')  # a cursor starts in the default database
            load_spool(cursor, name, columns, spool, rows)
        finally:
            cursor.close()
            spool.unlink(missing_ok=True)

    def wait(self) -> None:
        for future in self.pending:
            future.result()
        self.pending.clear()

    def __enter__(self) -> Loader:
        return self

    def __exit__(self, *exc) -> None:
        for future in self.pending:
            future.cancel()
        self.pool.shutdown(wait=True)  # a running load finishes; its spool is removed


def _spool_dir(duck) -> Path | None:
    """DuckDB's own spill directory when it is set to an absolute path (the extraction's work
    folder), else None (the system's temporary folder)."""
    setting = duck.execute("SELECT current_setting('temp_directory')").fetchall()[0][0]
    if not setting or not Path(setting).is_absolute():
        return None
    Path(setting).mkdir(parents=True, exist_ok=True)
    return Path(setting)


def text_query(query: str, columns: list[tuple[str, str]]) -> str:
    """``query``'s rows as one CSV line each: strings quoted (a quote doubled), NULL as an
    empty field, everything else in MariaDB's own text form (what the text protocol sends)."""

    def field(column: str, kind: str) -> str:
        ref = "q.`" + column.replace("`", "``") + "`"
        if kind == "VARCHAR":
            ref = f"CONCAT('\"', REPLACE({ref}, '\"', '\"\"'), '\"')"
        return f"IFNULL({ref}, '')"

    line = ", ".join(field(c, k) for c, k in columns)
    return f"SELECT CAST(CONCAT_WS(',', {line}) AS BINARY) FROM ({query}) q"


def load_spool(duck, name: str, columns: list[tuple[str, str]], spool: Path, rows: int) -> None:
    """The spooled CSV lines into the DuckDB table ``name``, typed. Dates and times are read as
    text and cast with TRY_CAST: MySQL's zero dates ('0000-00-00') are no date, so missing."""
    table = _quote(name)
    definition = ", ".join(f"{_quote(c)} {t}" for c, t in columns)
    duck.execute(f"CREATE OR REPLACE TABLE {table} ({definition})")
    if not rows:
        return
    read_as = {c: ("VARCHAR" if t in ("DATE", "TIMESTAMP") else t) for c, t in columns}
    select = ", ".join(
        f"TRY_CAST({_quote(c)} AS {t})" if t in ("DATE", "TIMESTAMP") else _quote(c)
        for c, t in columns
    )
    struct = (
        "{"
        + ", ".join(f"'{c.replace(chr(39), chr(39) * 2)}': '{t}'" for c, t in read_as.items())
        + "}"
    )
    duck.execute(
        f"INSERT INTO {table} SELECT {select} FROM read_csv(?, columns = {struct}, "
        "header = false, delim = ',', quote = '\"', escape = '\"', nullstr = '', "
        "allow_quoted_nulls = false, auto_detect = false, strict_mode = true)",
        [str(spool)],
    )


def _quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _message(error: Exception) -> str:
    args = getattr(error, "args", ())
    if len(args) >= 2:
        return f"{args[1]} (error {args[0]})"
    return str(error) or type(error).__name__
