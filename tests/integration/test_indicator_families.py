"""Every indicator family against figures worked out by hand, on an export written by hand.

The export (below, ``CASE``) is a few rows per register: two schools in two districts of one
oblast, a kindergarten, a school closed before the census date, ten learners and seven staff,
chosen for the cases real registers hold: same-day events (a transfer out and in on the
census date, lands in the new school; a transfer on 1 December), a learner transferred
mid-year, an organization closed before the census date (its teacher is not counted), a
director who teaches, a teacher with a second teaching post in another school, a teacher
whose other post is administrative, teachers with several posts and none primary, a class of
the second shift in a school of two shifts, unknown facility answers, and population
estimates of the year before the one the ratios ask for. Each expected figure is written out
with the arithmetic that gives it. Built on DuckDB, and on PostgreSQL as the other build
tests are.
"""

from __future__ import annotations

import datetime as dt

import duckdb
import pandas as pd
import psycopg
import pytest

from emis.settings import load_settings
from ingestion.load import ingest
from reports.report import build_report
from tests.integration.handmade import write_export
from tests.postgres import create_database
from warehouse.dbt_runner import run_dbt

YEAR, LAST_YEAR = "2025-2026", "2024-2025"
D1, D2 = "41702205", "41702210"  # two districts of Issyk-Kul oblast
OBLAST = "41702"
DIMENSIONS = ("sex", "level", "grade", "locality", "ownership", "language", "org_type",
              "disability", "setting", "subject")  # fmt: skip


def organization(org_id, org_type, district, **columns):
    return {"org_id": org_id, "org_type": org_type, "district_code": district,
            "opened_date": "2000-09-01", **columns}  # fmt: skip


def event(event_id, student, org, kind, date, year, level, grade="", class_id="", **columns):
    return {"event_id": event_id, "student_id": student, "org_id": org, "event_type": kind,
            "event_date": date, "academic_year": year, "level": level, "grade": grade,
            "class_id": class_id, **columns}  # fmt: skip


def school_class(class_id, org, level, grade, shift, class_type="regular"):
    return {"class_id": class_id, "org_id": org, "academic_year": YEAR, "level": level,
            "grade": grade, "shift": shift, "language": "ky", "class_type": class_type}  # fmt: skip


def post(assignment_id, staff, org, position, rate, start, primary, end=""):
    return {"assignment_id": assignment_id, "staff_id": staff, "org_id": org,
            "position": position, "rate": rate, "start_date": start, "end_date": end,
            "is_primary_job": primary}  # fmt: skip


def mark(student, class_id, subject, term, value):
    return {"student_id": student, "class_id": class_id, "academic_year": YEAR,
            "subject": subject, "term": term, "mark": value}  # fmt: skip


def person(person_id, key, sex, born, **columns):
    return {key: person_id, "sex": sex, "birth_date": born, **columns}


