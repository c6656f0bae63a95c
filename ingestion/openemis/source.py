"""Reading an OpenEMIS database: the DSN, one consistent snapshot, tables streamed into DuckDB.

The connector only reads. Everything it pulls comes from one REPEATABLE READ transaction
started WITH CONSISTENT SNAPSHOT, so files extracted minutes apart still describe one moment.
Rows stream through an unbuffered cursor in batches into DuckDB tables, typed from the
result's column types, so client memory stays flat whatever the table's size.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import parse_qs, unquote, urlsplit

import duckdb
import pyarrow as pa
import pymysql
import pymysql.cursors
from pymysql.constants import FIELD_TYPE

BATCH_ROWS = 50_000


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

    def connect(self, **kw) -> pymysql.Connection:
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
            return pymysql.connect(**args)
        except pymysql.err.Error as error:
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


def open_snapshot(dsn: Dsn) -> tuple[pymysql.Connection, dt.datetime]:
    """A read-only connection inside one consistent snapshot, and the server's time at its start."""
    conn = dsn.connect(cursorclass=pymysql.cursors.SSCursor, read_timeout=600)
    try:
        with conn.cursor() as cur:
            cur.execute("SET SESSION TRANSACTION ISOLATION LEVEL REPEATABLE READ")
            cur.execute("SET time_zone = '+00:00'")
            cur.execute("START TRANSACTION WITH CONSISTENT SNAPSHOT, READ ONLY")
            cur.execute("SELECT NOW()")
            (now,) = cur.fetchall()[0]
    except pymysql.err.Error as error:
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


_ARROW = {
    "BIGINT": pa.int64(),
    "DOUBLE": pa.float64(),
    "DATE": pa.date32(),
    "TIMESTAMP": pa.timestamp("us"),
    "VARCHAR": pa.string(),
}


def pull(
    conn: pymysql.Connection,
    duck: duckdb.DuckDBPyConnection,
    name: str,
    query: str,
    params: tuple = (),
    on_rows: Callable[[int], None] | None = None,
) -> int:
    """Stream ``query``'s rows into the DuckDB table ``name``; returns the row count."""
    rows = 0
    try:
        with conn.cursor() as cur:
            cur.execute(query, params)
            columns = [(d[0], _duck_type(d[1], d[5] or 0)) for d in cur.description]
            duck.execute(
                f'CREATE OR REPLACE TABLE "{name}" ('
                + ", ".join(f'"{c}" {t}' for c, t in columns)
                + ")"
            )
            schema = pa.schema(
                [
                    (c, _ARROW.get(t) or pa.decimal128(18, int(t.split(",")[1][:-1])))
                    for c, t in columns
                ]
            )
            while batch := cur.fetchmany(BATCH_ROWS):
                arrays = [
                    _array(values, field.type)
                    for values, field in zip(zip(*batch, strict=True), schema, strict=True)
                ]
                duck.register("_chunk", pa.Table.from_arrays(arrays, schema=schema))
                duck.execute(f'INSERT INTO "{name}" SELECT * FROM _chunk')
                duck.unregister("_chunk")
                rows += len(batch)
                if on_rows:
                    on_rows(len(batch))
    except pymysql.err.Error as error:
        raise SourceError(f"reading {name}: {_message(error)}") from None
    return rows


def _array(values: tuple, type_: pa.DataType) -> pa.Array:
    try:
        return pa.array(values, type=type_)
    except (pa.ArrowInvalid, pa.ArrowTypeError, TypeError, ValueError):
        # MySQL's zero dates ('0000-00-00') arrive as strings: they are no date, so missing.
        kind = (dt.date, dt.datetime) if pa.types.is_temporal(type_) else object
        return pa.array([v if isinstance(v, kind) else None for v in values], type=type_)


def _message(error: Exception) -> str:
    args = getattr(error, "args", ())
    if len(args) >= 2:
        return f"{args[1]} (error {args[0]})"
    return str(error) or type(error).__name__
