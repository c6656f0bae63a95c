"""Quality-stage defects are planted where defects.csv says, and nowhere else.

For each kind, the records that break its rule (computed here from the export's files, as a
quality check would) must be exactly the records defects.csv lists for it. Rows ingestion
quarantines (ingestion-stage defects) are left out, as the quality checks never see them.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

import numpy as np
import pytest

from emis.reference import school_days
from ingestion.contract import SCHOOL_LEVELS
from ingestion.synthetic.defects import DEFECT_KINDS
from ingestion.synthetic.persons import pin_parts_valid
from tests.integration.conftest import ACADEMIC_YEAR, GeneratedExport, age_on, differences, sql_list

LATE_AFTER_DAYS = 7
STALE_AFTER_DAYS = 365
AGE_REFERENCE = dt.date(2026, 1, 1)  # age on 1 January of the academic year
YOUNGEST_FOR_GRADE, OLDEST_FOR_GRADE = 3, 12  # age - grade outside [3, 12] is impossible


def pin_checks(export: GeneratedExport) -> dict[str, set[str]]:
    """Students failing each PIN check; a missing PIN (foreigner, not issued) is no defect."""
    students = export.sql(
        "select student_id, pin, sex, birth_date from students where pin is not null"
    )
    format_ok, sex_ok, date_ok = pin_parts_valid(
        students["pin"], students["sex"], students["birth_date"].to_numpy(dtype="datetime64[D]")
    )
    ids = students["student_id"].to_numpy()
    return {
        "invalid_pin": set(ids[~format_ok]),
        "pin_sex_mismatch": set(ids[format_ok & ~sex_ok]),
        "pin_birth_date_mismatch": set(ids[format_ok & ~date_ok]),
    }


def duplicate_learners(export: GeneratedExport) -> set[str]:
    """Of learners sharing a PIN, every one but the first registered (lowest student_id)."""
    return export.ids("""
        select student_id from students
        where pin is not null
        qualify row_number() over (partition by pin order by student_id) > 1
    """)


def late_records(export: GeneratedExport) -> set[str]:
    return export.ids(f"""
        select event_id from loaded_enrolments
        where cast(recorded_at as timestamp)
            > cast(event_date as date) + interval {LATE_AFTER_DAYS} day
    """)


def stale_organizations(export: GeneratedExport) -> set[str]:
    since = export.snapshot_date - dt.timedelta(days=STALE_AFTER_DAYS)
    return export.ids(f"""
        select org_id from organizations
        where cast(left(updated_at, 19) as timestamp) < date '{since}'
    """)


def unmarked_attendance(export: GeneratedExport) -> set[str]:
    """Current school classes with fewer attendance marks than school days so far."""
    teaching_days = len(school_days(ACADEMIC_YEAR, until=export.snapshot_date))
    return export.ids(f"""
        select classes.class_id
        from classes
        left join attendance_marks on attendance_marks.class_id = classes.class_id
        where classes.academic_year = '{ACADEMIC_YEAR}'
            and classes.level in {sql_list(SCHOOL_LEVELS)}
        group by classes.class_id
        having count(attendance_marks.date) < {teaching_days}
    """)


def age_grade_mismatches(export: GeneratedExport) -> set[str]:
    """Current pupils too young or too old for the grade of their class."""
    pupils = export.sql(
        "select student_id, birth_date, class_grade from current_pupils "
        "where class_grade is not null"
    )
    over_grade = age_on(pupils["birth_date"], AGE_REFERENCE) - pupils["class_grade"].to_numpy()
    impossible = (over_grade < YOUNGEST_FOR_GRADE) | (over_grade > OLDEST_FOR_GRADE)
    return set(pupils["student_id"].to_numpy()[impossible])


def pin_check(kind: str) -> Callable[[GeneratedExport], set[str]]:
    return lambda export: pin_checks(export)[kind]


VIOLATIONS: dict[str, Callable[[GeneratedExport], set[str]]] = {
    "invalid_pin": pin_check("invalid_pin"),
    "pin_sex_mismatch": pin_check("pin_sex_mismatch"),
    "pin_birth_date_mismatch": pin_check("pin_birth_date_mismatch"),
    "duplicate_learner": duplicate_learners,
    "late_record": late_records,
    "stale_organization": stale_organizations,
    "unmarked_attendance": unmarked_attendance,
    "age_grade_mismatch": age_grade_mismatches,
}
QUALITY_KINDS = [kind for kind in DEFECT_KINDS if kind.stage == "quality"]


def test_every_quality_defect_kind_has_a_check() -> None:
    assert {kind.kind for kind in QUALITY_KINDS} == set(VIOLATIONS)


@pytest.mark.parametrize("kind", DEFECT_KINDS, ids=lambda kind: f"{kind.file}:{kind.kind}")
def test_every_defect_kind_is_planted(export: GeneratedExport, kind) -> None:
    assert export.defects(kind.kind, kind.file), f"no {kind.kind} in {kind.file}"


def test_each_record_carries_at_most_one_defect(export: GeneratedExport) -> None:
    repeated = export.sql(
        "select file, record_id, list(defect_kind) as kinds from defects "
        "group by file, record_id having count(*) > 1"
    )
    assert repeated.empty, repeated.head(10)


@pytest.mark.parametrize("kind", QUALITY_KINDS, ids=lambda kind: kind.kind)
def test_quality_defects_are_exactly_the_records_breaking_their_rule(
    export: GeneratedExport, kind
) -> None:
    found = VIOLATIONS[kind.kind](export)
    planted = export.defects(kind.kind, kind.file)
    assert found == planted, differences(found, planted)


def test_duplicate_learners_have_a_pin(export: GeneratedExport) -> None:
    """A duplicate is found by its PIN: names and documents do not reach the warehouse, only
    the PIN's pseudonym, so a duplicate of a learner without a PIN could never be found."""
    without_pin = export.ids(
        "select student_id from students where pin is null and student_id in "
        "(select record_id from defects where defect_kind = 'duplicate_learner')"
    )
    assert not without_pin, f"duplicate learners without a PIN: {sorted(without_pin)}"


def test_age_check_uses_the_age_on_1_january() -> None:
    born = ["2015-01-01", "2015-01-02", "2014-12-31"]
    assert age_on(np.array(born), AGE_REFERENCE).tolist() == [11, 10, 11]
