"""Learners, their classes and their movement over two academic years.

The census-day picture (who is in which grade where on 15 September of the current year) is
drawn first; the history that produced it is then written as movement events: admissions at
the start of the register's history, promotions, ~1 % repetition, transfers, dropouts,
graduations after grades 9 and 11, academic leave in higher education. Learners who left
before the census (graduates, dropouts, emigrants) are in the register too.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np
import pandas as pd

from emis.reference import academic_year_label
from ingestion.synthetic.draw import choice, days, seconds_after

# Share of a school's pupils in each grade 1-11: younger cohorts are larger, and many leave
# after grade 9 for vocational lyceums, colleges or work.
GRADE_WEIGHT = {
    "school": [1.06, 1.05, 1.04, 1.03, 1.02, 1.01, 1.00, 0.99, 0.98, 0.62, 0.60],
    "preschool": [0.05, 0.12, 0.18, 0.20, 0.22, 0.23],
    "vocational_lyceum": [0.55, 0.45],
    "college": [0.30, 0.27, 0.23, 0.20],
    "university": [0.30, 0.26, 0.22, 0.19, 0.03],
}
CLASS_CAP = {"school": (25, 34), "preschool": (22, 30)}  # (rural, urban); others: 25
FEMALE_SHARE = {  # calibration.md: 752,521 girls of 1,531,633 pupils; NSC vocational, higher
    "school": 752_521 / 1_531_633,
    "preschool": 0.485,
    "vocational_lyceum": 9_197 / 28_352,
    "college": 0.55,
    "university": 126_150 / 231_200,
}
LETTERS = np.array(list("АБВГДЕЖЗИКЛМНОПРСТУФХ"), dtype=object)
DISABILITY_KINDS = {
    "intellectual": 0.30, "musculoskeletal": 0.18, "speech": 0.15, "hearing": 0.10,
    "vision": 0.08, "autism": 0.07, "multiple": 0.07, "other": 0.05,
}  # fmt: skip
FOREIGN = {"UZB": 0.3, "TJK": 0.2, "KAZ": 0.2, "RUS": 0.2, "TUR": 0.1}
FOREIGN_UNIVERSITY = {"IND": 0.45, "PAK": 0.25, "UZB": 0.1, "KAZ": 0.1, "TJK": 0.1}
DROPOUT_REASONS = {"work": 0.25, "family": 0.30, "health": 0.15, "unknown": 0.20, "expelled": 0.1}
HIGHER_SECTORS = ("vocational_lyceum", "college", "university")
# Order of events falling on one day for one learner.
EVENT_ORDER = (
    "admission", "transfer_in", "promotion", "repetition", "leave_start", "leave_end",
    "transfer_out", "dropout", "graduation",
)  # fmt: skip


@dataclass(frozen=True)
class Calendar:
    """The dates the history turns on, for the export's academic year."""

    year: int  # first calendar year of the current academic year
    snapshot: dt.date

    @property
    def current(self) -> str:
        return academic_year_label(self.year)

    @property
    def previous(self) -> str:
        return academic_year_label(self.year - 1)

    @property
    def start(self) -> np.datetime64:
        return np.datetime64(f"{self.year}-09-01")

    @property
    def previous_start(self) -> np.datetime64:
        return np.datetime64(f"{self.year - 1}-09-01")

    @property
    def school_year_end(self) -> np.datetime64:
        return np.datetime64(f"{self.year}-06-10")


@dataclass
class Learners:
    students: pd.DataFrame  # one row per person in the learner register
    events: pd.DataFrame  # one row per movement event
    classes: pd.DataFrame  # one row per class / group per academic year
    members: pd.DataFrame  # current class of each learner, from which date


