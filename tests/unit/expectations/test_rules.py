"""Each rule flags the record that breaks it, and only that one.

A small world (two schools, an evening school, a closed kindergarten, one class, a handful of
learners and staff, a month of attendance, two observations) lives in an in-memory DuckDB with
the staging views' columns and the real reference seeds. It is clean; each test breaks one
thing and asserts which rule names which record, through the real fact queries and suites.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

import duckdb
import pandas as pd
import pytest

from emis.reference import SEEDS_DIR, school_days
from expectations import facts
from expectations.rules import RULES, SUITES
from expectations.run import run_suites
from ingestion.boundary import raw_columns
from ingestion.contract import TABLES_BY_NAME

SNAPSHOT = dt.date(2026, 1, 15)
YEAR = "2025-2026"
TYPES = {"text": "varchar", "double": "double"}
OBSERVATION_KEYS = ("indicator_id", "academic_year", "reference_date", "territory_code", "sex")


def staging_table(register: str) -> str:
    """DDL of a staging view's stand-in: the raw columns under their staging names."""
    columns = [
        f'"{facts.STAGING_NAMES.get((register, c.name), c.name)}" {TYPES.get(c.type, c.type)}'
        for c in raw_columns(TABLES_BY_NAME[register])
    ]
    return f"create table {facts.STAGING_VIEWS[register]} ({', '.join(columns)})"


def insert(con, table: str, **values) -> None:
    names = ", ".join(values)
    con.execute(
        f"insert into {table} ({names}) values ({', '.join('?' for _ in values)})",
        list(values.values()),
    )


def student(con, student_id: str, born: str, pin: str | None = "P1", **changes) -> None:
    values = dict(
        student_id=student_id, has_pin=pin is not None, is_pin_format_valid=True,
        is_pin_sex_consistent=True, is_pin_birth_date_consistent=True, pin_pseudonym=pin,
        has_last_name=True, has_first_name=True, birth_date=born, sex="F", citizenship="KGZ",
        document_type="birth_certificate", has_document_number=True, disability="none",
        updated_at="2025-09-01 08:00:00",
    )  # fmt: skip
    insert(con, facts.STAGING_VIEWS["students"], **(values | changes))


def event(con, event_id: str, student_id: str, org: str = "ORG1", **changes) -> None:
    values = dict(
        event_id=event_id, student_id=student_id, organization_id=org, event_type="admission",
        event_date="2025-09-01", academic_year=YEAR, level="basic", grade=5, class_id="CLS1",
        recorded_at="2025-09-01 10:00:00",
    )  # fmt: skip
    insert(con, facts.STAGING_VIEWS["enrolments"], **(values | changes))


def assignment(con, assignment_id: str, staff_id: str, org: str = "ORG1", **changes) -> None:
    values = dict(
        assignment_id=assignment_id, staff_id=staff_id, organization_id=org, position="teacher",
        staff_category="teaching", fte_rate=1.0, start_date="2020-09-01", is_primary_job=True,
        recorded_at="2020-09-01 10:00:00",
    )  # fmt: skip
    insert(con, facts.STAGING_VIEWS["staff_assignments"], **(values | changes))


def organization(con, org_id: str, kind: str = "school", status: str = "active") -> None:
    insert(
        con, facts.STAGING_VIEWS["organizations"], organization_id=org_id, name_ru="Школа",
        organization_type=kind, ownership="state", district_code="41707215",
        locality="rural", languages="ky", organization_status=status,
        opened_date="2000-01-01", closed_date="2020-06-01" if status == "closed" else None,
        design_capacity=500, shifts=1, updated_at="2025-12-01 08:00:00",
    )  # fmt: skip


