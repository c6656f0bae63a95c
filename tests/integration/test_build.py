"""`emis build` on a tiny export: dbt builds and tests pass on DuckDB and PostgreSQL, both
engines give identical observations, and a few indicators agree with an independent count
made straight from the export's files."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import duckdb
import pandas as pd
import psycopg
import pytest

from emis.settings import load_settings
from ingestion.load import ingest
from tests.postgres import create_database
from warehouse.dbt_runner import run_dbt

CENSUS_DATE = dt.date(2025, 9, 15)
YEAR = "2025-2026"
OBSERVATIONS = "select * from marts_open.observations"
ORDER = [
    "indicator_id", "academic_year", "reference_date", "geographic_level", "territory_code",
    "sex", "level", "grade", "locality", "ownership", "language", "org_type", "disability",
]  # fmt: skip


def build(export_path, home, warehouse: str | None = None):
    environ = {"EMIS_HOME": str(home)} | ({"EMIS_WAREHOUSE": warehouse} if warehouse else {})
    settings = load_settings(environ)
    ingest(export_path, settings)
    result = run_dbt(settings, "build")
    assert result.success, result.error or [n for n in result.nodes if n.status != "success"]
    return settings, result


@pytest.fixture(scope="session")
def duckdb_build(tiny_export, tmp_path_factory):
    return build(tiny_export.path, tmp_path_factory.mktemp("build-duckdb"))


@pytest.fixture(scope="session")
def postgres_build(tiny_export, tmp_path_factory, pg_server):
    dsn = create_database(pg_server, "emis_build_tiny")
    return build(tiny_export.path, tmp_path_factory.mktemp("build-postgres"), dsn)


def duckdb_observations(settings) -> pd.DataFrame:
    with duckdb.connect(str(settings.warehouse_path), read_only=True) as con:
        return con.sql(OBSERVATIONS).df()


def national(observations: pd.DataFrame, indicator: str, **codes) -> pd.DataFrame:
    """National rows of one indicator this year, every dimension at _T/_Z unless given."""
    rows = observations[
        (observations["indicator_id"] == indicator)
        & (observations["geographic_level"] == "national")
        & (observations["academic_year"] == YEAR)
    ]
    for dimension in ORDER[5:]:
        wanted = [codes[dimension]] if dimension in codes else ["_T", "_Z"]
        rows = rows[rows[dimension].isin(wanted)]
    return rows


def test_every_model_unit_test_and_data_test_passes(duckdb_build):
    _, result = duckdb_build
    kinds = {node.resource_type for node in result.nodes}
    assert {"model", "seed", "test", "unit_test"} <= kinds
    assert all(node.status in ("success", "pass") for node in result.nodes)
    assert any(node.name == "observations" for node in result.nodes)


@pytest.mark.postgres
def test_both_engines_build_identical_observations(duckdb_build, postgres_build):
    on_duckdb = duckdb_observations(duckdb_build[0])
    with psycopg.connect(postgres_build[0].warehouse) as conn:
        cursor = conn.execute(OBSERVATIONS)
        on_postgres = pd.DataFrame(cursor.fetchall(), columns=[c.name for c in cursor.description])
    assert len(on_duckdb) > 1000
    normalized = []
    for frame in (on_duckdb, on_postgres):
        frame = frame.copy()
        frame["reference_date"] = pd.to_datetime(frame["reference_date"]).dt.date
        for column in ("numerator", "denominator", "value"):
            frame[column] = [None if pd.isna(v) else Decimal(str(v)) for v in frame[column]]
        normalized.append(frame.sort_values(ORDER).reset_index(drop=True))
    pd.testing.assert_frame_equal(normalized[0], normalized[1], check_dtype=False)


def enrolled_on_census_day(export) -> pd.DataFrame:
    """Independently: each learner's last loaded event up to the census date keeps them in."""
    return export.sql(f"""
        with before_census as (
            select *, row_number() over (
                partition by student_id
                order by cast(event_date as date) desc, event_id desc
            ) as recency
            from loaded_enrolments
            where cast(event_date as date) <= date '{CENSUS_DATE}'
        )
        select * from before_census
        where recency = 1 and academic_year = '{YEAR}'
          and event_type in ('admission', 'transfer_in', 'promotion', 'repetition', 'leave_end')
    """)


def test_learners_by_level_match_an_independent_count(duckdb_build, tiny_export):
    expected = enrolled_on_census_day(tiny_export).groupby("level").size()
    observations = duckdb_observations(duckdb_build[0])
    for level, count in expected.items():
        rows = national(observations, "learners", level=level)
        assert rows["value"].tolist() == [count], level
    assert national(observations, "learners")["value"].tolist() == [expected.sum()]


def test_pupil_teacher_ratio_matches_an_independent_count(duckdb_build, tiny_export):
    learners = enrolled_on_census_day(tiny_export)
    pupils = learners["level"].isin(["primary", "basic", "secondary"]).sum()
    teachers = tiny_export.scalar(f"""
        select count(distinct a.staff_id)
        from loaded_staff_assignments as a
        join organizations as o on o.org_id = a.org_id
        where a.position = 'teacher' and a.is_primary_job = 'true'
          and o.org_type not in ('preschool', 'vocational_lyceum', 'college', 'university')
          and cast(a.start_date as date) <= date '{CENSUS_DATE}'
          and (a.end_date is null or cast(a.end_date as date) > date '{CENSUS_DATE}')
    """)
    ratio = national(duckdb_observations(duckdb_build[0]), "pupil_teacher_ratio")
    assert float(ratio["value"].iloc[0]) == pytest.approx(pupils / teachers, abs=1e-4)


def test_organizations_count_those_operating_on_census_day(duckdb_build, tiny_export):
    operating = tiny_export.scalar(f"""
        select count(*) from organizations
        where status = 'active'
           or cast(closed_date as date) > date '{CENSUS_DATE}'
    """)
    rows = national(duckdb_observations(duckdb_build[0]), "organizations")
    assert rows["value"].tolist() == [operating]