def make_learners(rng: np.random.Generator, orgs: pd.DataFrame, cal: Calendar) -> Learners:
    active = orgs[orgs["status"] == "active"]
    current = _census(rng, active, cal)
    current = _previous_placement(rng, current, active, cal)
    leavers = _leavers(rng, current, cal)
    people = pd.concat([current, leavers], ignore_index=True)
    people = _reuse_school_leavers(rng, people)
    people["student_no"] = _person_numbers(people)
    classes_now, class_now = _form_classes(people, orgs, cal.current, "org_no", "grade")
    classes_before, class_before = _form_classes(
        people, orgs, cal.previous, "prev_org_no", "prev_grade"
    )
    # Class numbers: last year's classes first, then this year's.
    people["prev_class_no"] = class_before + 1
    people["class_no"] = class_now + len(classes_before) + 1
    classes = pd.concat([classes_before, classes_now], ignore_index=True)
    classes["class_no"] = np.arange(1, len(classes) + 1)
    events = _events(rng, people, cal)
    students = _students(rng, people, cal)
    classes = _describe_classes(rng, classes, orgs, people, cal)
    enrolled = people[people["class_no"].notna() & people["is_current"]]
    members = pd.DataFrame(
        {
            "student_no": enrolled["student_no"].to_numpy(),
            "class_no": enrolled["class_no"].to_numpy().astype("int64"),
            "enrolled_from": enrolled["entered_on"].to_numpy().astype("datetime64[D]"),
        }
    )
    return Learners(students, events, classes, members)


def _census(rng, orgs: pd.DataFrame, cal: Calendar) -> pd.DataFrame:
    """Learners on census day: organization, grade (or course / age group), sex, birth date."""
    parts = []
    for (sector, low, high), group in orgs.groupby(["sector", "min_grade", "max_grade"]):
        weights = np.array(GRADE_WEIGHT[sector][low - 1 : high])
        counts = rng.multinomial(group["learners"].to_numpy(), weights / weights.sum())
        per_org = counts.reshape(len(group), -1)
        org_no = np.repeat(group["org_no"].to_numpy(), per_org.sum(axis=1))
        grade = np.concatenate([np.repeat(np.arange(low, high + 1), row) for row in per_org])
        parts.append(pd.DataFrame({"org_no": org_no, "grade": grade, "sector": sector}))
    people = pd.concat(parts, ignore_index=True)
    people = people.merge(
        orgs[["org_no", "org_type", "district_code", "oblast_code", "locality", "min_grade"]],
        on="org_no",
        how="left",
    )
    # Few distinct values, millions of rows: categories keep a national run within memory.
    for column in ("sector", "org_type", "district_code", "oblast_code", "locality"):
        people[column] = people[column].astype("category")
    n = len(people)
    people["level"] = _levels(rng, people)
    female = rng.random(n) < people["sector"].map(FEMALE_SHARE).to_numpy()
    people["sex"] = np.where(female, "F", "M")
    people["birth_date"] = _birth_dates(rng, people, cal.year)
    people["is_current"] = True
    return people


def _levels(rng, people: pd.DataFrame) -> np.ndarray:
    grade = people["grade"].to_numpy()
    sector = people["sector"].to_numpy()
    school_level = np.select([grade <= 4, grade <= 9], ["primary", "basic"], "secondary")
    university_level = choice(
        rng, {"bachelor": 0.82, "specialist": 0.10, "master": 0.08}, len(grade)
    )
    university_level[grade == 5] = "specialist"
    level = np.select(
        [sector == "school", sector == "preschool", sector == "vocational_lyceum",
         sector == "college"],
        [school_level, "preschool", "vocational", "college"],
        university_level,
    )  # fmt: skip
    # A master's programme lasts two years: its courses are 1-2.
    long_master = (level == "master") & (grade > 2)
    people.loc[long_master, "grade"] = rng.integers(1, 3, int(long_master.sum()))
    return level


def _birth_dates(rng, people: pd.DataFrame, year: int) -> np.ndarray:
    """Birth year from the grade (first graders turn 7 in the calendar year the year starts)."""
    grade = people["grade"].to_numpy()
    base = np.select(
        [
            people["sector"].eq("school"),
            people["sector"].eq("preschool"),
            people["level"].eq("master"),
            people["level"].isin(["bachelor", "specialist"]),
        ],
        [year - 6 - grade, year - grade, year - 21 - grade, year - 17 - grade],
        year - 15 - grade,  # vocational lyceums and colleges admit after grade 9
    )
    shift = rng.choice([-1, 0, 1], size=len(grade), p=[0.08, 0.89, 0.03])
    wider = ~people["sector"].isin(["school", "preschool"]).to_numpy()
    shift[wider] += rng.choice([0, 1, 2], size=int(wider.sum()), p=[0.6, 0.3, 0.1])
    birth_year = base - shift
    day_of_year = rng.integers(0, 365, len(grade))
    return (birth_year - 1970).astype("datetime64[Y]").astype("datetime64[D]") + day_of_year