@pytest.fixture
def world() -> Iterator[duckdb.DuckDBPyConnection]:
    con = duckdb.connect()
    for schema in ("staging", "reference", "marts_open", "intermediate"):
        con.execute(f"create schema {schema}")
    for register in facts.STAGING_VIEWS:
        con.execute(staging_table(register))
    con.execute(
        "create table staging.stg_emis__attendance_marks (class_id varchar, attendance_date date)"
    )
    for seed in ("event_types", "official_school_ages", "indicators"):
        con.execute(f"create table reference.{seed} as from read_csv('{SEEDS_DIR / seed}.csv')")
    con.execute(
        "create table marts_open.observations (indicator_id varchar, academic_year varchar, "
        "reference_date date, territory_code varchar, sex varchar, numerator decimal(18, 2), "
        "denominator decimal(18, 2), value decimal(18, 4), unit varchar)"
    )
    con.execute(  # the census-date learners as dbt counts them: rows of the model itself
        f"create table {facts.CENSUS_DATE_LEARNERS} "
        "(academic_year varchar, student_id varchar, organization_id varchar)"
    )
    con.execute(  # each learner's state on the snapshot date, as the dbt model defines it
        # (tested there: learner_state_follows_the_last_event_up_to_the_snapshot_date)
        f"create view {facts.SNAPSHOT_DATE_LEARNERS} as "
        "select * exclude (recency) from ("
        "  select events.*, event_types.effect, row_number() over ("
        "    partition by events.student_id"
        "    order by events.event_date desc, event_types.order_in_day desc, events.event_id desc"
        f"  ) as recency from {facts.STAGING_VIEWS['enrolments']} as events"
        "  inner join reference.event_types as event_types using (event_type)"
        f"  where events.event_date <= date '{SNAPSHOT}'"
        ") where recency = 1"
    )
    for org_id, kind, status in (
        ("ORG1", "school", "active"), ("ORG2", "school", "active"),
        ("ORG3", "preschool", "closed"), ("ORG4", "evening", "active"),
    ):  # fmt: skip
        organization(con, org_id, kind, status)
    insert(
        con, facts.STAGING_VIEWS["classes"], class_id="CLS1", organization_id="ORG1",
        academic_year=YEAR, level="basic", grade=5, class_letter="А", shift=1,
        language_of_instruction="ky", class_type="regular", updated_at="2025-09-01 08:00:00",
    )  # fmt: skip
    for day in school_days(YEAR, until=SNAPSHOT):
        insert(con, "staging.stg_emis__attendance_marks", class_id="CLS1", attendance_date=day)
    for n in (1, 2, 3):
        student(con, f"STU{n}", "2014-05-01", pin=f"P{n}")  # grade 5: 11 on 1 January 2026
        event(con, f"EVT{n}", f"STU{n}")
        insert(con, facts.CENSUS_DATE_LEARNERS, academic_year=YEAR, student_id=f"STU{n}",
               organization_id="ORG1")  # fmt: skip
    insert(
        con, facts.STAGING_VIEWS["staff"], staff_id="STF1", has_last_name=True,
        has_first_name=True, birth_date="1980-01-01", sex="F", education_level="higher",
        updated_at="2025-09-01 08:00:00",
    )  # fmt: skip
    assignment(con, "ASG1", "STF1")
    for values in (
        ("learners", YEAR, "2025-09-15", "KG", "_T", 3, 0, 3, "count"),
        ("trained_teachers_pct", YEAR, "2025-09-15", "KG", "_T", 1, 1, 100, "percent"),
    ):
        con.execute(
            "insert into marts_open.observations values (?, ?, ?, ?, ?, ?, ?, ?, ?)", values
        )
    yield con
    con.close()


def check(con) -> dict[str, set[str]]:
    """rule id -> record ids it flags (every rule present)."""

    def read(sql: str) -> Iterator[pd.DataFrame]:  # small chunks: results add up across them
        for batch in con.sql(sql).to_arrow_reader(2):
            yield batch.to_pandas()

    context = facts.CheckContext(1, SNAPSHOT, YEAR, "duckdb", OBSERVATION_KEYS)
    result = run_suites(read, context)
    assert {o.rule.rule_id for o in result.outcomes} == set(RULES)
    return {o.rule.rule_id: {record for record, _ in o.failing} for o in result.outcomes}


def flagged(con) -> dict[str, set[str]]:
    """Only the rules that flag something."""
    return {rule: records for rule, records in check(con).items() if records}


def test_the_clean_world_raises_no_issue(world):
    assert flagged(world) == {}


def test_records_checked_count_where_a_rule_applies(world):
    context = facts.CheckContext(1, SNAPSHOT, YEAR, "duckdb", OBSERVATION_KEYS)
    result = run_suites(lambda sql: iter([world.sql(sql).df()]), context)
    checked = {o.rule.rule_id: o.checked for o in result.outcomes}
    assert checked["pin_format_invalid"] == 3
    assert checked["organization_stale"] == 3  # the closed organization is not expected to change
    assert checked["attendance_not_taken"] == 1
    assert checked["observation_share_out_of_range"] == 1