# fmt: off
CASE = {
    "organizations": [
        organization("S1", "school", D1, shifts=2, design_capacity=10),
        organization("S2", "school", D2, ownership="municipal", locality="rural",
                     languages="ky;ru", shifts=1, design_capacity=8),
        organization("S3", "school", D1, status="closed", closed_date="2025-06-30"),
        organization("K1", "preschool", D1),
    ],
    "students": [
        # Ages on 1 January 2026 (the ratios' age): P1 7, P2 8, P3 9, P4 13, P5 13, P6 16,
        # P7 4, P8 6, P10 12.
        person("P1", "student_id", "F", "2018-03-01"),
        person("P2", "student_id", "M", "2017-05-10"),
        person("P3", "student_id", "F", "2016-01-20", disability="hearing"),
        person("P4", "student_id", "M", "2012-02-02"),
        person("P5", "student_id", "F", "2012-06-06"),
        person("P6", "student_id", "M", "2009-04-04"),
        person("P7", "student_id", "F", "2021-02-02"),
        person("P8", "student_id", "M", "2019-07-07"),
        person("P10", "student_id", "M", "2013-03-03"),
    ],
    "enrolments": [
        # P1: new entrant to grade 1.
        event("e01", "P1", "S1", "admission", "2025-09-01", YEAR, "primary", 1, "C1"),
        # P2: grade 1 last year, promoted to grade 2 (a class of the second shift).
        event("e02", "P2", "S1", "admission", "2024-09-01", LAST_YEAR, "primary", 1),
        event("e03", "P2", "S1", "promotion", "2025-09-01", YEAR, "primary", 2, "C2"),
        # P3: repeats grade 3, in an inclusive class, with a disability.
        event("e04", "P3", "S1", "admission", "2024-09-01", LAST_YEAR, "primary", 3),
        event("e05", "P3", "S1", "repetition", "2025-09-01", YEAR, "primary", 3, "C3"),
        # P4: promoted to grade 7 at S1; transferred to S2 mid-year, out and in on 1 December.
        event("e06", "P4", "S1", "admission", "2024-09-01", LAST_YEAR, "basic", 6),
        event("e07", "P4", "S1", "promotion", "2025-09-01", YEAR, "basic", 7, "C4"),
        event("e08", "P4", "S1", "transfer_out", "2025-12-01", YEAR, "basic", 7, "C4",
              reason="moved_in_country"),
        event("e09", "P4", "S2", "transfer_in", "2025-12-01", YEAR, "basic", 7, "C5"),
        # P5: grade 7 at S2 last year, dropped out in March.
        event("e10", "P5", "S2", "admission", "2024-09-01", LAST_YEAR, "basic", 7),
        event("e11", "P5", "S2", "dropout", "2025-03-01", LAST_YEAR, "basic", 7,
              reason="family"),
        # P6: grade 9 last year, on to grade 10 (transition from basic to secondary).
        event("e12", "P6", "S2", "admission", "2024-09-01", LAST_YEAR, "basic", 9),
        event("e13", "P6", "S2", "promotion", "2025-09-01", YEAR, "secondary", 10, "C6"),
        # P7, P8: kindergarten.
        event("e14", "P7", "K1", "admission", "2025-09-01", YEAR, "preschool"),
        event("e15", "P8", "K1", "admission", "2025-09-01", YEAR, "preschool"),
        # P10: admitted to S2, then out of S2 and into S1 on the census date itself.
        event("e16", "P10", "S2", "admission", "2025-09-01", YEAR, "basic", 6),
        event("e18", "P10", "S1", "transfer_in", "2025-09-15", YEAR, "basic", 6, "C7"),
        event("e17", "P10", "S2", "transfer_out", "2025-09-15", YEAR, "basic", 6,
              reason="moved_in_country"),
    ],
    "classes": [
        school_class("C1", "S1", "primary", 1, 1),
        school_class("C2", "S1", "primary", 2, 2),  # the second shift of a two-shift school
        school_class("C3", "S1", "primary", 3, 1, "inclusive"),
        school_class("C4", "S1", "basic", 7, 1),
        school_class("C5", "S2", "basic", 7, 1),
        school_class("C6", "S2", "secondary", 10, 1),
        school_class("C7", "S1", "basic", 6, 1),
    ],
    "staff": [
        person("T1", "staff_id", "M", "1970-01-01", has_pedagogical_training="true"),
        person("T2", "staff_id", "F", "1980-01-01", has_pedagogical_training="true"),
        person("T3", "staff_id", "F", "1985-01-01", education_level="secondary_vocational",
               has_pedagogical_training="false"),
        person("T4", "staff_id", "M", "1975-01-01", has_pedagogical_training="true"),
        person("T5", "staff_id", "F", "1990-01-01", has_pedagogical_training="true"),
        person("T6", "staff_id", "M", "1965-01-01", has_pedagogical_training="true"),
        person("T7", "staff_id", "M", "1988-01-01", has_pedagogical_training="false"),
    ],
    "staff_assignments": [
        # T1: director of S1 (primary job) who teaches 0.5 there.
        post("a11", "T1", "S1", "director", "1.0", "2010-09-01", "true"),
        post("a12", "T1", "S1", "teacher", "0.5", "2010-09-01", "false"),
        # T2: teacher at S1 (primary) with a second teaching post at S2.
        post("a21", "T2", "S1", "teacher", "1.0", "2015-09-01", "true"),
        post("a22", "T2", "S2", "teacher", "0.5", "2019-09-01", "false"),
        # T3: teacher at S2 whose only other post is administrative (librarian).
        post("a31", "T3", "S2", "teacher", "1.0", "2016-09-01", "true"),
        post("a32", "T3", "S2", "librarian", "0.5", "2016-09-01", "false"),
        # T4: teacher at S3, which closed before the census date (the post never ended).
        post("a41", "T4", "S3", "teacher", "1.0", "2005-09-01", "true"),
        # T5: kindergarten educator.
        post("a51", "T5", "K1", "educator", "1.0", "2018-09-01", "true"),
        # T6: left in June.
        post("a61", "T6", "S2", "teacher", "1.0", "2000-09-01", "true", end="2025-06-30"),
        # T7: two half posts, none primary: placed at the earlier start (S2).
        post("a71", "T7", "S1", "teacher", "0.5", "2021-09-01", "false"),
        post("a72", "T7", "S2", "teacher", "0.5", "2020-09-01", "false"),
    ],
    "infrastructure": [
        {"org_id": "S1", "survey_date": "2025-10-01", "has_electricity": "true",
         "has_internet": "true", "computers_for_teaching": 5, "has_ramp": "true",
         "has_drinking_water": "true", "toilets_single_sex": "true", "has_handwashing": "true"},
        {"org_id": "S2", "survey_date": "2025-10-01", "has_electricity": "true",
         "has_internet": "false", "computers_for_teaching": 0, "has_ramp": "false",
         "has_drinking_water": "false", "toilets_single_sex": "false"},  # handwashing unknown
    ],
    "grades": [
        mark("P4", "C4", "math", "q1", 2),
        mark("P4", "C4", "literature", "q1", 4),
        mark("P6", "C6", "math", "q1", 3),
        mark("P2", "C2", "math", "year", 2),
        mark("P2", "C2", "literature", "year", 3),
        mark("P3", "C3", "math", "year", 4),
        mark("P3", "C3", "literature", "year", 4),
        mark("P6", "C6", "math", "year", 2),
        mark("P6", "C6", "literature", "year", 2),
    ],
    "attendance_marks": [
        {"class_id": "C1", "date": day, "marked_at": f"{day}T15:00:00Z"}
        for day in ("2025-10-01", "2025-10-02", "2025-10-03")
    ]
    + [
        {"class_id": class_id, "date": day, "marked_at": f"{day}T15:00:00Z"}
        for class_id, day in (("C4", "2025-11-27"), ("C4", "2025-11-28"),
                              ("C5", "2025-12-02"), ("C5", "2025-12-03"))
    ],
    "absences": [
        {"student_id": "P1", "class_id": "C1", "date": "2025-10-02", "absence_type": "unexcused"},
        {"student_id": "P4", "class_id": "C4", "date": "2025-11-28", "absence_type": "late"},
        # in the class P4 moved to: not followed (a learner stays in their census-day class)
        {"student_id": "P4", "class_id": "C5", "date": "2025-12-03", "absence_type": "excused"},
    ],
    # Only last year's estimates: 5 persons of each sex and age 1-17 in each district.
    "population": [
        {"year": 2025, "district_code": district, "sex": sex, "age": age, "population": 5}
        for district in (D1, D2)
        for sex in ("F", "M")
        for age in range(1, 18)
    ],
}
# fmt: on


