"""An incremental build keeps the census-date models while the loads since the last build
change none of their rows, and rebuilds them for each change that does (issue 19), on DuckDB
and PostgreSQL.

The tiny export is loaded and built. A generated day after it, with a learner's benefit
corrected, is built keeping the models. Then each change ``census_date.CHANGES_SQL`` lists is
delivered in a day of its own: it must be named, and the models it rebuilds must move, so
keeping them across it would have been wrong. At the end the warehouse equals one built in
full from an export holding the same data.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from ingestion.synthetic.delta import generate_delta
from tests.integration.conftest import sql_list
from tests.integration.deliveries import READ, csv_rows, deliver, first_id, merged_export, row_of
from warehouse.census_date import rebuild_because
from warehouse.dbt_runner import build

CENSUS_DATE_TABLES = (
    *(
        f"intermediate.{model}"
        for model in (
            "int_learner_status_on_census_date", "int_learners_on_census_date",
            "int_organizations_on_census_date", "int_teachers_on_census_date",
            "int_school_facilities", "int_population_years", "int_population_on_january_first",
            "int_enrolment_ratio_parts", "int_last_grade_intake_parts", "int_grade_flows",
            "int_reconstructed_cohort_parts", "int_school_classes_on_census_date",
        )
    ),
    "marts_open.school_profiles",
)  # fmt: skip
SCHOOL_LEVELS = "('primary', 'basic', 'secondary')"
OBSERVATIONS = "marts_open.observations"
SCALE = 1000


def census_state(warehouse) -> dict[str, list[tuple]]:
    """Every census-date table's rows, as text, in one order."""
    return {
        table: sorted(tuple(map(str, row)) for row in warehouse.rows(f"select * from {table}"))
        for table in CENSUS_DATE_TABLES
    }


def numerator_sums(warehouse, indicators: tuple[str, ...]) -> dict[str, float]:
    rows = warehouse.rows(
        f"select indicator_id, sum(numerator) from {OBSERVATIONS} "
        f"where indicator_id in {sql_list(indicators)} group by indicator_id"
    )
    return {indicator: float(total) for indicator, total in rows}


def census_changes(base: Path, census: dt.date) -> list[tuple[list[str], list[tuple[str, str]]]]:
    """Each change the test delivers: the reasons it must be named by, and its rows."""
    on_census = (
        f"academic_year = '2025-2026' and try_cast(event_date as date) <= '{census}' "
        f"and level in {SCHOOL_LEVELS} and class_id is not null"
    )
    placed = csv_rows(
        base / "enrolments.csv",
        f"select student_id, org_id, class_id, event_id from t where {on_census} "
        "and event_type = 'admission' "
        "and student_id in (select student_id from t group by student_id having count(*) = 1) "
        "order by event_id limit 1",
    )
    learner, organization, class_id, only_event = placed[0]
    teaching = "staff_category = 'teaching' and coalesce(end_date, '') = ''"
    teacher = first_id(base, "staff_assignments.csv", "staff_id", teaching)
    post = first_id(base, "staff_assignments.csv", "assignment_id", teaching)
    after = census + dt.timedelta(days=100)
    event = "a movement event dated on or before a census date"
    return [
        (["an organization delivered"], [row_of(
            base, "organizations.csv",
            "case locality when 'urban' then 'rural' else 'urban' end as locality",
            f"where org_id = '{organization}'")]),
        (["a class delivered"], [row_of(
            base, "classes.csv", "case shift when '1' then '2' else '1' end as shift",
            f"where class_id = '{class_id}'")]),
        (["a staff member delivered"], [row_of(
            base, "staff.csv",
            "case has_pedagogical_training when 'true' then 'false' else 'true' end "
            "as has_pedagogical_training", f"where staff_id = '{teacher}'")]),
        (["a staff assignment delivered"], [row_of(
            base, "staff_assignments.csv", "'0.25' as rate", f"where assignment_id = '{post}'")]),
        (["an infrastructure survey delivered"], [row_of(
            base, "infrastructure.csv",
            f"'{after}' as survey_date, "  # the latest of the year (int_school_facilities)
            "case has_internet when 'true' then 'false' else 'true' end as has_internet",
            f"where org_id = '{organization}' order by survey_date limit 1")]),
        (["a population estimate delivered"], [row_of(
            base, "population.csv",
            "cast(cast(population as integer) + 1000 as varchar) as population",
            "where age = '10' order by year desc, district_code, sex limit 1")]),
        ([event], [row_of(
            base, "enrolments.csv",
            f"'EVT9200000001' as event_id, 'dropout' as event_type, '{census}' as event_date, "
            "null as class_id, 'family' as reason", f"where event_id = '{only_event}'")]),
        (["a movement event corrected from a census date, a repetition or another year"], [row_of(
            base, "enrolments.csv", f"'{after}' as event_date",
            f"where event_id = (select min(event_id) from {READ.format(base / 'enrolments.csv')} "
            f"where {on_census} and event_id <> '{only_event}')")]),
        (["a repetition event"], [row_of(
            base, "enrolments.csv",
            f"'EVT9200000002' as event_id, 'repetition' as event_type, '{after}' as event_date",
            f"where event_id = (select max(event_id) from {READ.format(base / 'enrolments.csv')} "
            f"where {on_census} and event_type = 'promotion')")]),
        (["a learner's sex, disability or birth date corrected"], [row_of(
            base, "students.csv", "case sex when 'M' then 'F' else 'M' end as sex",
            f"where student_id = (select max(student_id) "
            f"from {READ.format(base / 'enrolments.csv')} where {on_census})")]),
        ([event, "a new learner with a movement event on or before a census date"], [
            row_of(base, "students.csv", "'STU9200000001' as student_id",
                   f"where student_id = '{learner}'"),
            row_of(base, "enrolments.csv",
                   "'EVT9200000003' as event_id, 'STU9200000001' as student_id",
                   f"where event_id = '{only_event}'"),
        ]),
        (["a movement event of an academic year not built yet"], [row_of(
            base, "enrolments.csv",
            f"'EVT9200000004' as event_id, '{after}' as event_date, "
            "'2026-2027' as academic_year, 'admission' as event_type",
            f"where event_id = '{only_event}'")]),
    ]  # fmt: skip