def test_pin_flags_each_name_their_rule(world):
    students = facts.STAGING_VIEWS["students"]
    world.execute(f"update {students} set is_pin_sex_consistent = false where student_id = 'STU1'")
    world.execute(
        f"update {students} set is_pin_birth_date_consistent = false where student_id = 'STU2'"
    )
    # a malformed PIN is only a format issue: its other flags are not judged
    world.execute(
        f"update {students} set is_pin_format_valid = false, is_pin_sex_consistent = false "
        "where student_id = 'STU3'"
    )
    assert flagged(world) == {
        "pin_sex_mismatch": {"STU1"},
        "pin_birth_date_mismatch": {"STU2"},
        "pin_format_invalid": {"STU3"},
    }


def test_a_school_whose_census_day_enrolment_jumps_is_an_outlier_among_its_type(world):
    """Twelve schools, each with 10 learners on last year's census date and 11 on this year's,
    but ORG1 with 30: log changes ln 1.1 eleven times and ln 3 once. Whatever the two values,
    the odd one's z-score among twelve is 11 / sqrt(12) = 3.18 > 3, the others' -0.29. The
    evening school, of another type, is not compared with them."""
    world.execute(f"delete from {facts.CENSUS_DATE_LEARNERS}")
    schools = ["ORG1", "ORG2", *(f"ORG{n}" for n in range(5, 15))]
    for org_id in schools[2:]:
        organization(world, org_id)
    for org_id in [*schools, "ORG4"]:
        for year, learners in (("2024-2025", 10), (YEAR, 30 if org_id == "ORG1" else 11)):
            for n in range(learners):
                insert(world, facts.CENSUS_DATE_LEARNERS, academic_year=year,
                       student_id=f"{org_id}-{year}-{n}", organization_id=org_id)  # fmt: skip
    assert flagged(world) == {"enrolment_change_outlier": {"ORG1"}}


def test_a_second_registration_enrolled_at_once_is_flagged_not_the_first(world):
    student(world, "STU9", "2014-05-01", pin="P2")  # STU2's PIN, registered later
    event(world, "EVT9", "STU9", org="ORG2", event_date="2025-11-03", class_id=None,
          recorded_at="2025-11-03 10:00:00")  # fmt: skip
    assert flagged(world) == {"learner_enrolled_twice": {"STU9"}, "learner_without_class": {"STU9"}}


def test_a_learner_who_left_is_no_duplicate(world):
    student(world, "STU9", "2014-05-01", pin="P2")
    event(world, "EVT9", "STU9", org="ORG2", event_date="2025-11-03")
    event(world, "EVT10", "STU2", event_type="transfer_out", event_date="2025-11-03",
          class_id=None, exit_reason="moved_in_country")  # fmt: skip
    assert "learner_enrolled_twice" not in flagged(world)


def test_ages_impossible_for_the_grade_but_adults_at_evening_school(world):
    world.execute(
        f"update {facts.STAGING_VIEWS['students']} set birth_date = '2021-03-01' "
        "where student_id = 'STU1'"
    )
    student(world, "STU8", "1990-02-01", pin="P8")  # 35 in grade 5 of an evening school
    event(world, "EVT8", "STU8", org="ORG4", class_id=None)
    student(world, "STU7", "2010-02-01", pin="P7")  # 15 in grade 5: over-age by 4, tolerated
    event(world, "EVT7", "STU7")
    assert flagged(world) == {
        "age_implausible_for_grade": {"STU1"},
        "learner_without_class": {"STU8"},
    }


def test_events_entered_over_a_week_late(world):
    events = facts.STAGING_VIEWS["enrolments"]
    world.execute(f"update {events} set recorded_at = '2025-09-09 09:00' where event_id = 'EVT1'")
    world.execute(f"update {events} set recorded_at = '2025-09-08 23:00' where event_id = 'EVT2'")
    assert flagged(world) == {"enrolment_recorded_late": {"EVT1"}}