def _previous_placement(rng, people: pd.DataFrame, orgs, cal: Calendar) -> pd.DataFrame:
    """Where each census-day learner was a year before, and how they came to be here."""
    n = len(people)
    grade = people["grade"].to_numpy()
    sector = people["sector"].to_numpy()
    entry = grade == people["min_grade"].to_numpy()
    entry |= sector == "preschool"
    entry &= ~((sector == "preschool") & (grade > 1) & (rng.random(n) < 0.7))
    repeats = (sector == "school") & ~entry & (rng.random(n) < 0.01)
    people["prev_grade"] = np.where(entry, np.nan, np.where(repeats, grade, grade - 1))
    people["prev_org_no"] = np.where(entry, np.nan, people["org_no"])
    people["arrival"] = np.where(entry, "admission", np.where(repeats, "repetition", "promotion"))
    # Transfers between schools of the same district, in the last year or this autumn.
    movable = (sector == "school") & ~entry & (rng.random(n) < 0.015)
    other = _other_org_in_district(rng, people.loc[movable], orgs)
    moved = movable.copy()
    moved[movable] = other > 0
    people["transfer_from"] = np.nan
    people.loc[moved, "transfer_from"] = other[other > 0]
    this_year = rng.random(n) < 0.4
    window_before = days(rng, cal.previous_start + 30, cal.school_year_end - 25, n)
    window_now = days(rng, cal.start + 20, np.datetime64(cal.snapshot) - 20, n)
    people["transfer_date"] = np.where(moved, np.where(this_year, window_now, window_before),
                                       np.datetime64("NaT"))  # fmt: skip
    # Transferred this autumn: last year and this September at the old school.
    autumn = moved & this_year
    people.loc[autumn, "prev_org_no"] = people.loc[autumn, "transfer_from"]
    transfer_date = people["transfer_date"].to_numpy().astype("datetime64[D]")
    people["entered_on"] = np.where(moved & this_year, transfer_date + 3, cal.start)
    late_admission = (sector == "preschool") & entry & (rng.random(n) < 0.08)
    people.loc[late_admission, "entered_on"] = days(
        rng, cal.start + 14, np.datetime64(cal.snapshot) - 7, int(late_admission.sum())
    )
    return people


def _other_org_in_district(rng, movers: pd.DataFrame, orgs: pd.DataFrame) -> np.ndarray:
    schools = orgs[(orgs["sector"] == "school") & (orgs["max_grade"] == 11)]
    by_district = schools.groupby("district_code")["org_no"].apply(np.asarray)
    result = np.zeros(len(movers), dtype="int64")
    for i, (district, own) in enumerate(
        zip(movers["district_code"], movers["org_no"], strict=True)
    ):
        candidates = by_district.get(district)
        if candidates is not None and len(candidates) > 1:
            pick = candidates[rng.integers(len(candidates))]
            result[i] = pick if pick != own else 0
    return result