def delivered(warehouse, export: Path) -> None:
    loaded = warehouse.ingest(export)
    assert sum(f.quarantined for f in loaded.files) == 0, warehouse.rows(
        f"select * from meta.quarantine where load_id = {loaded.load_id}"
    )


def test_census_date_models_are_kept_only_while_nothing_reaches_a_census_date(
    warehouses, tiny_export, tmp_path
):
    warehouse = warehouses.new()
    warehouse.ingest(tiny_export.path)
    assert build(warehouse.settings).success
    census = dt.date(2025, 9, 15)
    before = census_state(warehouse)

    # A day after the census date: the models are kept, and stay right.
    day = generate_delta(tiny_export.path, 1, tmp_path / "day-1", 7).path
    deliver(day, "students.csv", row_of(
        tiny_export.path, "students.csv", "'disability_allowance' as benefit",
        "order by student_id limit 1")[1], tiny_export.path)  # fmt: skip
    delivered(warehouse, day)
    assert rebuild_because(warehouse.settings) is None
    # The observations of an indicator on census-date models only are carried from the last
    # build, those of the days recomputed: numerators scaled in both show which (scaled,
    # the totals still add up, which the build tests).
    planted = ("organizations", "attendance_rate")
    unscaled = numerator_sums(warehouse, planted)
    warehouse.write(
        f"update {OBSERVATIONS} set numerator = numerator * {SCALE} "
        f"where indicator_id in {sql_list(planted)}"
    )
    kept = build(warehouse.settings, incremental=True)
    assert kept.success and kept.census_date_kept, kept.error
    assert census_state(warehouse) == before
    carried = numerator_sums(warehouse, planted)
    assert carried["organizations"] == SCALE * unscaled["organizations"]
    assert carried["attendance_rate"] < 2 * unscaled["attendance_rate"]  # recomputed
    merged = merged_export(tiny_export.path, day, tmp_path / "merged-1")

    # Each later day reaches a census date: named, rebuilt, and the models moved.
    for days_after, (reasons, rows) in enumerate(census_changes(tiny_export.path, census), 2):
        delta = generate_delta(tiny_export.path, days_after, tmp_path / f"day-{days_after}", 7)
        for name, rows_sql in rows:
            deliver(delta.path, name, rows_sql, tiny_export.path)
        delivered(warehouse, delta.path)
        assert rebuild_because(warehouse.settings) == "; ".join(reasons)
        built = build(warehouse.settings, incremental=True)
        assert built.success, built.error
        assert not built.census_date_kept
        after = census_state(warehouse)
        assert after != before, reasons
        before = after
        merged = merged_export(merged, delta.path, tmp_path / f"merged-{days_after}")

    full = warehouses.new()
    full.ingest(merged)
    assert build(full.settings).success
    assert census_state(warehouse) == census_state(full)
    observations = f"select * from {OBSERVATIONS}"
    assert sorted(map(str, warehouse.rows(observations))) == sorted(
        map(str, full.rows(observations))
    )
