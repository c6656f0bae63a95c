"""The metric layer: portable, parametrized SQL that returns per-organization facts.

Each query in ``reports/sql/`` defines a ``facts`` CTE (after the shared CTEs of
``shared.sql``): one row per organization and whatever it counts, with dimension columns and
measure columns. A form asks for a query grouped by just the dimensions its cells filter on,
so a republic's form fetches thousands of rows, not millions. Everything runs on one
short-lived read-only connection, on DuckDB or PostgreSQL, with the reporting date as a
parameter: any date the export history covers can be reported.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import pandas as pd

from emis.errors import UserError
from emis.settings import Settings

SQL_DIR = Path(__file__).resolve().parent / "sql"
# Attributes of the organization every fact belongs to (from the organizations query).
ORGANIZATION_DIMS = (
    "organization_type",
    "sector",
    "ownership",
    "locality",
    "org_language",
    "org_shifts",
    "district_code",
    "oblast_code",
)


@dataclass(frozen=True)
class Query:
    """One SQL file: its dimensions and measures (counts are bigint, FTE double)."""

    name: str
    dims: tuple[str, ...]
    measures: Mapping[str, str]  # measure column -> SQL type of its sum


@dataclass(frozen=True)
class Metric:
    """What a cell can count: a measure of a query, summed over the cell's facts."""

    name: str
    query: str
    measure: str
    description: str


QUERIES = {
    query.name: query
    for query in (
        Query(
            "organizations",
            ORGANIZATION_DIMS,
            {"organizations": "bigint", "design_capacity": "bigint"},
        ),
        Query(
            "learners",
            (
                "level",
                "grade",
                "sex",
                "has_disability",
                "is_repeater",
                "has_class",
                "language",
                "shift",
                "class_type",
                "study_form",
                "is_foreign",
                "age",
                "age_at_year_end",
                "isced",
                "isced_level",
                "last_event_type",
            ),
            {"learners": "bigint", "classes": "bigint"},
        ),
        Query(
            "teachers",
            (
                "sex",
                "education_level",
                "qualification_category",
                "experience",
                "has_pedagogical_training",
                "age",
            ),
            {"teachers": "bigint", "fte": "double precision"},
        ),
        Query(
            "staff",
            ("staff_category", "position", "sex", "education_level", "is_external"),
            {"staff": "bigint", "fte": "double precision"},
        ),
        Query("facilities", ("item",), {"facilities": "bigint"}),
        Query(
            "movement",
            (
                "event_type",
                "exit_reason",
                "level",
                "grade",
                "study_form",
                "sex",
                "has_disability",
                "is_foreign",
                "isced",
                "isced_level",
            ),
            {"events": "bigint"},
        ),
        Query(
            "out_of_school",
            ("reason", "level", "grade", "sex", "age"),
            {"children": "bigint"},
        ),
        Query(
            "school_leavers",
            ("exit_reason", "sex", "is_enrolled", "age"),
            {"children": "bigint"},
        ),
    )
}

METRICS = {
    metric.name: metric
    for metric in (
        Metric("organizations", "organizations", "organizations",
               "organizations the form covers, operating on the date"),
        Metric("places", "organizations", "design_capacity",
               "places the buildings are designed for (design capacity)"),
        Metric("learners", "learners", "learners",
               "learners enrolled on the date (last movement event up to it)"),
        Metric("classes", "learners", "classes",
               "classes and groups with at least one learner enrolled on the date"),
        Metric("teachers", "teachers", "teachers",
               "persons in a teaching post on the date, once each (docs/warehouse.md)"),
        Metric("teachers_fte", "teachers", "fte", "rates of teaching posts on the date"),
        Metric("staff", "staff", "staff", "employees on the date, once each, by main post"),
        Metric("staff_fte", "staff", "fte", "rates of all posts on the date"),
        Metric("facilities", "facilities", "facilities",
               "latest infrastructure survey on or before the date, per item"),
        Metric("movement", "movement", "events", "movement events in the reporting period"),
        Metric("out_of_school", "out_of_school", "children",
               "children aged 7-17 not enrolled on the date, by the reason of their last event"),
        Metric("school_leavers", "school_leavers", "children",
               "children aged 7-17 who left a school in the period, enrolled again or not"),
    )
}  # fmt: skip