def _leavers(rng, current: pd.DataFrame, cal: Calendar) -> pd.DataFrame:
    """Learners of last year who are gone by census day: graduates, dropouts, emigrants."""
    parts = []
    school = current[current["sector"] == "school"]
    # Graduates after grade 11, and after grade 9 those who did not go on to grade 10.
    finals = school[school["grade"] == 11]
    parts.append(_leaving(finals, 11, "graduation", cal.school_year_end))
    nines = school[school["grade"] == 9].sample(frac=0.45, random_state=rng.integers(2**31))
    parts.append(_leaving(nines, 9, "graduation", cal.school_year_end))
    for sector, final in (("vocational_lyceum", 2), ("college", 4), ("university", 4)):
        last = current[(current["sector"] == sector) & (current["grade"] == final)]
        parts.append(_leaving(last, final, "graduation", cal.school_year_end + 20))
    preschool = current[(current["sector"] == "preschool") & (current["grade"] == 6)]
    parts.append(_leaving(preschool, 6, "graduation", cal.school_year_end - 12))
    # Dropouts (form 77 counts ~2,300 children aged 7-17 a year) and emigration.
    for sector, rate, exit_type in (
        ("school", 0.0015, "dropout"),
        ("school", 0.003, "transfer_out"),
        ("vocational_lyceum", 0.04, "dropout"),
        ("college", 0.03, "dropout"),
        ("university", 0.03, "dropout"),
    ):
        pool = current[(current["sector"] == sector) & (current["grade"] > current["min_grade"])]
        gone = pool.sample(frac=rate, random_state=rng.integers(2**31))
        when = days(rng, cal.previous_start + 30, np.datetime64(cal.snapshot) - 10, len(gone))
        parts.append(_leaving(gone, None, exit_type, when))
    leavers = pd.concat(parts, ignore_index=True)
    leavers["is_current"] = False
    leavers["org_no"] = np.nan  # in no organization on census day
    leavers["entered_on"] = np.datetime64("NaT")
    leavers["transfer_from"] = np.nan
    leavers["transfer_date"] = np.datetime64("NaT", "D")
    leavers["sex"] = np.where(
        rng.random(len(leavers)) < leavers["sector"].map(FEMALE_SHARE).to_numpy(), "F", "M"
    )
    # A year older than their peers (numpy: pandas may hold seconds, so the unit is explicit).
    leavers["birth_date"] = leavers["birth_date"].to_numpy() - np.timedelta64(365, "D")
    return leavers


def _leaving(template: pd.DataFrame, grade, exit_type: str, when) -> pd.DataFrame:
    """People like ``template`` who were in ``grade`` last year and left by ``exit_type``."""
    leavers = template.copy()
    leavers["prev_grade"] = leavers["grade"] - 1 if grade is None else grade
    leavers["prev_org_no"] = leavers["org_no"]
    leavers["arrival"] = None
    leavers["exit_type"] = exit_type
    leavers["exit_date"] = np.broadcast_to(np.asarray(when, dtype="datetime64[D]"), len(leavers))
    leavers["grade"] = np.nan
    return leavers


def _reuse_school_leavers(rng, people: pd.DataFrame) -> pd.DataFrame:
    """Kindergarten leavers become this year's first graders; school leavers, first-year students.

    The same person then carries one id through both organizations, as in the real register.
    """
    people = people.copy()
    people["same_as"] = np.nan
    pairs = (
        (people["sector"].eq("preschool") & people["prev_grade"].eq(6) & ~people["is_current"],
         people["sector"].eq("school") & people["grade"].eq(1) & people["is_current"]),
        (people["sector"].eq("school") & people["exit_type"].eq("graduation"),
         people["sector"].isin(HIGHER_SECTORS) & people["grade"].eq(1) & people["is_current"]),
    )  # fmt: skip
    for leaver_mask, newcomer_mask in pairs:
        leavers = np.flatnonzero(leaver_mask.to_numpy())
        newcomers = np.flatnonzero(newcomer_mask.to_numpy())
        k = min(len(leavers), len(newcomers))
        leavers = rng.permutation(leavers)[:k]
        newcomers = rng.permutation(newcomers)[:k]
        # The newcomer is that leaver: same person, so same sex and birth date.
        people.loc[people.index[newcomers], "same_as"] = people.index[leavers]
        for column in ("sex", "birth_date"):
            people.iloc[newcomers, people.columns.get_loc(column)] = people.iloc[
                leavers, people.columns.get_loc(column)
            ].to_numpy()
    return people


def _person_numbers(people: pd.DataFrame) -> np.ndarray:
    """One number per person; a newcomer who is a former leaver shares the leaver's number."""
    own = np.arange(1, len(people) + 1)
    same_as = people["same_as"].to_numpy()
    linked = ~np.isnan(same_as)
    own[linked] = own[same_as[linked].astype("int64")]
    # Renumber densely in order of first appearance so ids have no gaps.
    _, first, inverse = np.unique(own, return_index=True, return_inverse=True)
    rank = np.empty(len(first), dtype="int64")
    rank[np.argsort(first, kind="stable")] = np.arange(1, len(first) + 1)
    return rank[inverse]