def test_a_class_missing_attendance_on_three_school_days(world):
    days = [str(day) for day in school_days(YEAR, until=SNAPSHOT)[10:12]]
    world.execute(
        "delete from staging.stg_emis__attendance_marks "
        f"where attendance_date in ('{days[0]}', '{days[1]}')"
    )
    assert flagged(world) == {}  # two days may be holidays
    world.execute(
        "insert into staging.stg_emis__attendance_marks values ('CLS1', '2025-09-06')"
    )  # a Saturday: not a school day, does not make up for one
    world.execute("delete from staging.stg_emis__attendance_marks where attendance_date = "
                  "'2025-12-01'")  # fmt: skip
    assert flagged(world) == {"attendance_not_taken": {"CLS1"}}


def test_stale_organizations_are_active_ones(world):
    organizations = facts.STAGING_VIEWS["organizations"]
    world.execute(
        f"update {organizations} set updated_at = '2024-12-01 08:00' "
        "where organization_id in ('ORG2', 'ORG3')"
    )
    assert flagged(world) == {"organization_stale": {"ORG2"}}


def test_class_sizes_out_of_bounds(world):
    for n in range(10, 48):  # 3 + 38 = 41 pupils
        student(world, f"STU{n}", "2014-05-01", pin=f"P{n}")
        event(world, f"EVT{n}", f"STU{n}")
    assert flagged(world) == {"class_size_out_of_bounds": {"CLS1"}}


def test_teaching_load_over_two_rates(world):
    assignment(world, "ASG2", "STF1", org="ORG2", fte_rate=1.25, is_primary_job=False)
    assert flagged(world) == {"teacher_fte_out_of_bounds": {"STF1"}}
    world.execute(
        f"update {facts.STAGING_VIEWS['staff_assignments']} set end_date = '2025-06-30' "
        "where assignment_id = 'ASG2'"
    )
    assert flagged(world) == {}


def test_assignments_running_past_a_closing(world):
    assignment(world, "ASG3", "STF1", org="ORG3", position="educator", end_date="2020-05-31",
               is_primary_job=False)  # fmt: skip
    assert flagged(world) == {}
    assignment(world, "ASG4", "STF1", org="ORG3", position="educator", is_primary_job=False)
    assert flagged(world) == {"assignment_at_closed_organization": {"ASG4"}}


def test_required_fields_of_the_contract_and_of_the_figures(world):
    world.execute(
        f"update {facts.STAGING_VIEWS['students']} set has_first_name = false "
        "where student_id = 'STU1'"
    )
    world.execute(
        f"update {facts.STAGING_VIEWS['organizations']} set design_capacity = null "
        "where organization_id in ('ORG2', 'ORG3')"  # a closed kindergarten needs none
    )
    world.execute(f"update {facts.STAGING_VIEWS['classes']} set shift = null")
    assert flagged(world) == {
        "student_required_fields": {"STU1"},
        "organization_required_fields": {"ORG2"},
        "class_required_fields": {"CLS1"},
    }


def test_impossible_published_values(world):
    world.execute("update marts_open.observations set numerator = -1 where unit = 'count'")
    world.execute("update marts_open.observations set value = 100.5 where unit = 'percent'")
    assert flagged(world) == {
        "observation_negative_count": {"learners|2025-2026|2025-09-15|KG|_T"},
        "observation_share_out_of_range": {"trained_teachers_pct|2025-2026|2025-09-15|KG|_T"},
    }


def test_rule_ids_are_unique_and_registers_known():
    ids = [rule.rule_id for suite in SUITES for rule in suite.rules]
    assert len(ids) == len(set(ids))
    registers = set(TABLES_BY_NAME) | {"observations"}
    assert all(RULES[rule_id].register in registers for rule_id in ids)
    assert {rule.severity for rule in RULES.values()} == {"blocking", "warning"}


def test_required_fields_follow_the_contract():
    students = dict(facts.required_fields("students"))
    assert {"has_last_name", "has_first_name", "birth_date", "has_document_number"} <= set(students)
    assert "has_pin" not in students  # a PIN may be missing (foreigners, not yet issued)
    enrolments = dict(facts.required_fields("enrolments"))
    assert "event_id" not in enrolments and "organization_id" in enrolments
    assert enrolments["grade"] is not None  # required for school levels only


def test_no_batch_is_fingerprinted(world, monkeypatch):
    """Great Expectations would hash every chunk whole for batch markers nothing reads."""
    from great_expectations.execution_engine import pandas_execution_engine

    def fingerprint(_frame):
        raise AssertionError("a batch was fingerprinted")

    monkeypatch.setattr(pandas_execution_engine, "hash_pandas_dataframe", fingerprint)
    assert flagged(world) == {}