def dims_of(metric: str) -> frozenset[str]:
    """The dimensions a cell of ``metric`` may filter on (its query's and its organization's)."""
    return frozenset(QUERIES[METRICS[metric].query].dims) | frozenset(ORGANIZATION_DIMS)


@dataclass(frozen=True)
class Parameters:
    """What every query is run with."""

    as_of: dt.date
    academic_year: str
    scope: str  # 'KG', an oblast or district code, or an organization id
    sectors: tuple[str, ...]  # organization sectors the form covers; () for any
    operating_only: bool
    period_start: dt.date

    def values(self) -> dict[str, object]:
        return {
            "as_of": self.as_of,
            "academic_year": self.academic_year,
            "scope": self.scope,
            "sectors": "".join(f",{sector}," for sector in self.sectors),
            "operating_only": self.operating_only,
            "period_start": self.period_start,
        }


@cache
def _sql_file(name: str) -> str:
    """A query file without its comments (they may mention parameters it does not bind)."""
    text = (SQL_DIR / f"{name}.sql").read_text(encoding="utf-8")
    lines = (line.split("--", 1)[0].rstrip() for line in text.splitlines())
    return "\n".join(line for line in lines if line)


# The shared CTEs a session computes once per reporting date (``Session.reused``): each
# learner's last movement event, read by every learners query from a window over all events
# (nationally 4.5 million events; the history versions are cheap filters and gain nothing).
REUSABLE = ("learner_status",)
_CTE = re.compile(r"^(\w+) as \(\n(.*?)\n\),?$", re.MULTILINE | re.DOTALL)


@cache
def shared_ctes() -> dict[str, str]:
    """``shared.sql``'s CTEs in order: name -> body (each opens at the line's start with
    ``name as (`` and closes with a ``)`` alone on its line)."""
    return {match[1]: match[2] for match in _CTE.finditer(_sql_file("shared"))}


def with_dependencies(name: str) -> str:
    """A shared CTE as a query of its own: ``with`` the shared CTEs it reads, then it."""
    ctes = shared_ctes()
    needed, pending = [], [name]
    while pending:
        current = pending.pop()
        for other in ctes:
            if other not in (name, *needed) and re.search(rf"\b{other}\b", ctes[current]):
                needed.append(other)
                pending.append(other)
    heads = ",\n".join(f"{other} as (\n{ctes[other]}\n)" for other in ctes if other in needed)
    return f"with\n{heads}\n{ctes[name]}" if heads else ctes[name]


def compose(query: Query, dims: Sequence[str], reused: Mapping[str, str] | None = None) -> str:
    """The SQL of ``query`` grouped by organization and ``dims`` (a subset of its own); a
    shared CTE named in ``reused`` reads the table it names instead of computing itself."""
    unknown = set(dims) - set(query.dims)
    if unknown:
        raise ValueError(f"query {query.name} has no dimension {sorted(unknown)}")
    keys = ", ".join(["organization_id", *dims])
    sums = ", ".join(
        f"cast(sum({measure}) as {sql_type}) as {measure}"
        for measure, sql_type in query.measures.items()
    )
    reused = reused or {}
    shared = ",\n\n".join(
        f"{name} as (\n{f'select * from {reused[name]}' if name in reused else body}\n)"
        for name, body in shared_ctes().items()
    )
    return (
        f"with\n{shared},\n\n{_sql_file(query.name)}\n\n"
        f"select {keys}, {sums}\nfrom facts\ngroup by {keys}"
    )


_PARAMETER = re.compile(r"(?<![:\w]):([a-z_]+)\b")


def bind(sql: str, values: Mapping[str, object], postgres: bool) -> tuple[str, dict]:
    """``:name`` placeholders as the engine's named parameters, and the values used."""
    names = set(_PARAMETER.findall(sql))
    missing = names - set(values)
    if missing:
        raise ValueError(f"no value for parameter(s) {sorted(missing)}")
    if postgres:
        sql = _PARAMETER.sub(r"%(\1)s", sql.replace("%", "%%"))
    else:
        sql = _PARAMETER.sub(r"$\1", sql)
    return sql, {name: values[name] for name in names}


