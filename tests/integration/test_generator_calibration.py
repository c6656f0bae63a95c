"""The small export (Talas oblast) follows the published shares of calibration.md.

Counts are taken as of the snapshot date from what ingestion would load: pupils are the
learners whose latest movement event leaves them enrolled at a school level in 2025-2026
(``current_pupils``), teachers the staff with a current (no end date) teacher assignment.
"""

from __future__ import annotations

import pandas as pd
import pytest

from emis.reference import territories
from ingestion.contract import GENERAL_SCHOOL_TYPES, SCHOOL_LEVELS
from ingestion.synthetic.scales import SMALL_OBLAST
from tests.integration.conftest import GeneratedExport, age_on, sql_list

pytestmark = pytest.mark.slow

CURRENT_TEACHERS = """
    select distinct staff_id from loaded_staff_assignments
    where position = 'teacher' and end_date is null{extra}
"""


def share(export: GeneratedExport, condition: str, of: str) -> float:
    """Share of the rows of the query ``of`` that meet ``condition``."""
    return export.scalar(f"select avg(case when {condition} then 1.0 else 0 end) from ({of})")


def talas_districts() -> set[str]:
    codes = territories()["district_code"]
    return set(codes[codes.str.startswith(SMALL_OBLAST)])


def test_girls_are_49_percent_of_pupils(small_export: GeneratedExport) -> None:
    girls = share(small_export, "sex = 'F'", "select sex from current_pupils")
    assert girls == pytest.approx(0.491, abs=0.015)


@pytest.mark.parametrize(
    ("condition", "expected"), [("sex = 'F'", 0.87), ("education_level = 'higher'", 0.87)]
)
def test_teachers_are_87_percent_women_with_higher_education(
    small_export: GeneratedExport, condition: str, expected: float
) -> None:
    teachers = CURRENT_TEACHERS.format(extra="")
    staff = f"select * from staff where staff_id in ({teachers})"
    assert share(small_export, condition, staff) == pytest.approx(expected, abs=0.03)


def test_pupils_per_teacher(small_export: GeneratedExport) -> None:
    pupils = small_export.scalar("select count(*) from current_pupils")
    teachers = CURRENT_TEACHERS.format(extra=" and is_primary_job = 'true'")
    headcount = small_export.scalar(f"select count(*) from ({teachers})")
    assert 12 <= pupils / headcount <= 20


def test_about_one_percent_repeat_a_grade(small_export: GeneratedExport) -> None:
    repeated = share(
        small_export,
        "event_type = 'repetition'",
        "select event_type from loaded_enrolments "
        f"where event_type in ('promotion', 'repetition') and level in {sql_list(SCHOOL_LEVELS)}",
    )
    assert 0.005 <= repeated <= 0.015


def test_absent_learner_days_are_5_to_9_percent(small_export: GeneratedExport) -> None:
    """Absent (excused or unexcused; late is present) over learner-days of marked classes."""
    absent = small_export.scalar(
        "select count(*) from absences where absence_type in ('excused', 'unexcused')"
    )
    marked = small_export.scalar("""
        select count(*)
        from current_pupils
        join attendance_marks on attendance_marks.class_id = current_pupils.class_id
            and cast(attendance_marks.date as date) >= current_pupils.entered_on
    """)
    assert 0.05 <= absent / marked <= 0.09


def test_chronic_absence_is_a_minority_and_steady_across_months(small_export) -> None:
    """Pupils absent (excused or unexcused) on at least 10 % of their class's marked days of a
    month, among those present in the class from the month's first day: a minority of
    pupils miss most of the days missed, so the share does not jump in a month of 15 or 20
    school days (where 2 days already make 10 %). Months of at least 10 marked days."""
    chronic = small_export.sql("""
        with days as (
            select class_id, date_trunc('month', cast("date" as date)) as month, count(*) as marked
            from attendance_marks group by all
        ),
        missed as (
            select student_id, date_trunc('month', cast("date" as date)) as month,
                count(*) as absent
            from absences where absence_type in ('excused', 'unexcused') group by all
        )
        select days.month,
            avg(case when 10 * coalesce(missed.absent, 0) >= days.marked then 1.0 else 0 end)
                as chronic
        from current_pupils
        join days on days.class_id = current_pupils.class_id
            and current_pupils.entered_on <= days.month
        left join missed on missed.student_id = current_pupils.student_id
            and missed.month = days.month
        where days.marked >= 10
        group by days.month
    """)["chronic"]
    assert len(chronic) >= 4
    assert chronic.between(0.10, 0.22).all(), chronic.tolist()
    assert chronic.max() - chronic.min() < 0.06, chronic.tolist()


def test_most_pupils_learn_in_the_first_shift(small_export: GeneratedExport) -> None:
    first = share(small_export, "shift = 1", "select shift from current_pupils where shift >= 1")
    assert 0.45 <= first <= 0.80


def test_every_district_has_a_school(small_export: GeneratedExport) -> None:
    with_school = small_export.ids(
        "select district_code from organizations "
        f"where status = 'active' and org_type in {sql_list(GENERAL_SCHOOL_TYPES)}"
    )
    assert with_school == talas_districts()


def test_every_sector_is_present(small_export: GeneratedExport) -> None:
    types = small_export.ids("select org_type from organizations where status = 'active'")
    assert {"preschool", "vocational_lyceum", "college", "university"} <= types
    assert types & set(GENERAL_SCHOOL_TYPES)


def test_every_kind_of_movement_happens(small_export: GeneratedExport) -> None:
    kinds = small_export.ids("select event_type from loaded_enrolments")
    expected = {
        "admission", "promotion", "repetition", "transfer_in", "transfer_out", "graduation",
        "dropout", "leave_start",
    }  # fmt: skip
    assert expected <= kinds


def test_pupils_graduate_after_grades_9_and_11(small_export: GeneratedExport) -> None:
    grades = small_export.ids(
        "select cast(grade as int) from loaded_enrolments "
        f"where event_type = 'graduation' and level in {sql_list(SCHOOL_LEVELS)}"
    )
    assert grades == {9, 11}


def test_population_covers_every_district_sex_and_age(small_export: GeneratedExport) -> None:
    population = small_export.sql("select year, district_code, sex, age from population")
    expected = pd.MultiIndex.from_product(
        [["2025", "2026"], sorted(talas_districts()), ["F", "M"], [str(a) for a in range(30)]]
    )
    assert sorted(population.itertuples(index=False, name=None)) == sorted(expected)


@pytest.mark.parametrize("year", [2025, 2026])
def test_population_is_at_least_the_pupils_enrolled(
    small_export: GeneratedExport, year: int
) -> None:
    """Ages 7-15 (age on 1 January of ``year``): no more pupils than children in a district."""
    pupils = small_export.sql("select district_code, sex, birth_date from current_pupils")
    pupils["age"] = age_on(pupils["birth_date"], pd.Timestamp(year, 1, 1).date())
    enrolled = pupils[pupils["age"].between(7, 15)].groupby(["district_code", "sex", "age"]).size()
    population = small_export.sql(
        "select district_code, sex, cast(age as int) as age, cast(population as int) as population "
        f"from population where year = '{year}'"
    ).set_index(["district_code", "sex", "age"])["population"]
    compared = pd.DataFrame({"pupils": enrolled, "population": population}).dropna()
    assert len(compared) == len(enrolled)
    short = compared[compared["pupils"] > compared["population"]]
    assert short.empty, f"more pupils than children:\n{short}"
