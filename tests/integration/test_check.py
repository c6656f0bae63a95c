"""`emis check` on generated exports, on DuckDB and PostgreSQL: every planted quality defect is
found by its rule (recall >= 95 %, precision >= 90 % per kind, scored against defects.csv),
quality.dq_issues holds record ids only, and a rerun replaces the load's issues."""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass

import pytest

from expectations.check import check
from expectations.rules import RULES, SUITES
from expectations.run import CheckRun
from expectations.score import KIND_RULES, score
from expectations.store import ISSUE_COLUMNS, read_chunks
from tests.integration.conftest import (
    ENGINES,
    GeneratedExport,
    Warehouse,
    make_settings,
    new_database,
)
from warehouse.dbt_runner import run_dbt

MIN_RECALL, MIN_PRECISION = 0.95, 0.90
ISSUES = "select register, record_id, rule from quality.dq_issues"
# Rules that no unplanted record of a generated export breaks: the export is clean outside
# its planted defects. (learner_without_class flags the planted second registrations, which
# are admitted without a class; the observation rules judge the marts, not the export.)
CLEAN_RULES = [
    rule_id
    for rule_id, rule in RULES.items()
    if rule.register != "observations"
    and rule_id not in {r for rules in KIND_RULES.values() for r in rules}
    and rule_id not in ("learner_without_class", "enrolment_change_outlier")
]


@dataclass(frozen=True)
class Checked:
    warehouse: Warehouse
    export: GeneratedExport
    run: CheckRun

    def issues(self) -> list[tuple[str, str, str]]:
        return self.warehouse.rows(f"{ISSUES} where load_id = {self.run.context.load_id}")


def build_and_check(request, tmp_path_factory, export: GeneratedExport, key_file) -> Checked:
    """Ingest ``export`` into a new warehouse of the requested engine, build it, check it."""
    root = tmp_path_factory.mktemp(f"check-{export.scale}-{request.param}")
    if request.param == "duckdb":
        location = str(root / "warehouse.duckdb")
    else:
        location = new_database(request, f"emis_test_check_{uuid.uuid4().hex[:8]}")
    warehouse = Warehouse(request.param, make_settings(root / "home", location, key_file))
    warehouse.ingest(export.path)
    result = run_dbt(warehouse.settings, "build")
    assert result.success, result.error or [n.name for n in result.nodes if n.status != "success"]
    return Checked(warehouse, export, check(warehouse.settings))


@pytest.fixture(scope="session", params=ENGINES)
def checked_tiny(request, tmp_path_factory, tiny_export, pseudonym_key_file) -> Checked:
    return build_and_check(request, tmp_path_factory, tiny_export, pseudonym_key_file)


@pytest.fixture(scope="session", params=ENGINES)
def checked_small(request, tmp_path_factory, small_export, pseudonym_key_file) -> Checked:
    return build_and_check(request, tmp_path_factory, small_export, pseudonym_key_file)


def assert_planted_defects_found(checked: Checked) -> None:
    planted = checked.export.db.execute("select file, record_id, defect_kind from defects")
    scores = score(planted.fetchall(), checked.issues())
    assert {s.kind for s in scores} == set(KIND_RULES)
    for s in scores:
        assert s.planted >= 1, s
        assert s.recall >= MIN_RECALL and s.precision >= MIN_PRECISION, s


def test_every_planted_quality_defect_is_found_on_tiny(checked_tiny):
    assert_planted_defects_found(checked_tiny)


@pytest.mark.slow
def test_every_planted_quality_defect_is_found_on_small(checked_small):
    assert_planted_defects_found(checked_small)


def test_clean_records_raise_no_issue(checked_tiny):
    counts = {o.rule.rule_id: o.issues for o in checked_tiny.run.outcomes}
    assert {rule_id: counts[rule_id] for rule_id in CLEAN_RULES} == dict.fromkeys(CLEAN_RULES, 0)
    # the second registrations are admitted without a class
    without_class = {
        record_id for _, record_id, rule in checked_tiny.issues() if rule == "learner_without_class"
    }
    assert without_class == checked_tiny.export.defects("duplicate_learner")


def test_every_rule_checks_records(checked_tiny):
    checked = {o.rule.rule_id: o.checked for o in checked_tiny.run.outcomes}
    assert set(checked) == set(RULES)
    assert all(count > 0 for count in checked.values()), checked


