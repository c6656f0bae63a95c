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

import datetime as dt
import json
from collections.abc import Iterable
from functools import cached_property
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd
import pytest

from ingestion.contract import EXIT_EVENTS, MANIFEST_FILE, SCHOOL_LEVELS, TABLES
from ingestion.synthetic.defects import DEFECT_KINDS
from ingestion.synthetic.export import DEFECTS_FILE, generate_export

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