def build(home, warehouse: str | None = None):
    export = write_export(home / "export", CASE, "2026-06-01", YEAR)
    settings = load_settings(
        {"EMIS_HOME": str(home)} | ({"EMIS_WAREHOUSE": warehouse} if warehouse else {})
    )
    loaded = ingest(export, settings)
    assert not sum(f.quarantined for f in loaded.files), "the hand-made export is valid"
    result = run_dbt(settings, "build")
    assert result.success, result.error or [n for n in result.nodes if n.status != "success"]
    return settings


def read_observations(settings) -> pd.DataFrame:
    sql = "select * from marts_open.observations"
    if settings.is_postgres:
        with psycopg.connect(settings.warehouse) as conn:
            cursor = conn.execute(sql)
            columns = [column.name for column in cursor.description]
            frame = pd.DataFrame(cursor.fetchall(), columns=columns)
    else:
        with duckdb.connect(str(settings.warehouse_path), read_only=True) as con:
            frame = con.sql(sql).df()
    for column in ("numerator", "denominator", "value"):
        frame[column] = pd.to_numeric(frame[column]).astype("float64")
    frame["reference_date"] = pd.to_datetime(frame["reference_date"]).dt.date
    return frame


@pytest.fixture(
    scope="module", params=["duckdb", pytest.param("postgres", marks=pytest.mark.postgres)]
)
def built(request, tmp_path_factory):
    """The settings of a warehouse holding the hand-made export, built."""
    home = tmp_path_factory.mktemp(f"handmade-{request.param}")
    if request.param == "postgres":
        return build(home, create_database(request.getfixturevalue("pg_server"), "emis_handmade"))
    return build(home)