# The fact types Great Expectations tests in one vectorized step, per kind of expectation; any
# other it tests one value at a time in Python: a 32-bit count of missing fields cost a
# national check about 4 s, flags with NULLs read as Python objects 1.3 s.
VECTORIZED_TYPES = {
    "ExpectColumnValuesToBeBetween": {"int64", "float64"},
    "ExpectColumnValuesToBeInSet": {"boolean"},  # flags, NULL where their rule does not apply
}


def test_facts_have_types_great_expectations_tests_at_once(checked_tiny):
    for suite in SUITES:
        frame = next(
            read_chunks(checked_tiny.warehouse.settings, suite.facts(checked_tiny.run.context))
        )
        dtypes = {
            (expectation.kind, expectation.column): str(frame[expectation.column].dtype)
            for rule in suite.rules
            for expectation in rule.expectations
        }
        assert {kind for kind, _ in dtypes} <= set(VECTORIZED_TYPES), suite.name
        wrong = {
            key: dtype for key, dtype in dtypes.items() if dtype not in VECTORIZED_TYPES[key[0]]
        }
        assert not wrong, (suite.name, wrong)


def test_dq_issues_hold_record_ids_and_no_personal_data(checked_tiny):
    warehouse, export = checked_tiny.warehouse, checked_tiny.export
    columns = warehouse.rows(
        "select column_name from information_schema.columns "
        "where table_schema = 'quality' and table_name = 'dq_issues' order by ordinal_position"
    )
    assert [name for (name,) in columns] == ISSUE_COLUMNS
    rows = warehouse.rows(
        "select org_id, register, record_id, rule, severity from quality.dq_issues"
    )
    assert rows
    ids = {
        "students": export.ids("select student_id from students"),
        "enrolments": export.ids("select event_id from enrolments"),
        "attendance_marks": export.ids("select class_id from classes"),
        "organizations": export.ids("select org_id from organizations"),
    }
    orgs = ids["organizations"]
    for org_id, register, record_id, rule, severity in rows:
        assert RULES[rule].register == register and RULES[rule].severity == severity
        if register in ids:
            assert record_id in ids[register], (register, record_id)
            assert org_id in orgs
        else:
            assert register == "observations" and org_id is None
    personal = set()
    for table, columns in {
        "students": ("pin", "last_name", "first_name", "patronymic", "document_number",
                     "address", "phone", "birth_place"),
        "staff": ("pin", "last_name", "first_name", "patronymic", "address", "phone"),
    }.items():  # fmt: skip
        for column in columns:
            personal |= export.ids(f"select {column} from {table} where {column} is not null")
    values = {value for row in rows for value in row if value is not None}
    assert not values & personal
    assert not any(re.fullmatch(r"\d{13,14}", value) for value in values)  # no PIN-like text


def test_rerun_replaces_the_load_issues(checked_tiny, emis_cli):
    before = sorted(checked_tiny.issues())
    run = emis_cli(checked_tiny.warehouse, "check")
    assert run.code == 1  # the planted duplicates and impossible ages are blocking
    assert "blocking issues: " in run.out and "learner_enrolled_twice" in run.out
    assert sorted(checked_tiny.issues()) == before
    loads = checked_tiny.warehouse.rows("select distinct load_id from quality.dq_issues")
    assert loads == [(checked_tiny.run.context.load_id,)]


def test_score_prints_recall_and_precision(checked_tiny, emis_cli):
    defects = checked_tiny.export.path / "defects.csv"
    run = emis_cli(checked_tiny.warehouse, "check", "--score", str(defects))
    rule_table, score_table = run.out.split("\n\n")  # a blank line between the tables
    rules = {line.split()[0]: line.split() for line in rule_table.splitlines()}
    for rule_id, rule in RULES.items():
        assert rules[rule_id][1:3] == [rule.register, rule.severity]
    scores = {line.split()[0]: line.split() for line in score_table.splitlines()}
    for kind in KIND_RULES:
        assert scores[kind][4:6] == ["100.0%", "100.0%"], scores[kind]


def test_a_missing_defects_file_is_a_user_error(checked_tiny, emis_cli, tmp_path):
    run = emis_cli(checked_tiny.warehouse, "check", "--score", str(tmp_path / "none.csv"))
    assert run.code == 2
    assert run.err.startswith("emis check: error: ") and run.err.count("\n") == 1


def test_check_before_ingest_or_build_is_a_user_error(warehouse, tiny_export, emis_cli):
    run = emis_cli(warehouse, "check")
    assert run.code == 2 and "emis ingest" in run.err and run.err.count("\n") == 1
    warehouse.ingest(tiny_export.path)
    run = emis_cli(warehouse, "check")
    assert run.code == 2 and "emis build" in run.err and run.err.count("\n") == 1
