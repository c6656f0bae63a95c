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
from ingestion.contract import GENERAL_SCHOOL_TYPES
from ingestion.load import ingest
from tests.postgres import create_database
from warehouse import dbt_runner
from warehouse.dbt_runner import generate_data_dictionary, parse_project, run_dbt

CENSUS_DATE = dt.date(2025, 9, 15)
YEAR = "2025-2026"
OBSERVATIONS = "select * from marts_open.observations"
GENERAL_SCHOOLS = "(" + ", ".join(f"'{kind}'" for kind in GENERAL_SCHOOL_TYPES) + ")"
ORDER = [
    "indicator_id", "academic_year", "reference_date", "geographic_level", "territory_code",
    "sex", "level", "grade", "locality", "ownership", "language", "org_type", "disability",
    "setting", "subject",
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


def test_dbt_sends_no_usage_events(duckdb_build):
    """dbt reports usage to dbt Labs unless told not to; a ministry's server never does."""
    settings, _ = duckdb_build
    log = (settings.home / "dbt" / "logs" / "dbt.log").read_text()
    assert "'send_anonymous_usage_stats': 'False'" in log
    assert "Sending event" not in log


def test_a_project_parsed_ahead_is_not_parsed_again(duckdb_build):
    """`emis run` parses the project while the export loads; its commands start from that."""
    settings, _ = duckdb_build
    log = settings.home / "dbt" / "logs" / "dbt.log"
    try:
        parse_project(settings)
        before = len(log.read_text())
        result = run_dbt(settings, "build", "--select", "int_reference_dates")
        command = log.read_text()[before:]
    finally:
        dbt_runner._parsed.clear()
    assert result.success and [node.name for node in result.nodes] == ["int_reference_dates"]
    assert "Found " in command and "parsing" not in command
    before = len(log.read_text())
    run_dbt(settings, "build", "--select", "int_reference_dates")
    assert "partial parsing" in log.read_text()[before:]


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


@pytest.mark.postgres
@pytest.mark.parametrize(
    ("table", "key"),
    [
        ("marts_monitoring.monitoring_organizations", "organization_id"),
        ("marts_monitoring.monitoring_territories", "territory_code"),
    ],
)
def test_both_engines_build_identical_monitoring(duckdb_build, postgres_build, table, key):
    with duckdb.connect(str(duckdb_build[0].warehouse_path), read_only=True) as con:
        on_duckdb = con.sql(f"select * from {table} order by {key}").fetchall()
    with psycopg.connect(postgres_build[0].warehouse) as conn:
        on_postgres = conn.execute(f"select * from {table} order by {key}").fetchall()
    assert len(on_duckdb) > 3
    as_text = [
        [tuple(str(value) for value in row) for row in rows] for rows in (on_duckdb, on_postgres)
    ]
    assert as_text[0] == as_text[1]


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
    # Each person in a teaching post once, at the primary teaching post, else the largest rate.
    teachers = tiny_export.scalar(f"""
        with posts as (
            select a.*, o.org_type, row_number() over (
                partition by a.staff_id
                order by case when a.is_primary_job = 'true' then 0 else 1 end,
                         cast(a.rate as double) desc, a.start_date, a.assignment_id
            ) as placement
            from loaded_staff_assignments as a
            join organizations as o on o.org_id = a.org_id
            where a.position in ('teacher', 'educator', 'lecturer', 'vocational_master')
              and (o.status = 'active' or cast(o.closed_date as date) > date '{CENSUS_DATE}')
              and (o.opened_date is null or cast(o.opened_date as date) <= date '{CENSUS_DATE}')
              and cast(a.start_date as date) <= date '{CENSUS_DATE}'
              and (a.end_date is null or cast(a.end_date as date) > date '{CENSUS_DATE}')
        )
        select count(*) from posts
        where placement = 1 and org_type in {GENERAL_SCHOOLS}
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


def value_of(rows: pd.DataFrame) -> float:
    assert len(rows) == 1, rows
    return float(rows["value"].iloc[0])


def test_ger_by_level_matches_an_independent_count(duckdb_build, tiny_export):
    """GER = learners at the level, any age / population of the level's official ages."""
    enrolled = enrolled_on_census_day(tiny_export).groupby("level").size()
    observations = duckdb_observations(duckdb_build[0])
    for level, entry_age, years in (("primary", 7, 4), ("basic", 11, 5), ("secondary", 16, 2)):
        population = tiny_export.scalar(f"""
            select sum(cast(population as integer)) from loaded_population
            where year = '2026' and cast(age as integer) between {entry_age}
                and {entry_age + years - 1}
        """)
        ger = value_of(national(observations, "ger", level=level))
        assert ger == pytest.approx(100 * enrolled[level] / population, abs=1e-4), level


def test_learners_with_disabilities_by_setting_match_an_independent_count(
    duckdb_build, tiny_export
):
    learners = enrolled_on_census_day(tiny_export)[["student_id", "org_id", "class_id", "level"]]
    people = tiny_export.sql("select student_id, disability from students")
    schools = tiny_export.sql("select org_id, org_type from organizations")
    classes = tiny_export.sql("select class_id, class_type from classes")
    facts = learners.merge(people, on="student_id").merge(schools, on="org_id")
    facts = facts.merge(classes, on="class_id", how="left")
    facts = facts[facts["disability"] != "none"]

    def setting(row) -> str:
        if row.org_type in ("special_boarding", "auxiliary"):
            return "special_school"
        if row.class_type in ("correctional", "inclusive"):
            return f"{row.class_type}_class"
        if isinstance(row.class_type, str) or row.level not in ("primary", "basic", "secondary"):
            return "regular"
        return "_U"

    expected = facts.apply(setting, axis=1).value_counts()
    observations = duckdb_observations(duckdb_build[0])
    assert value_of(national(observations, "learners_with_disabilities")) == len(facts) > 0
    for code, count in expected.items():
        rows = national(observations, "learners_with_disabilities", setting=code)
        assert value_of(rows) == count, code


def test_failing_marks_by_subject_match_an_independent_count(duckdb_build, tiny_export):
    marks = tiny_export.sql("""
        select g.subject, cast(c.end_date as date) as term_end, cast(g.mark as integer) as mark
        from loaded_grades as g
        join (values ('q1', '2025-10-31'), ('q2', '2025-12-27')) as c(term, end_date)
            on c.term = g.term
        where g.academic_year = '2025-2026'
    """)
    assert len(marks) > 1000
    observations = duckdb_observations(duckdb_build[0])
    for (subject, term_end), group in marks.groupby(["subject", "term_end"]):
        rows = national(observations, "failing_marks_pct", subject=subject)
        rows = rows[pd.to_datetime(rows["reference_date"]) == pd.Timestamp(term_end)]
        expected = 100 * (group["mark"] == 2).sum() / len(group)
        assert value_of(rows) == pytest.approx(expected, abs=1e-4), (subject, term_end)


def test_reconstructed_repetition_matches_an_independent_count(duckdb_build, tiny_export):
    """R(g, t+1) / E(g, t) for grade 5 of 2024-2025, from the events alone."""
    previous_census = dt.date(2024, 9, 15)
    enrolled = tiny_export.scalar(f"""
        with before_census as (
            select *, row_number() over (
                partition by student_id order by cast(event_date as date) desc, event_id desc
            ) as recency
            from loaded_enrolments where cast(event_date as date) <= date '{previous_census}'
        )
        select count(*) from before_census
        where recency = 1 and academic_year = '2024-2025' and grade = '5' and level = 'basic'
          and event_type in ('admission', 'transfer_in', 'promotion', 'repetition', 'leave_end')
    """)
    learners = enrolled_on_census_day(tiny_export)
    repeaters = set(
        tiny_export.column(
            "select student_id from loaded_enrolments "
            "where event_type = 'repetition' and academic_year = '2025-2026'"
        )
    )
    in_grade_5 = learners[(learners["level"] == "basic") & (learners["grade"] == "5")]
    repeated = in_grade_5["student_id"].isin(repeaters).sum()
    observations = duckdb_observations(duckdb_build[0])
    rows = observations[
        (observations["indicator_id"] == "repetition_rate_reconstructed")
        & (observations["geographic_level"] == "national")
        & (observations["academic_year"] == "2024-2025")
        & (observations["level"] == "basic")
        & (observations["grade"] == "5")
        & (observations["sex"] == "_T")
    ]
    assert enrolled > 0
    assert value_of(rows) == pytest.approx(100 * repeated / enrolled, abs=1e-4)


def test_the_data_dictionary_is_one_self_contained_page(duckdb_build):
    page = generate_data_dictionary(duckdb_build[0]).read_text(encoding="utf-8")
    assert "int_reconstructed_cohort_parts" in page and "observations" in page
    assert "<script src=" not in page and 'rel="stylesheet"' not in page


def test_the_data_dictionary_is_reused_while_its_inputs_are_unchanged(duckdb_build):
    settings = duckdb_build[0]
    written = generate_data_dictionary(settings).stat().st_mtime_ns
    assert generate_data_dictionary(settings).stat().st_mtime_ns == written  # dbt not run
    with duckdb.connect(str(settings.warehouse_path)) as con:
        con.execute("create table main.data_dictionary_probe (probe integer)")
    try:  # a table more in the catalog: the page is made again
        assert generate_data_dictionary(settings).stat().st_mtime_ns != written
    finally:
        with duckdb.connect(str(settings.warehouse_path)) as con:
            con.execute("drop table main.data_dictionary_probe")


def test_attendance_reporting_finds_the_classes_with_unmarked_days(duckdb_build, tiny_export):
    """The classes planted with unmarked school days are exactly those reporting under 100 %."""
    planted = tiny_export.defects("unmarked_attendance")
    with duckdb.connect(str(duckdb_build[0].warehouse_path), read_only=True) as con:
        rows = con.sql(
            "select class_id, class_days_marked, class_days_expected "
            "from intermediate.int_attendance_reporting_by_class"
        ).fetchall()
    assert planted and len(rows) > 20
    behind = {class_id for class_id, marked, expected in rows if marked < expected}
    assert behind == planted


def test_monitoring_territories_sum_their_organizations(duckdb_build):
    with duckdb.connect(str(duckdb_build[0].warehouse_path), read_only=True) as con:
        organizations = con.sql(
            "select count(*), sum(records), sum(class_days_marked), sum(events_recorded) "
            "from marts_monitoring.monitoring_organizations"
        ).fetchall()[0]
        levels = con.sql(
            "select geographic_level, sum(organizations), sum(records), sum(class_days_marked), "
            "sum(events_recorded) from marts_monitoring.monitoring_territories group by 1"
        ).fetchall()
    assert {level: tuple(sums) for level, *sums in levels} == {
        level: tuple(organizations) for level in ("national", "oblast", "district")
    }