@pytest.fixture(scope="module")
def observations(built) -> pd.DataFrame:
    return read_observations(built)


def query(settings, sql: str) -> list[tuple]:
    if settings.is_postgres:
        with psycopg.connect(settings.warehouse) as conn:
            return conn.execute(sql).fetchall()
    with duckdb.connect(str(settings.warehouse_path), read_only=True) as con:
        return con.execute(sql).fetchall()


def figure(observations, indicator, year=YEAR, territory="KG", on=None, **codes) -> float:
    """The value of one observation: every breakdown at its total (_T) or not applicable
    (_Z) unless given; ``on`` picks a reference date when the indicator has several."""
    rows = observations[
        (observations["indicator_id"] == indicator)
        & (observations["academic_year"] == year)
        & (observations["territory_code"] == territory)
    ]
    if on is not None:
        rows = rows[rows["reference_date"] == on]
    for dimension in DIMENSIONS:
        wanted = [codes[dimension]] if dimension in codes else ["_T", "_Z"]
        rows = rows[rows[dimension].isin(wanted)]
    assert len(rows) == 1, f"{indicator} {codes}: {len(rows)} rows"
    return rows.iloc[0]


def value(observations, indicator, **keys) -> float:
    return float(figure(observations, indicator, **keys)["value"])


def assert_figures(observations, expected: dict) -> None:
    """``expected``: (indicator, keys as a tuple of pairs) -> value; all compared, then told."""
    wrong = {}
    for (indicator, keys), wanted in expected.items():
        found = value(observations, indicator, **dict(keys))
        if found != pytest.approx(wanted, abs=5e-5):
            wrong[indicator, keys] = (found, wanted)
    assert not wrong, f"(found, expected): {wrong}"


# --- counts ---------------------------------------------------------------------------------------


def test_counts(observations):
    assert_figures(observations, {
        # S1, S2 and K1; S3 closed on 30 June, before the census date.
        ("organizations", ()): 3,
        ("organizations", (("org_type", "school"),)): 2,
        ("organizations", (("org_type", "school"), ("language", "mixed"))): 1,  # S2: ky;ru
        # P1 P2 P3 P4 P6 P10 at school, P7 P8 in the kindergarten; P5 dropped out last year.
        ("learners", ()): 8,
        ("learners", (("sex", "F"),)): 3,  # P1 P3 P7
        ("learners", (("level", "basic"),)): 2,  # P4 (moved in December) and P10
        ("new_entrants_grade1", ()): 1,  # P1
    })  # fmt: skip
    # The same-day transfer on the census date lands in S1: P10 counts in S1's district, and
    # S2's district has no pupil of the basic level on the census date (P4 left in December).
    assert value(observations, "learners", territory=D1, level="basic") == 2
    in_d2 = observations[
        (observations["indicator_id"] == "learners") & (observations["territory_code"] == D2)
        & (observations["level"] == "basic") & (observations["academic_year"] == YEAR)
    ]  # fmt: skip
    assert in_d2.empty


# --- enrolment ratios on population -----------------------------------------------------------