def _form_classes(people, orgs, year: str, org_column: str, grade_column: str):
    """Split each organization's grade into classes of at most the cap; (classes, class index)."""
    placed = people[people[org_column].notna()]
    keys = (
        pd.DataFrame(
            {
                "org_no": placed[org_column].astype("int64").to_numpy(),
                "grade": placed[grade_column].astype("int64").to_numpy(),
            },
            index=placed.index,
        )
        .merge(orgs[["org_no", "sector", "locality"]], on="org_no", how="left")
        .set_index(placed.index)
    )
    keys = keys.sort_values(["org_no", "grade"], kind="stable")
    size = keys.groupby(["org_no", "grade"])["sector"].transform("size").to_numpy()
    urban = keys["locality"].eq("urban").to_numpy()
    caps = np.full(len(keys), 25)
    for sector, (rural_cap, urban_cap) in CLASS_CAP.items():
        in_sector = keys["sector"].eq(sector).to_numpy()
        caps[in_sector] = np.where(urban[in_sector], urban_cap, rural_cap)
    n_classes = np.ceil(size / caps).astype("int64")
    position = keys.groupby(["org_no", "grade"]).cumcount().to_numpy()
    letter = position % n_classes  # deal learners round the classes: near-equal sizes
    keys["letter_no"] = letter
    classes = (
        keys.drop_duplicates(["org_no", "grade", "letter_no"])[
            ["org_no", "grade", "letter_no", "sector"]
        ]
        .sort_values(["org_no", "grade", "letter_no"])
        .reset_index(drop=True)
    )
    classes["academic_year"] = year
    classes["class_index"] = np.arange(len(classes))
    index = keys.merge(classes, on=["org_no", "grade", "letter_no"], how="left")["class_index"]
    result = pd.Series(np.nan, index=people.index)
    result.loc[keys.index] = index.to_numpy()
    return classes, result.to_numpy()