class Session:
    """``session(sql, params) -> DataFrame`` on one read-only connection of ``connect``."""

    def __init__(self, execute, keep=None):
        self._execute = execute  # (sql with :names, params) -> DataFrame
        self._keep = keep  # (table, sql with :names, params): a temporary table; None: none kept
        self._reused: dict[dt.date, dict[str, str]] = {}

    def __call__(self, sql: str, params: Mapping[str, object]) -> pd.DataFrame:
        return self._execute(sql, params)

    def reused(self, as_of: dt.date) -> dict[str, str]:
        """The ``REUSABLE`` CTEs for ``as_of`` as temporary tables, computed on the first call
        for the date: CTE name -> table. Empty for a session opened without ``reuse``, whose
        queries each compute their CTEs."""
        if self._keep is None:
            return {}
        if as_of not in self._reused:
            tables = {}
            for name in REUSABLE:
                table = f"reused_{name}_{as_of:%Y%m%d}"
                self._keep(table, with_dependencies(name), {"as_of": as_of})
                tables[name] = table
            self._reused[as_of] = tables
        return self._reused[as_of]


@contextmanager
def connect(settings: Settings, reuse: bool = False) -> Iterator[Session]:
    """A ``Session`` on one read-only connection, closed on leaving. ``reuse``: the session
    will run several learners queries for one date (``Session.reused``); for one query, a
    temporary table would only add its writing."""
    if settings.is_postgres:
        import psycopg

        options = "-c default_transaction_read_only=on"
        with psycopg.connect(settings.warehouse, autocommit=True, options=options) as conn:

            def run(sql: str, params: Mapping[str, object]) -> pd.DataFrame:
                sql, bound = bind(sql, params, postgres=True)
                cursor = conn.execute(sql, bound)
                columns = [column.name for column in cursor.description]
                return pd.DataFrame(cursor.fetchall(), columns=columns)

            def keep(table: str, sql: str, params: Mapping[str, object]) -> None:
                # A read-only transaction may not create even a temporary table, so this one
                # statement gets a read-write transaction of its own; the table lives in the
                # session only. Autovacuum never analyzes temporary tables: analyze it here.
                sql, bound = bind(sql, params, postgres=True)
                with conn.transaction():
                    conn.execute("set transaction read write")
                    conn.execute(f"create temporary table {table} as {sql}", bound)
                    conn.execute(f"analyze {table}")

            yield Session(run, keep if reuse else None)
        return
    import duckdb

    path = settings.warehouse_path
    if not path.exists():
        raise UserError(f"{path}: no warehouse; run `emis ingest` and `emis build` first")
    try:
        con = duckdb.connect(str(path), read_only=True)
    except duckdb.IOException as error:  # a writer holds the file
        raise UserError(f"{path}: in use ({str(error).splitlines()[0][:120]})") from None
    with con:
        con.execute("set enable_progress_bar = false")  # the CLI prints its own lines

        def run(sql: str, params: Mapping[str, object]) -> pd.DataFrame:
            sql, bound = bind(sql, params, postgres=False)
            return con.execute(sql, bound).df()

        def keep(table: str, sql: str, params: Mapping[str, object]) -> None:
            # A read-only DuckDB connection keeps temporary tables in memory.
            run(f"create temporary table {table} as {sql}", params)

        yield Session(run, keep if reuse else None)


def fetch_facts(
    run: Session, parameters: Parameters, wanted: Mapping[str, Iterable[str]]
) -> dict[str, pd.DataFrame]:
    """Facts of each query in ``wanted`` (query -> dimensions), per organization."""
    reused = run.reused(parameters.as_of)
    frames = {}
    for name, dims in wanted.items():
        query = QUERIES[name]
        ordered = [dim for dim in query.dims if dim in set(dims)]
        frame = run(compose(query, ordered, reused), parameters.values())
        frames[name] = _normalized(frame, query)
    return frames


def _normalized(frame: pd.DataFrame, query: Query) -> pd.DataFrame:
    """Measures as numbers and missing values as None on both engines (PostgreSQL gives
    Decimal for sums, DuckDB NaN or NA for nulls)."""
    frame = frame.copy()
    for measure, sql_type in query.measures.items():
        kind = "float64" if sql_type.startswith("double") else "int64"
        frame[measure] = pd.to_numeric(frame[measure]).fillna(0).astype(kind)
    for column in frame.columns.difference(list(query.measures)):
        frame[column] = frame[column].astype(object).where(frame[column].notna(), None)
    return frame