def test_enrolment_ratios_use_last_years_population_and_say_so(observations):
    # Population of 2025 (2026 not loaded): 5 per district, sex and age, two districts.
    # Primary ages 7-10: 4 x 5 x 2 x 2 = 80; basic 11-15: 100; secondary 16-17: 40;
    # preschool coverage ages 1-6: 120; out of school ages 7-17: 220.
    assert_figures(observations, {
        ("ger", (("level", "primary"),)): 100 * 3 / 80,  # P1 P2 P3
        ("ger", (("level", "basic"),)): 100 * 2 / 100,  # P4 P10
        ("ger", (("level", "secondary"),)): 100 * 1 / 40,  # P6
        ("ger", (("level", "primary"), ("sex", "F"))): 100 * 2 / 40,  # P1 P3
        ("ner", (("level", "primary"),)): 100 * 3 / 80,  # aged 7, 8 and 9
        ("ner", (("level", "basic"),)): 100 * 2 / 100,  # aged 13 and 12
        ("aner", (("level", "secondary"),)): 100 * 1 / 40,
        # Girls' GER 5 %, boys' 2.5 %: parity index 2, adjusted (UIS) to 2 - 1/2.
        ("gpi_ger", (("level", "primary"),)): 1.5,
        ("preschool_coverage_pct", ()): 100 * 2 / 120,  # P7 aged 4, P8 aged 6
        ("out_of_school_rate", ()): 100 * (220 - 6) / 220,  # six pupils aged 7-17
    })  # fmt: skip
    ger = figure(observations, "ger", level="primary")
    assert ger["population_year"] == 2025
    assert ger["footnote"] == (
        "Population: estimates of 1 January 2025 (those of 1 January 2026 are not loaded yet)."
    )
    last_year = figure(observations, "ger", year=LAST_YEAR, level="primary")
    assert last_year["population_year"] == 2025 and pd.isna(last_year["footnote"])
    assert pd.isna(figure(observations, "learners")["population_year"])


# --- flows ----------------------------------------------------------------------------------------


def test_flows_follow_last_years_pupils_to_this_census(observations):
    # Census 2024: P2 grade 1 -> grade 2 (promoted), P3 grade 3 -> grade 3 (repeated),
    # P4 grade 6 -> 7 (promoted), P5 grade 7 -> dropped out in March, P6 grade 9 -> 10.
    assert_figures(observations, {
        ("promotion_rate", (("year", LAST_YEAR),)): 100 * 3 / 5,
        ("promotion_rate", (("year", LAST_YEAR), ("level", "primary"))): 100 * 1 / 2,
        ("repetition_rate", (("year", LAST_YEAR), ("level", "primary"))): 100 * 1 / 2,
        ("dropout_rate", (("year", LAST_YEAR), ("level", "basic"))): 100 * 1 / 3,
        ("dropout_rate", (("year", LAST_YEAR), ("level", "basic"), ("grade", "7"))): 100.0,
        ("transition_rate", (("year", LAST_YEAR), ("level", "basic"), ("grade", "9"))): 100.0,
    })  # fmt: skip


# --- teachers -------------------------------------------------------------------------------------


def test_teachers_count_once_and_always(observations):
    # Heads: T1 (director teaching 0.5) and T2 at S1; T3 and T7 (two half posts, none primary,
    # the earlier at S2) at S2; T5 at K1. Not T4 (S3 closed) nor T6 (left in June).
    # FTE: S1 0.5 + 1.0 + 0.5, S2 0.5 + 1.0 + 0.5, K1 1.0; the librarian's and the director's
    # posts add nothing.
    assert_figures(observations, {
        ("teachers", ()): 5,
        ("teachers", (("sex", "M"),)): 2,  # T1 T7
        ("teachers", (("org_type", "school"),)): 4,
        ("teachers", (("territory", D1),)): 3,  # T1 T2 at S1, T5 at K1
        ("teachers", (("territory", D2),)): 2,  # T3 T7 at S2
        ("teachers_fte", ()): 5.0,
        ("teachers_fte", (("territory", D2),)): 2.0,
        ("pupil_teacher_ratio", ()): 6 / 4,  # six pupils, four school teachers
        ("trained_teachers_pct", ()): 100 * 3 / 5,  # T1 T2 T5
        ("qualified_teachers_pct", ()): 100 * 4 / 5,  # all but T3
    })  # fmt: skip


def test_school_profiles_and_the_state_form_count_teachers_alike(built):
    profiles = query(
        built,
        "select organization_id, sum(value) from marts_open.school_profiles "
        "where measure = 'teachers' and academic_year = '2025-2026' group by organization_id",
    )
    assert {org: int(count) for org, count in profiles} == {"S1": 2, "S2": 2, "K1": 1}
    # ОШ-1 section 6 (general schools, the republic, on the census date): T1 T2 T3 T7; women
    # T2 T3; trained T1 T2; the teaching rates of S1 and S2, 2.0 each.
    osh1 = build_report(built, "osh-1", as_of=dt.date(2025, 9, 15))
    found = {column: osh1.values["6", "01", column] for column in ("1", "2", "3", "4")}
    assert found == {"1": 4, "2": 2, "3": 2, "4": 4.0}