def _events(rng, people: pd.DataFrame, cal: Calendar) -> pd.DataFrame:
    """The movement events that lead to each person's state on the snapshot date."""
    frames = []
    person = np.arange(len(people))  # row position: attributes are looked up by it later

    def add(mask, event_type, date, org, grade, year, class_no=np.nan, reason=None):
        """Append one event for each person selected by ``mask``."""
        mask = np.asarray(mask, dtype=bool)
        if mask.any():
            frames.append(
                pd.DataFrame(
                    {
                        "person": person[mask],
                        "event_type": event_type,
                        "event_date": _pick(np.asarray(date, "datetime64[D]"), mask),
                        "org_no": _pick(np.asarray(org, dtype="float64"), mask),
                        "grade": _pick(np.asarray(grade, dtype="float64"), mask),
                        "academic_year": year,
                        "class_no": _pick(np.asarray(class_no, dtype="float64"), mask),
                        "reason": _pick(np.asarray(reason, dtype=object), mask),
                    }
                )
            )

    had_prev = people["prev_org_no"].notna().to_numpy()
    transfer = people["transfer_from"].notna().to_numpy()
    tdate = pd.to_datetime(people["transfer_date"]).to_numpy().astype("datetime64[D]")
    autumn = transfer & (tdate >= cal.start)
    spring = transfer & ~autumn
    prev_org = people["prev_org_no"].to_numpy()
    org = people["org_no"].to_numpy()
    grade = people["grade"].to_numpy()
    prev_grade = people["prev_grade"].to_numpy()
    # Last year: on the register from the start of its history (or from the old school).
    first_org = np.where(spring, people["transfer_from"], prev_org)
    add(had_prev, "admission", cal.previous_start, first_org, prev_grade, cal.previous,
        np.where(spring, np.nan, people["prev_class_no"]))  # fmt: skip
    add(spring, "transfer_out", tdate, people["transfer_from"], prev_grade, cal.previous,
        reason="moved_in_country")  # fmt: skip
    add(spring, "transfer_in", tdate + 3, prev_org, prev_grade, cal.previous,
        people["prev_class_no"])  # fmt: skip
    # This year: promotion or repetition where they were, admission of newcomers.
    arrival = people["arrival"].to_numpy()
    current = people["is_current"].to_numpy()
    stay_class = np.where(autumn, np.nan, people["class_no"])
    for kind in ("promotion", "repetition"):
        add(current & (arrival == kind), kind, cal.start, prev_org, grade, cal.current, stay_class)
    newcomer = current & (arrival == "admission")
    add(newcomer, "admission", people["entered_on"], org, grade, cal.current, people["class_no"])
    add(autumn, "transfer_out", tdate, prev_org, grade, cal.current, reason="moved_in_country")
    add(autumn, "transfer_in", tdate + 3, org, grade, cal.current, people["class_no"])
    # Leavers: graduation at the end of last year, dropouts and emigration when they happened.
    exit_type = people.get("exit_type", pd.Series(None, index=people.index)).to_numpy()
    exit_date = people.get("exit_date", pd.Series(pd.NaT, index=people.index)).to_numpy()
    exit_year = np.where(exit_date >= cal.start, cal.current, cal.previous)
    leavers = ~current
    reasons = choice(rng, DROPOUT_REASONS, len(people))
    abroad = np.full(len(people), "moved_abroad", dtype=object)
    for kind, reason in (("graduation", None), ("dropout", reasons), ("transfer_out", abroad)):
        mask = leavers & (exit_type == kind)
        for year in (cal.previous, cal.current):
            in_year = mask & (exit_year == year)
            # Who stayed into this year was promoted first, then left.
            if year == cal.current:
                add(in_year, "promotion", cal.start, prev_org, prev_grade + 1, cal.current)
            add(in_year, kind, exit_date, prev_org, np.where(exit_year == cal.current,
                prev_grade + 1, prev_grade), year, reason=reason)  # fmt: skip
    # Academic leave in higher education: ~1 % of students this year, some back already.
    on_leave = current & (people["level"].isin(["bachelor", "specialist", "master"]).to_numpy())
    on_leave &= rng.random(len(people)) < 0.01
    leave_start = days(rng, cal.start + 30, np.datetime64(cal.snapshot) - 40, len(people))
    add(on_leave, "leave_start", leave_start, org, grade, cal.current, people["class_no"],
        reason="health")  # fmt: skip
    back = on_leave & (rng.random(len(people)) < 0.4)
    add(back, "leave_end", leave_start + 30, org, grade, cal.current, people["class_no"])
    events = pd.concat(frames, ignore_index=True)
    row = events.pop("person").to_numpy()
    events["student_no"] = people["student_no"].to_numpy()[row]
    events["sector"] = people["sector"].to_numpy()[row]
    events["level"] = _event_levels(events, people["level"].to_numpy()[row])
    events["event_type"] = pd.Categorical(events["event_type"], categories=EVENT_ORDER)
    # Chronological, and within a day in the order events happen to a learner.
    order = np.lexsort(
        (events["event_type"].cat.codes.to_numpy(), events["student_no"].to_numpy(),
         events["event_date"].to_numpy())
    )  # fmt: skip
    events = events.take(order).reset_index(drop=True)
    events["event_type"] = events["event_type"].astype(str)
    events["event_no"] = np.arange(1, len(events) + 1)
    lag = np.minimum(rng.geometric(0.55, len(events)) - 1, 6)
    events["recorded_at"] = seconds_after(rng, events["event_date"].to_numpy(), lag)
    events["study_form"] = _study_forms(rng, events)
    events["grade"] = events["grade"].astype("Int64")
    events["class_no"] = events["class_no"].astype("Int64")
    events["org_no"] = events["org_no"].astype("int64")
    return events.drop(columns="sector")


