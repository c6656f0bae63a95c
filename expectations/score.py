"""Scoring the checks against a synthetic export's planted defects (``defects.csv``).

Each quality-stage defect kind the generator plants (``ingestion/synthetic/defects.py``) is
found by the rules mapped to it below. For a kind: recall = planted records flagged / planted
records; precision = planted records flagged / records those rules flagged.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from emis.errors import UserError

# defect kind -> rules that must find it
KIND_RULES: dict[str, tuple[str, ...]] = {
    "invalid_pin": ("pin_format_invalid",),
    "pin_sex_mismatch": ("pin_sex_mismatch",),
    "pin_birth_date_mismatch": ("pin_birth_date_mismatch",),
    "duplicate_learner": ("learner_enrolled_twice",),
    "age_grade_mismatch": ("age_implausible_for_grade",),
    "late_record": ("enrolment_recorded_late",),
    "unmarked_attendance": ("attendance_not_taken",),
    "stale_organization": ("organization_stale",),
}
DEFECT_COLUMNS = ("file", "record_id", "defect_kind")


@dataclass(frozen=True)
class KindScore:
    kind: str
    rules: tuple[str, ...]
    planted: int
    flagged: int
    found: int  # planted and flagged

    @property
    def recall(self) -> float | None:
        return self.found / self.planted if self.planted else None

    @property
    def precision(self) -> float | None:
        return self.found / self.flagged if self.flagged else None


def score(
    planted: Iterable[tuple[str, str, str]],
    issues: Iterable[tuple[str, str, str]],
    kind_rules: dict[str, tuple[str, ...]] = KIND_RULES,
) -> list[KindScore]:
    """Recall and precision per defect kind of ``kind_rules``.

    ``planted``: (file, record_id, defect_kind) rows of defects.csv; ``issues``: (register,
    record_id, rule). A record is matched by register and id (``students.csv`` = ``students``).
    """
    planted_by_kind: dict[str, set[tuple[str, str]]] = {kind: set() for kind in kind_rules}
    for file, record_id, kind in planted:
        if kind in planted_by_kind:
            planted_by_kind[kind].add((Path(file).stem, record_id))
    flagged_by_rule: dict[str, set[tuple[str, str]]] = {}
    for register, record_id, rule in issues:
        flagged_by_rule.setdefault(rule, set()).add((register, record_id))
    scores = []
    for kind, rules in kind_rules.items():
        flagged = set().union(*(flagged_by_rule.get(rule, set()) for rule in rules))
        found = planted_by_kind[kind] & flagged
        scores.append(KindScore(kind, rules, len(planted_by_kind[kind]), len(flagged), len(found)))
    return scores


def read_defects(path: Path) -> list[tuple[str, str, str]]:
    """(file, record_id, defect_kind) rows of a generator's defects.csv."""
    try:
        with path.open(encoding="utf-8", newline="") as handle:
            reader = csv.DictReader(handle)
            if reader.fieldnames is None or not set(DEFECT_COLUMNS) <= set(reader.fieldnames):
                raise UserError(f"{path}: not a defects file (columns {', '.join(DEFECT_COLUMNS)})")
            return [tuple(row[column] for column in DEFECT_COLUMNS) for row in reader]
    except OSError as error:
        raise UserError(f"{path}: {error.strerror}") from None


def format_scores(scores: list[KindScore]) -> list[str]:
    """The score table as lines of text."""
    lines = [
        f"{'defect kind':<26} {'planted':>8} {'flagged':>8} {'found':>6} {'recall':>7} "
        f"{'precision':>9}  rules"
    ]
    for s in scores:
        lines.append(
            f"{s.kind:<26} {s.planted:>8,} {s.flagged:>8,} {s.found:>6,} {_pct(s.recall):>7} "
            f"{_pct(s.precision):>9}  {', '.join(s.rules)}"
        )
    return lines


def _pct(share: float | None) -> str:
    return "-" if share is None else f"{100 * share:.1f}%"
