"""The quality rules, authored in code as Great Expectations suites: one suite per fact query.

A rule has a stable id (district reports and ``quality.dq_issues`` name it), the register whose
record ids it reports (a contract table, or ``observations`` for the open mart) and a severity:

- ``blocking``: the record makes a published figure wrong (a learner counted twice, an age
  impossible for the grade, a field the figures need missing, staff counted at a closed
  organization, an impossible published value); no release while one stands;
- ``warning``: validity or timeliness to fix (PINs, late entries, stale records, attendance
  gaps, implausible sizes and loads, outliers); recorded, not blocking.

Each rule is one or more expectations on its suite's fact frame (``facts.py``); every failing
row is an issue of the rule, keyed by the frame's ``record_id``. Bounds and their reasons:
``docs/quality.md``.

A rule's scope says what a daily check may skip (``delta.py``): a ``record`` rule judges a fact
row whose every input (its ``org_id`` too) changes only when a load delivers something its
suite's ``touched`` query names, so it is validated again on those rows only and its other
issues are carried forward; a ``whole`` rule (the default: when in doubt) is validated on every
row, since its facts join other records or move with the snapshot date.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal

from expectations import delta, facts

Severity = Literal["blocking", "warning"]
BLOCKING: Severity = "blocking"
WARNING: Severity = "warning"
Scope = Literal["record", "whole"]
RECORD: Scope = "record"
WHOLE: Scope = "whole"

MAX_RECORDING_LAG_DAYS = 7  # entered within a week of the event
MAX_DAYS_WITHOUT_UPDATE = 365  # an active organization's record is reviewed at least yearly
MAX_UNMARKED_SCHOOL_DAYS = 2  # public holidays inside a term are not in the calendar seed
CLASS_SIZE = (1, 40)  # an empty class is a left-over; over 40 merges classes or misplaces pupils
TEACHER_FTE = (0.25, 2.0)  # a quarter rate at least; over two rates is not a workable load
OUTLIER_Z = 3.0  # DHIS2's default z-score threshold


@dataclass(frozen=True)
class Expect:
    """A Great Expectations column expectation, by its class name, made when its suite runs:
    the rules are known before Great Expectations is imported (about 3 s), so that a check
    reads its first facts meanwhile."""

    kind: str  # a class of great_expectations.expectations
    column: str
    options: tuple[tuple[str, Any], ...] = ()  # a list as a tuple, so the rule stays hashable

    def made(self, **extra):
        import great_expectations.expectations as gxe

        options = {name: list(v) if isinstance(v, tuple) else v for name, v in self.options}
        return getattr(gxe, self.kind)(column=self.column, **options, **extra)


@dataclass(frozen=True)
class Rule:
    rule_id: str
    register: str
    severity: Severity
    description: str
    expectations: tuple[Expect, ...]
    scope: Scope = WHOLE

    @property
    def columns(self) -> tuple[str, ...]:
        """The fact columns the rule reads."""
        return tuple(dict.fromkeys(expectation.column for expectation in self.expectations))


@dataclass(frozen=True)
class Suite:
    """A fact query and the rules that judge its rows."""

    name: str
    facts: Callable[[facts.CheckContext], str]
    rules: tuple[Rule, ...]
    # SQL of the record ids whose fact rows a delta may have changed for the record rules;
    # None: every rule of the suite is whole.
    touched: Callable[[facts.CheckContext, delta.Delta], str] | None = None
    # The fact query over given records only (SQL of their ids), where filtering its result
    # would still compute every row.
    facts_of: Callable[[facts.CheckContext, str], str] | None = None

    def scoped(self, scope: Scope) -> tuple[Rule, ...]:
        return tuple(rule for rule in self.rules if rule.scope == scope)


def _in_set(column: str, values: list) -> Expect:
    return Expect("ExpectColumnValuesToBeInSet", column, (("value_set", tuple(values)),))


def _between(column: str, low: float | None = None, high: float | None = None) -> Expect:
    return Expect(
        "ExpectColumnValuesToBeBetween", column, (("min_value", low), ("max_value", high))
    )


def _required(register: str, scope: Scope = RECORD) -> Rule:
    """Required fields: the record's own columns (conditions on its own status, type, level),
    so record-local wherever the fact row's ``org_id`` is the record's own too."""
    return Rule(
        f"{_singular(register)}_required_fields",
        register,
        BLOCKING,
        "a field the contract or the figures require is empty",
        (_between("missing_required_fields", 0, 0),),
        scope,
    )


def _singular(register: str) -> str:
    return {
        "organizations": "organization", "students": "student", "enrolments": "enrolment",
        "staff": "staff", "staff_assignments": "assignment", "classes": "class",
    }[register]  # fmt: skip


SUITES = (
    Suite("students", facts.students_sql, (
        _required("students"),
        Rule("pin_format_invalid", "students", WARNING,
             "the PIN is not 14 digits",
             (_in_set("pin_format_ok", [True]),), RECORD),
        Rule("pin_sex_mismatch", "students", WARNING,
             "the PIN's first digit disagrees with sex",
             (_in_set("pin_sex_ok", [True]),), RECORD),
        Rule("pin_birth_date_mismatch", "students", WARNING,
             "the PIN's date part disagrees with the birth date",
             (_in_set("pin_birth_date_ok", [True]),), RECORD),
        Rule("learner_enrolled_twice", "students", BLOCKING,
             "another record with the same PIN, entered in the EMIS earlier, is enrolled on "
             "the snapshot date too",
             (_between("registration_order", 1, 1),), RECORD),
        Rule("age_implausible_for_grade", "students", BLOCKING,
             f"age more than {facts.AGE_BELOW_OFFICIAL} years below or "
             f"{facts.AGE_ABOVE_OFFICIAL} above the official age of the grade",
             (_between("age_gap", -facts.AGE_BELOW_OFFICIAL, facts.AGE_ABOVE_OFFICIAL),),
             RECORD),
        Rule("learner_without_class", "students", WARNING,
             "a pupil enrolled at a school level on the snapshot date has no class",
             (_in_set("has_class", [True]),), RECORD),
    ), delta.students_touched, facts.students_sql),
    Suite("enrolments", facts.enrolments_sql, (
        _required("enrolments"),
        Rule("enrolment_recorded_late", "enrolments", WARNING,
             f"entered more than {MAX_RECORDING_LAG_DAYS} days after the event",
             (_between("recording_lag_days", None, MAX_RECORDING_LAG_DAYS),), RECORD),
    ), delta.delivered("enrolments")),
    Suite("organizations", facts.organizations_sql, (
        _required("organizations"),
        Rule("organization_stale", "organizations", WARNING,
             f"an active organization's record unchanged for over {MAX_DAYS_WITHOUT_UPDATE} "
             "days before the snapshot",
             (_between("days_since_update", None, MAX_DAYS_WITHOUT_UPDATE),)),
        Rule("enrolment_change_outlier", "organizations", WARNING,
             f"year-on-year change in census-day enrolment over {OUTLIER_Z:g} standard "
             "deviations from organizations of its type",
             (_between("enrolment_change_z", -OUTLIER_Z, OUTLIER_Z),)),
    ), delta.delivered("organizations")),
    Suite("classes", facts.classes_sql, (
        _required("classes"),
        Rule("class_size_out_of_bounds", "classes", WARNING,
             f"a school class with fewer than {CLASS_SIZE[0]} or more than {CLASS_SIZE[1]} "
             "pupils on the snapshot date",
             (_between("pupils", *CLASS_SIZE),)),
        Rule("attendance_not_taken", "attendance_marks", WARNING,
             f"a school class with more than {MAX_UNMARKED_SCHOOL_DAYS} teaching days on which "
             "attendance was not taken",
             (_between("unmarked_school_days", None, MAX_UNMARKED_SCHOOL_DAYS),)),
    ), delta.delivered("classes")),
    Suite("staff", facts.staff_sql, (
        _required("staff", WHOLE),  # org_id: the current main job's, moving with the snapshot
        Rule("teacher_fte_out_of_bounds", "staff", WARNING,
             f"current teaching posts add up to under {TEACHER_FTE[0]:g} or over "
             f"{TEACHER_FTE[1]:g} FTE",
             (_between("teaching_fte", *TEACHER_FTE),)),
    )),
    Suite("staff_assignments", facts.staff_assignments_sql, (
        _required("staff_assignments"),
        Rule("assignment_at_closed_organization", "staff_assignments", BLOCKING,
             "the assignment runs past its organization's closing date",
             (_between("days_after_closing", None, 0),)),
    ), delta.delivered("staff_assignments")),
    Suite("observations", facts.observations_sql, (
        Rule("observation_negative_count", "observations", BLOCKING,
             "a negative numerator, denominator or count",
             (_between("numerator", 0), _between("denominator", 0), _between("count_value", 0))),
        Rule("observation_share_out_of_range", "observations", BLOCKING,
             "a share outside [0, 100]",
             (_between("share_value", 0, 100),)),
    )),
)  # fmt: skip

RULES = {rule.rule_id: rule for suite in SUITES for rule in suite.rules}
