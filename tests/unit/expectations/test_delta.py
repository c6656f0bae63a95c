"""When a check may build on the earlier one (expectations/delta.py), and which rules it may
take over: anything in doubt makes the check full."""

from __future__ import annotations

import datetime as dt

import pytest

from expectations.delta import Delta, EarlierCheck, incremental_basis, rules_fingerprint
from expectations.facts import CheckContext
from expectations.rules import RECORD, SUITES, WHOLE

YEAR = "2025-2026"
TODAY = CheckContext(5, dt.date(2026, 1, 16), YEAR, "duckdb")
FINGERPRINT = rules_fingerprint()


def earlier(**changes) -> EarlierCheck:
    values = dict(
        load_id=4, rules_fingerprint=FINGERPRINT, snapshot_date=dt.date(2026, 1, 15),
        academic_year=YEAR, built_through_load_id=4, load_sequence=2,
    )  # fmt: skip
    return EarlierCheck(**(values | changes))


def test_a_check_after_one_of_the_load_before_takes_in_the_new_load():
    basis = incremental_basis(TODAY, earlier(), [5], 5, FINGERPRINT)
    assert basis == Delta(4, dt.date(2026, 1, 15), (5,))


def test_a_second_check_of_the_same_load_takes_in_nothing_new():
    again = earlier(load_id=5, snapshot_date=TODAY.snapshot_date, built_through_load_id=5)
    assert incremental_basis(TODAY, again, [], 5, FINGERPRINT) == Delta(5, TODAY.snapshot_date, ())


@pytest.mark.parametrize(
    ("earlier_check", "later", "built", "fingerprint", "reason"),
    [
        (None, [], 5, FINGERPRINT, "no earlier check"),
        (earlier(), [5], 5, "0" * 64, "rules or the fact queries changed"),
        (earlier(academic_year="2024-2025"), [5], 5, FINGERPRINT, "academic year"),
        (earlier(snapshot_date=dt.date(2026, 1, 20)), [5], 5, FINGERPRINT, "went back"),
        (earlier(built_through_load_id=3), [5], 5, FINGERPRINT, "not built through its load"),
        (earlier(), [5], 4, FINGERPRINT, "not built through load 5"),
        (earlier(), [5, 6], 5, FINGERPRINT, "not the last"),
    ],
)
def test_anything_in_doubt_makes_the_check_full(earlier_check, later, built, fingerprint, reason):
    basis = incremental_basis(TODAY, earlier_check, later, built, fingerprint)
    assert isinstance(basis, str) and reason in basis


def test_the_fingerprint_is_stable():
    assert rules_fingerprint() == FINGERPRINT and len(FINGERPRINT) == 64


def test_record_rules_are_only_in_suites_that_name_what_a_delta_touched():
    for suite in SUITES:
        if suite.touched is None:
            assert suite.scoped(RECORD) == (), suite.name


def test_rules_joining_other_records_or_the_snapshot_date_are_whole():
    whole = {rule.rule_id for suite in SUITES for rule in suite.scoped(WHOLE)}
    assert {
        "organization_stale", "enrolment_change_outlier",
        "class_size_out_of_bounds", "attendance_not_taken", "staff_required_fields",
        "teacher_fte_out_of_bounds", "assignment_at_closed_organization",
        "observation_negative_count", "observation_share_out_of_range",
    } == whole  # fmt: skip