def _pick(values: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """``values`` (one per person, or one for all) for the persons in ``mask``."""
    return np.broadcast_to(values, mask.shape)[mask]


def _event_levels(events: pd.DataFrame, person_level: np.ndarray) -> np.ndarray:
    """A school event's level follows its grade; other sectors keep the learner's level."""
    grade = events["grade"].to_numpy()
    school = np.select([grade <= 4, grade <= 9], ["primary", "basic"], "secondary")
    return np.where(events["sector"].to_numpy() == "school", school, person_level)


def _study_forms(rng, events: pd.DataFrame) -> np.ndarray:
    n = len(events)
    draw = rng.random(n)
    higher = events["sector"].isin(["college", "university"]).to_numpy()
    form = np.where(higher & (draw < 0.08), "correspondence", "full_time").astype(object)
    form[higher & (draw >= 0.08) & (draw < 0.10)] = "distance"
    form[events["sector"].eq("preschool").to_numpy()] = None
    return form


def _students(rng, people: pd.DataFrame, cal: Calendar) -> pd.DataFrame:
    """One row per person (a reused leaver appears once), with register attributes."""
    persons = people.drop_duplicates("student_no").sort_values("student_no")
    n = len(persons)
    university = persons["sector"].eq("university").to_numpy()
    foreign = rng.random(n) < np.where(university, 0.08, 0.006)
    citizenship = np.full(n, "KGZ", dtype=object)
    citizenship[foreign & ~university] = choice(rng, FOREIGN, int((foreign & ~university).sum()))
    citizenship[foreign & university] = choice(
        rng, FOREIGN_UNIVERSITY, int((foreign & university).sum())
    )
    special = persons["org_type"].isin(["special_boarding", "auxiliary", "sanatorium"]).to_numpy()
    disabled = rng.random(n) < np.where(special, 0.9, 0.012)
    disability = np.full(n, "none", dtype=object)
    disability[disabled] = choice(rng, DISABILITY_KINDS, int(disabled.sum()))
    benefit = choice(rng, {"none": 0.87, "low_income": 0.10, "orphan": 0.005,
                           "no_parental_care": 0.01, None: 0.015}, n)  # fmt: skip
    benefit[disabled & (rng.random(n) < 0.7)] = "disability_allowance"
    updated = seconds_after(rng, days(rng, cal.start - 300, np.datetime64(cal.snapshot), n),
                            np.zeros(n))  # fmt: skip
    return pd.DataFrame(
        {
            "student_no": persons["student_no"].to_numpy(),
            "birth_date": persons["birth_date"].to_numpy().astype("datetime64[D]"),
            "sex": persons["sex"].to_numpy(),
            "citizenship": citizenship,
            "oblast_code": persons["oblast_code"].to_numpy(),
            "disability": disability,
            "benefit": benefit,
            "updated_at": updated,
        }
    )


def _describe_classes(rng, classes, orgs, people, cal: Calendar) -> pd.DataFrame:
    classes = classes.merge(
        orgs[["org_no", "org_type", "languages", "shifts"]], on="org_no", how="left"
    )
    grade = classes["grade"].to_numpy()
    sector = classes["sector"].to_numpy()
    school = np.select([grade <= 4, grade <= 9], ["primary", "basic"], "secondary")
    level_by_sector = {"preschool": "preschool", "vocational_lyceum": "vocational",
                       "college": "college", "university": "bachelor"}  # fmt: skip
    classes["level"] = np.where(sector == "school", school, pd.Series(sector).map(level_by_sector))
    classes["letter"] = LETTERS[classes["letter_no"].to_numpy() % len(LETTERS)]
    langs = classes["languages"].str.split(";")
    classes["language"] = [
        ls[k % len(ls)] for ls, k in zip(langs, classes["letter_no"], strict=True)
    ]
    # Two-shift schools teach grades 2-4 and 6-8 in the afternoon; three-shift ones 6-7 later.
    shifts = classes["shifts"].to_numpy()
    second = np.isin(grade, [2, 3, 4, 6, 7, 8])
    classes["shift"] = np.where(shifts >= 2, np.where(second, 2, 1), 1)
    classes.loc[(shifts == 3) & np.isin(grade, [6, 7]), "shift"] = 3
    draw = rng.random(len(classes))
    class_type = np.full(len(classes), "regular", dtype=object)
    class_type[(sector == "school") & (draw < 0.05)] = "inclusive"
    gifted_school = classes["org_type"].isin(["gymnasium", "lyceum"]).to_numpy()
    class_type[gifted_school & (classes["letter_no"].to_numpy() == 0) & (grade >= 5)] = "gifted"
    class_type[classes["org_type"].isin(["special_boarding", "auxiliary"]).to_numpy()] = (
        "correctional"
    )
    class_type[(sector == "school") & (draw > 0.9935) & (grade <= 9)] = "correctional"
    class_type[sector != "school"] = None
    classes["class_type"] = class_type
    classes["updated_at"] = seconds_after(
        rng, days(rng, np.datetime64(cal.start) - 10, np.datetime64(cal.start) + 20, len(classes)),
        np.zeros(len(classes)),
    )  # fmt: skip
    return classes[
        ["class_no", "org_no", "academic_year", "level", "grade", "letter", "shift", "language",
         "class_type", "updated_at"]
    ]  # fmt: skip
