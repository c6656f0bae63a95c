"""Planted defects and their ground truth, so quality checks can be scored.

Two kinds of defect, by where the platform must catch them:
- ``ingestion``: the row breaks the contract (impossible date, unknown code, dangling
  reference, missing required value); ingestion quarantines exactly these rows. They are
  planted only in rows nothing else refers to, so no other row is dragged into quarantine.
- ``quality``: the row is valid but wrong (bad PIN, duplicate learner, impossible age, late
  entry, unmarked attendance, stale organization); the quality checks must flag it.

Each kind has a rate (share of eligible records) and at least one planted record at any
scale. ``defects.csv`` lists file, record id and kind of every planted record.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np
import pandas as pd

from emis.reference import school_days


@dataclass(frozen=True)
class DefectKind:
    kind: str
    file: str
    stage: str  # "ingestion" (quarantine) or "quality" (flagged by checks)
    rate: float
    description: str


DEFECT_KINDS = (
    DefectKind("bad_date", "enrolments.csv", "ingestion", 0.0002,
               "event_date is not a calendar date (e.g. 2025-02-30)"),
    DefectKind("unknown_code", "enrolments.csv", "ingestion", 0.0002,
               "study_form holds a code the contract does not know"),
    DefectKind("dangling_reference", "enrolments.csv", "ingestion", 0.0001,
               "student_id refers to no learner in students.csv"),
    DefectKind("missing_required", "enrolments.csv", "ingestion", 0.0002,
               "academic_year is empty"),
    DefectKind("dangling_reference", "staff_assignments.csv", "ingestion", 0.0005,
               "org_id refers to no organization in organizations.csv"),
    DefectKind("invalid_pin", "students.csv", "quality", 0.001,
               "PIN is not 14 digits or its date part is not a date"),
    DefectKind("pin_sex_mismatch", "students.csv", "quality", 0.001,
               "PIN's first digit disagrees with sex"),
    DefectKind("pin_birth_date_mismatch", "students.csv", "quality", 0.001,
               "PIN's date part disagrees with birth_date"),
    DefectKind("duplicate_learner", "students.csv", "quality", 0.0005,
               "a learner registered a second time (same PIN and name) and admitted to a "
               "second school while still enrolled in the first"),
    DefectKind("age_grade_mismatch", "students.csv", "quality", 0.0005,
               "birth date makes the pupil's age impossible for the grade (PIN agrees)"),
    DefectKind("late_record", "enrolments.csv", "quality", 0.01,
               "event recorded 15-60 days after it happened"),
    DefectKind("unmarked_attendance", "attendance_marks.csv", "quality", 0.02,
               "a class with 5-15 school days on which attendance was not taken"),
    DefectKind("stale_organization", "organizations.csv", "quality", 0.02,
               "organization not updated for more than a year"),
)  # fmt: skip


def planted_count(rate: float, eligible: int) -> int:
    return min(eligible, max(1, round(rate * eligible)))


def _kind(kind: str, file: str) -> DefectKind:
    return next(k for k in DEFECT_KINDS if k.kind == kind and k.file == file)


def plant_defects(rng: np.random.Generator, reg, snapshot: dt.date, ids) -> pd.DataFrame:
    """Plant every defect kind into the registers ``reg`` in place; return the ground truth.

    ``ids`` formats internal numbers as record ids (``ids("student", numbers)``).
    """
    truth: list[pd.DataFrame] = []

    def record(kind: str, file: str, numbers, entity: str) -> None:
        truth.append(pd.DataFrame({"file": file, "record_id": ids(entity, np.asarray(numbers)),
                                   "defect_kind": kind}))  # fmt: skip

    record("duplicate_learner", "students.csv", _duplicate_learners(rng, reg, snapshot), "student")
    original_events = np.flatnonzero(~reg.events["planted"].to_numpy())
    pool = rng.permutation(original_events)
    used = np.zeros(len(reg.events), dtype=bool)

    def next_events(kind: str, eligible=None) -> np.ndarray:
        """Events not yet given a defect (each record carries one), in random order."""
        candidates = pool[~used[pool]]
        if eligible is not None:
            candidates = candidates[eligible[candidates]]
        chosen = candidates[: planted_count(_kind(kind, "enrolments.csv").rate, len(pool))]
        used[chosen] = True
        return chosen

    events = reg.events
    for column in ("event_date", "academic_year", "study_form"):
        events[column] = _as_text(events[column])
    late_ok = (events["event_date"] < str(np.datetime64(snapshot) - 61)).to_numpy()
    chosen = next_events("bad_date")
    events.loc[chosen, "event_date"] = [f"{d[:4]}-02-30" for d in events.loc[chosen, "event_date"]]
    record("bad_date", "enrolments.csv", events.loc[chosen, "event_no"], "event")
    chosen = next_events("unknown_code")
    events.loc[chosen, "study_form"] = "part_time"
    record("unknown_code", "enrolments.csv", events.loc[chosen, "event_no"], "event")
    chosen = next_events("dangling_reference")
    events.loc[chosen, "student_no"] = 90_000_000 + np.arange(len(chosen))
    record("dangling_reference", "enrolments.csv", events.loc[chosen, "event_no"], "event")
    chosen = next_events("missing_required")
    events.loc[chosen, "academic_year"] = None
    record("missing_required", "enrolments.csv", events.loc[chosen, "event_no"], "event")
    chosen = next_events("late_record", late_ok)
    lag = rng.integers(15, 61, len(chosen)).astype("timedelta64[D]")
    events.loc[chosen, "recorded_at"] = (
        pd.to_datetime(events.loc[chosen, "event_date"]).to_numpy() + lag
        + rng.integers(7200, 36000, len(chosen)).astype("timedelta64[s]")
    )  # fmt: skip
    record("late_record", "enrolments.csv", events.loc[chosen, "event_no"], "event")

    assignments = reg.assignments
    n = planted_count(_kind("dangling_reference", "staff_assignments.csv").rate, len(assignments))
    chosen = rng.choice(len(assignments), n, replace=False)
    assignments.loc[assignments.index[chosen], "org_no"] = 900_000 + np.arange(n)
    record("dangling_reference", "staff_assignments.csv",
           assignments["assignment_no"].to_numpy()[chosen], "assignment")  # fmt: skip

    for kind, numbers in _pin_and_age_defects(rng, reg, snapshot).items():
        record(kind, "students.csv", numbers, "student")
    unmarked, classes = _unmarked_days(rng, reg, snapshot)
    record("unmarked_attendance", "attendance_marks.csv", classes, "class")
    record("stale_organization", "organizations.csv", _stale_orgs(rng, reg, snapshot), "org")
    reg.unmarked = unmarked
    return pd.concat(truth, ignore_index=True)


def _as_text(column: pd.Series) -> pd.Series:
    """A column as contract text, so a planted value can be any string."""
    if pd.api.types.is_datetime64_any_dtype(column):
        values = column.to_numpy().astype("datetime64[D]")
        text = np.datetime_as_string(values, unit="D").astype(object)
        text[np.isnat(values)] = None
        return pd.Series(text, index=column.index, dtype=object)
    return column.astype(object)


def _duplicate_learners(rng, reg, snapshot: dt.date) -> np.ndarray:
    """Register some current pupils a second time and admit them to another school."""
    members = reg.members.merge(reg.classes[["class_no", "org_no", "grade", "level",
                                             "academic_year"]], on="class_no")  # fmt: skip
    # Only learners with a PIN: the warehouse sees a person twice only through the PIN's pseudonym.
    with_pin = reg.students.loc[reg.students["pin"].notna(), "student_no"]
    pupils = members[
        members["level"].isin(["primary", "basic", "secondary"])
        & members["student_no"].isin(with_pin)
    ]
    n = planted_count(_kind("duplicate_learner", "students.csv").rate, len(pupils))
    victims = pupils.iloc[rng.choice(len(pupils), n, replace=False)]
    schools = reg.orgs[(reg.orgs["sector"] == "school") & (reg.orgs["status"] == "active")]
    other = rng.choice(schools["org_no"].to_numpy(), n)
    other = np.where(other == victims["org_no"].to_numpy(), schools["org_no"].iat[0], other)
    next_no = int(reg.students["student_no"].max()) + 1
    new_numbers = np.arange(next_no, next_no + n)
    copies = reg.students.set_index("student_no").loc[victims["student_no"]].reset_index()
    copies["student_no"] = new_numbers
    copies["updated_at"] = copies["updated_at"] + pd.Timedelta(days=1)
    reg.students = pd.concat([reg.students, copies], ignore_index=True)
    when = np.datetime64(snapshot) - rng.integers(20, 90, n).astype("timedelta64[D]")
    admissions = pd.DataFrame(
        {
            "student_no": new_numbers,
            "org_no": other,
            "event_type": "admission",
            "event_date": when,
            "academic_year": victims["academic_year"].to_numpy(),
            "level": victims["level"].to_numpy(),
            "grade": victims["grade"].to_numpy(),
            "recorded_at": when.astype("datetime64[s]") + np.timedelta64(30000, "s"),
            "study_form": "full_time",
            "planted": True,
        }
    )
    events = pd.concat([reg.events.assign(planted=False), admissions], ignore_index=True)
    events["event_no"] = events["event_no"].fillna(0).astype("int64")
    new = events["event_no"] == 0
    events.loc[new, "event_no"] = events["event_no"].max() + np.arange(1, int(new.sum()) + 1)
    events["grade"] = events["grade"].astype("Int64")
    events["class_no"] = events["class_no"].astype("Int64")
    reg.events = events
    return new_numbers


def _pin_and_age_defects(rng, reg, snapshot: dt.date) -> dict[str, np.ndarray]:
    students = reg.students
    # Only people who were not copied as duplicates, so each record has one defect.
    copied = students.duplicated("pin", keep=False) & students["pin"].notna()
    with_pin = np.flatnonzero(students["pin"].notna().to_numpy() & ~copied.to_numpy())
    order = rng.permutation(with_pin)
    kinds = ("invalid_pin", "pin_sex_mismatch", "pin_birth_date_mismatch")
    counts = [planted_count(_kind(k, "students.csv").rate, len(with_pin)) for k in kinds]
    planted: dict[str, np.ndarray] = {}
    start = 0
    pin = students["pin"].to_numpy(dtype=object).copy()
    taken = {p for p in pin if isinstance(p, str)}
    breakers = {
        "invalid_pin": lambda p, i: p[:13] if i % 2 else p[:9] + "O" + p[10:],
        "pin_sex_mismatch": lambda p, i: ("2" if p[0] == "1" else "1") + p[1:],
        "pin_birth_date_mismatch": lambda p, i: p[:1] + f"{(int(p[1:3]) % 28) + 1:02d}" + p[3:],
    }
    for kind, n in zip(kinds, counts, strict=True):
        rows = order[start : start + n]
        start += n
        for i, row in enumerate(rows):
            pin[row] = _unused_pin(pin[row], breakers[kind](pin[row], i), taken)
        planted[kind] = students["student_no"].to_numpy()[rows]
    # Impossible ages for the grade: a pupil of grade 5+ born four years ago, PIN in agreement.
    school_members = reg.members.merge(reg.classes[["class_no", "grade", "level"]], on="class_no")
    pupils = school_members[school_members["grade"].ge(5) & school_members["level"].isin(
        ["basic", "secondary"])]["student_no"].to_numpy()  # fmt: skip
    eligible = np.setdiff1d(pupils, students["student_no"].to_numpy()[order[:start]])
    eligible = np.setdiff1d(eligible, students.loc[copied, "student_no"].to_numpy())
    n = planted_count(_kind("age_grade_mismatch", "students.csv").rate, len(pupils))
    chosen = rng.choice(eligible, n, replace=False)
    rows = np.flatnonzero(np.isin(students["student_no"].to_numpy(), chosen))
    young = np.datetime64(snapshot) - 4 * 365
    birth = students["birth_date"].to_numpy().copy()
    birth[rows] = young - rng.integers(0, 300, len(rows))
    students["birth_date"] = birth
    for row in rows:
        if isinstance(pin[row], str):
            day = pd.Timestamp(birth[row])
            pin[row] = _unused_pin(
                pin[row], pin[row][0] + day.strftime("%d%m%Y") + pin[row][9:], taken
            )
    students["pin"] = pin
    planted["age_grade_mismatch"] = students["student_no"].to_numpy()[rows]
    return planted


def _unused_pin(old: str, new: str, taken: set[str]) -> str:
    """``new``, its sequence digits moved on if another person holds it: a changed PIN must
    not make two people share one (that is a different defect, planted on purpose)."""
    step = 0
    candidate = new
    while candidate in taken and candidate != old:
        step += 1
        candidate = new[:-5] + f"{(int(new[-5:]) + step) % 100_000:05d}"
    taken.discard(old)
    taken.add(candidate)
    return candidate


def _unmarked_days(rng, reg, snapshot: dt.date):
    current = reg.classes[
        reg.classes["academic_year"].eq(reg.current_year)
        & reg.classes["level"].isin(["primary", "basic", "secondary"])
    ]
    n = planted_count(_kind("unmarked_attendance", "attendance_marks.csv").rate, len(current))
    chosen = current["class_no"].to_numpy()[rng.choice(len(current), n, replace=False)]
    teaching_days = school_days(reg.current_year, until=snapshot)
    rows = []
    for class_no in chosen:
        gap = rng.choice(teaching_days, rng.integers(5, 16), replace=False)
        rows.append(pd.DataFrame({"class_no": class_no, "day": np.sort(gap)}))
    return pd.concat(rows, ignore_index=True), chosen


def _stale_orgs(rng, reg, snapshot: dt.date) -> np.ndarray:
    active = reg.orgs.index[reg.orgs["status"].eq("active")].to_numpy()
    n = planted_count(_kind("stale_organization", "organizations.csv").rate, len(active))
    rows = rng.choice(active, n, replace=False)
    stale = np.datetime64(snapshot) - rng.integers(400, 700, n).astype("timedelta64[D]")
    reg.orgs.loc[rows, "updated_at"] = stale.astype("datetime64[s]") + np.timedelta64(30000, "s")
    return reg.orgs.loc[rows, "org_no"].to_numpy()
