"""Scoring the checks against planted defects: recall and precision per kind."""

import pytest

from emis.errors import UserError
from expectations.rules import RULES
from expectations.score import KIND_RULES, format_scores, read_defects, score
from ingestion.synthetic.defects import DEFECT_KINDS

PLANTED = [
    ("students.csv", "STU1", "invalid_pin"),
    ("students.csv", "STU2", "invalid_pin"),
    ("students.csv", "STU3", "pin_sex_mismatch"),
    ("enrolments.csv", "EVT1", "late_record"),
    ("enrolments.csv", "EVT2", "bad_date"),  # an ingestion-stage kind: not scored here
]


def by_kind(scores):
    return {s.kind: s for s in scores}


def test_recall_and_precision_per_kind():
    issues = [
        ("students", "STU1", "pin_format_invalid"),
        ("students", "STU9", "pin_format_invalid"),  # not planted: lowers precision
        ("students", "STU3", "pin_sex_mismatch"),
        ("enrolments", "EVT1", "enrolment_recorded_late"),
    ]
    scores = by_kind(score(PLANTED, issues))
    assert set(scores) == set(KIND_RULES)
    assert (scores["invalid_pin"].recall, scores["invalid_pin"].precision) == (0.5, 0.5)
    assert (scores["pin_sex_mismatch"].recall, scores["pin_sex_mismatch"].precision) == (1, 1)
    assert (scores["late_record"].planted, scores["late_record"].found) == (1, 1)
    nothing = scores["stale_organization"]
    assert (nothing.planted, nothing.flagged, nothing.recall, nothing.precision) == (
        0, 0, None, None,
    )  # fmt: skip


def test_a_record_matches_only_in_its_own_register():
    issues = [("enrolments", "STU3", "pin_sex_mismatch")]  # same id, another register
    assert by_kind(score(PLANTED, issues))["pin_sex_mismatch"].found == 0


def test_only_the_mapped_rules_count_for_a_kind():
    issues = [("students", "STU1", "learner_without_class")]
    assert by_kind(score(PLANTED, issues))["invalid_pin"].flagged == 0


def test_every_quality_kind_the_generator_plants_has_rules_of_its_register():
    quality = {k.kind: k.file for k in DEFECT_KINDS if k.stage == "quality"}
    assert set(KIND_RULES) == set(quality)
    for kind, rules in KIND_RULES.items():
        assert rules and all(RULES[rule].register + ".csv" == quality[kind] for rule in rules)


def test_the_table_shows_percentages_and_dashes():
    lines = format_scores(score(PLANTED, [("students", "STU1", "pin_format_invalid")]))
    assert lines[0].split()[:3] == ["defect", "kind", "planted"]
    invalid = next(line for line in lines if line.startswith("invalid_pin"))
    assert invalid.split()[1:6] == ["2", "1", "1", "50.0%", "100.0%"]
    stale = next(line for line in lines if line.startswith("stale_organization"))
    assert stale.split()[4:6] == ["-", "-"]


def test_defects_files_are_read_or_refused(tmp_path):
    good = tmp_path / "defects.csv"
    good.write_text("file,record_id,defect_kind\nstudents.csv,STU1,invalid_pin\n")
    assert read_defects(good) == [("students.csv", "STU1", "invalid_pin")]
    bad = tmp_path / "other.csv"
    bad.write_text("a,b\n1,2\n")
    with pytest.raises(UserError, match="not a defects file"):
        read_defects(bad)
    with pytest.raises(UserError, match="No such file"):
        read_defects(tmp_path / "missing.csv")