# --- classes and shifts ---------------------------------------------------------------------------


def test_classes_and_shifts(observations):
    # Census-day classes with pupils: C1 C2 C3 C4 C6 C7, one pupil each (C5 empty until
    # December); C2 is S1's second shift.
    assert_figures(observations, {
        ("avg_class_size", ()): 6 / 6,
        ("second_shift_pupils_pct", ()): 100 * 1 / 6,
        ("large_class_pupils_pct", ()): 0.0,
        ("capacity_utilisation", ()): 100 * 6 / (10 + 8),  # S3 closed: its places do not count
    })  # fmt: skip


# --- attendance -----------------------------------------------------------------------------------


def test_attendance_by_month(observations):
    october, november = dt.date(2025, 10, 1), dt.date(2025, 11, 1)
    assert_figures(observations, {
        # C1 marked 3 days in October, P1 absent one: 2 of 3 days; 10 % or more absent.
        ("attendance_rate", (("on", october), ("level", "primary"))): 100 * 2 / 3,
        ("chronic_absence_pct", (("on", october), ("level", "primary"))): 100.0,
        # P4 late on one of C4's two November days: lateness is attendance.
        ("attendance_rate", (("on", november), ("level", "basic"))): 100.0,
        ("chronic_absence_pct", (("on", november), ("level", "basic"))): 0.0,
    })  # fmt: skip
    # December: P4 left his census-day class on 1 December and is not followed into C5.
    december = observations[
        (observations["indicator_id"] == "attendance_rate")
        & (observations["reference_date"] == dt.date(2025, 12, 1))
    ]
    assert december.empty


# --- facilities -----------------------------------------------------------------------------------


def test_facilities_of_general_schools(observations):
    # S1 has everything; S2 electricity only; S2's handwashing unknown (not in the base).
    assert_figures(observations, {
        ("schools_electricity_pct", ()): 100.0,
        ("schools_internet_pct", ()): 50.0,
        ("schools_computers_pct", ()): 50.0,
        ("schools_adapted_pct", ()): 50.0,
        ("schools_drinking_water_pct", ()): 50.0,
        ("schools_single_sex_toilets_pct", ()): 50.0,
        ("schools_handwashing_pct", ()): 100.0,
    })  # fmt: skip


# --- disability -----------------------------------------------------------------------------------


def test_learners_with_disabilities(observations):
    assert_figures(observations, {
        ("learners_with_disabilities", ()): 1,  # P3
        ("learners_with_disabilities", (("setting", "inclusive_class"),)): 1,
        ("learners", (("disability", "hearing"),)): 1,
    })  # fmt: skip


# --- marks ----------------------------------------------------------------------------------------


def test_failing_marks_of_the_quarter_and_of_the_year(observations):
    quarter_end, year_end = dt.date(2025, 10, 31), dt.date(2026, 5, 23)
    assert_figures(observations, {
        # First quarter: P4 math 2, literature 4; P6 math 3.
        ("failing_marks_pct", (("on", quarter_end),)): 100 * 1 / 3,
        ("failing_marks_pct", (("on", quarter_end), ("subject", "math"))): 100 * 1 / 2,
        # The year: P2 fails math; P3 passes both; P6 fails both.
        ("pupils_failing_year_pct", (("on", year_end),)): 100 * 2 / 3,
        ("pupils_failing_year_pct", (("on", year_end), ("level", "primary"))): 100 * 1 / 2,
        ("pupils_failing_year_pct", (("on", year_end), ("sex", "F"))): 0.0,
        ("pupils_failing_year_pct",
         (("on", year_end), ("level", "primary"), ("grade", "2"))): 100.0,
        ("failing_year_subject_pct", (("on", year_end), ("subject", "math"))): 100 * 2 / 3,
        ("failing_year_subject_pct", (("on", year_end), ("subject", "literature"))): 100 / 3,
        # Over subjects: failing annual marks, 3 of 6 (P6 counts twice).
        ("failing_year_subject_pct", (("on", year_end),)): 100 * 3 / 6,
    })  # fmt: skip
