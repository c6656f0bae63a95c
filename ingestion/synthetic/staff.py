"""The staff register and staff assignments, sized by pupil-teacher ratios.

calibration.md: ~94,000 school teachers, 16 pupils per teacher (20 urban, 15 rural), 87 %
women, 87 % with higher education; 22 children per kindergarten teacher.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd

from ingestion.synthetic.draw import choice, days, seconds_after

LEARNERS_PER_TEACHER = {  # (rural, urban)
    "school": (14.3, 19.2),  # measured on census day: 14.7 and 19.7 (published: 15 and 20)
    "preschool": (22.0, 22.0),
    "vocational_lyceum": (10.0, 10.0),
    "college": (14.0, 14.0),
    "university": (17.0, 17.0),
}
TEACHING_POSITION = {
    "school": "teacher",
    "preschool": "educator",
    "vocational_lyceum": "vocational_master",
    "college": "lecturer",
    "university": "lecturer",
}
CATEGORY = {
    "director": "administrative", "deputy_director": "administrative", "teacher": "teaching",
    "educator": "teaching", "lecturer": "teaching", "vocational_master": "teaching",
    "psychologist": "teaching_support", "social_pedagogue": "teaching_support",
    "librarian": "teaching_support", "support": "teaching_support", "service": "service",
}  # fmt: skip
SPECIALTY = {
    "teacher": ("учитель математики", "учитель кыргызского языка", "учитель русского языка",
                "учитель начальных классов", "учитель истории", "учитель английского языка",
                "учитель физики", "учитель биологии", "учитель химии", "учитель физкультуры"),
    "educator": ("воспитатель",),
    "lecturer": ("преподаватель",),
    "vocational_master": ("мастер производственного обучения",),
}  # fmt: skip
FEMALE = {"teaching": 0.87, "administrative": 0.62, "teaching_support": 0.85, "service": 0.6}
TEACHER_RATES = {1.0: 0.35, 1.25: 0.2, 1.5: 0.3, 0.5: 0.1, 0.75: 0.05}


def make_staff(rng: np.random.Generator, orgs: pd.DataFrame, snapshot: dt.date):
    """(staff persons, assignments) for every active organization."""
    active = orgs[orgs["status"] == "active"]
    positions = _positions(rng, active)
    n = len(positions)
    category = positions["position"].map(CATEGORY).to_numpy()
    female = rng.random(n) < pd.Series(category).map(FEMALE).to_numpy()
    female[positions["position"].eq("educator").to_numpy()] = (
        rng.random(int(positions["position"].eq("educator").sum())) < 0.99
    )
    age = np.clip(rng.normal(44, 11, n), 21, 70).astype("int64")
    today = np.datetime64(snapshot)
    birth = today - (age * 365.25).astype("int64") - rng.integers(0, 365, n)
    staff = pd.DataFrame(
        {
            "staff_no": np.arange(1, n + 1),
            "birth_date": birth.astype("datetime64[D]"),
            "sex": np.where(female, "F", "M"),
            "oblast_code": positions["oblast_code"].to_numpy(),
        }
    )
    teaching = category == "teaching"
    staff["education_level"] = np.where(
        teaching | (category == "administrative"),
        choice(rng, {"higher": 0.87, "incomplete_higher": 0.03, "secondary_vocational": 0.09,
                     "general_secondary": 0.01}, n),
        choice(rng, {"higher": 0.1, "secondary_vocational": 0.35, "general_secondary": 0.55}, n),
    )  # fmt: skip
    staff["has_pedagogical_training"] = np.where(
        teaching | (category == "administrative"), rng.random(n) < 0.9, rng.random(n) < 0.1
    )
    specialty = np.full(n, None, dtype=object)
    for position, names in SPECIALTY.items():
        mask = positions["position"].eq(position).to_numpy()
        specialty[mask] = np.asarray(names, dtype=object)[rng.integers(0, len(names), mask.sum())]
    staff["specialty"] = specialty
    staff["qualification_category"] = np.where(
        teaching,
        choice(rng, {"highest": 0.1, "first": 0.25, "second": 0.25, "none": 0.4}, n),
        None,
    )
    lecturer = (
        positions["position"].eq("lecturer").to_numpy()
        & positions["sector"].eq("university").to_numpy()
    )
    staff["academic_degree"] = np.where(
        lecturer, choice(rng, {"none": 0.6, "candidate": 0.3, "doctor": 0.07, "phd": 0.03}, n),
        "none",
    )  # fmt: skip
    staff["academic_title"] = np.where(
        lecturer, choice(rng, {"none": 0.75, "docent": 0.2, "professor": 0.05}, n), "none"
    )
    staff["awards"] = rng.poisson(0.3, n)
    trained = teaching & (rng.random(n) < 0.9)
    staff["last_training_date"] = np.where(
        trained, days(rng, today - 5 * 365, today, n), np.datetime64("NaT")
    )
    experience = np.maximum(age - 22 - rng.integers(0, 6, n), 0)
    staff["teaching_experience_years"] = pd.Series(experience, dtype="Int64").where(teaching)
    staff["updated_at"] = seconds_after(rng, days(rng, today - 400, today, n), np.zeros(n))
    assignments = _assignments(rng, positions, staff, orgs, today)
    return staff, assignments


def _positions(rng, orgs: pd.DataFrame) -> pd.DataFrame:
    """One row per person employed, with the organization of their main job."""
    learners = orgs["learners"].to_numpy()
    urban = orgs["locality"].eq("urban").to_numpy()
    ratio = np.array(
        [LEARNERS_PER_TEACHER[s][int(u)] for s, u in zip(orgs["sector"], urban, strict=True)]
    )
    teachers = np.maximum(np.round(learners / ratio * rng.uniform(0.85, 1.15, len(orgs))), 2)
    school = orgs["sector"].eq("school").to_numpy()
    higher = orgs["sector"].isin(["college", "university"]).to_numpy()
    counts = {
        "teaching": teachers.astype("int64"),
        "director": np.ones(len(orgs), dtype="int64"),
        "deputy_director": np.where(school | higher, np.minimum(1 + learners // 400, 4), 0),
        "psychologist": (school & (learners > 300)).astype("int64"),
        "social_pedagogue": (school & (learners > 500)).astype("int64"),
        "librarian": (school | higher).astype("int64"),
        "support": (learners // 300).astype("int64"),
        "service": (2 + learners // np.where(orgs["sector"].eq("preschool"), 12, 150)).astype(
            "int64"
        ),
    }
    frames = []
    for position, count in counts.items():
        index = np.repeat(np.arange(len(orgs)), count)
        part = orgs.iloc[index][["org_no", "sector", "district_code", "oblast_code"]].copy()
        part["position"] = (
            part["sector"].map(TEACHING_POSITION) if position == "teaching" else position
        )
        frames.append(part)
    return (
        pd.concat(frames, ignore_index=True)
        .sort_values("org_no", kind="stable")
        .reset_index(drop=True)
    )


def _assignments(rng, positions, staff, orgs, today) -> pd.DataFrame:
    n = len(positions)
    position = positions["position"].to_numpy()
    teaching = pd.Series(position).map(CATEGORY).eq("teaching").to_numpy()
    rate = np.where(teaching, choice(rng, {str(k): v for k, v in TEACHER_RATES.items()}, n), "1.0")
    born = staff["birth_date"].to_numpy().astype("datetime64[D]")
    earliest = np.maximum(born + 21 * 365, np.datetime64("1985-01-01"))
    span = np.maximum((today - 30 - earliest).astype("int64"), 1)
    start = earliest + (rng.random(n) * span).astype("int64")
    main = pd.DataFrame(
        {
            "staff_no": staff["staff_no"].to_numpy(),
            "org_no": positions["org_no"].to_numpy(),
            "position": position,
            "rate": rate.astype("float64"),
            "start_date": start.astype("datetime64[D]"),
            "end_date": np.datetime64("NaT", "D"),
            "is_primary_job": True,
        }
    )
    # 5 % of teachers hold a second job at another school of their district (part rate).
    second = main[teaching & (rng.random(n) < 0.05)].copy()
    schools = orgs[(orgs["status"] == "active")]
    by_district = schools.groupby("district_code")["org_no"].apply(np.asarray)
    district = positions.loc[second.index, "district_code"].to_numpy()
    second["org_no"] = [(c := by_district[d])[rng.integers(len(c))] for d in district]
    second = second[second["org_no"] != main.loc[second.index, "org_no"]]
    second["rate"] = rng.choice([0.25, 0.5], len(second))
    second["is_primary_job"] = False
    second["start_date"] = days(rng, today - 3 * 365, today - 30, len(second))
    # 4 % left an earlier post at another organization (the history keeps it, closed), one
    # still operating: a post cannot outlive its organization's closure.
    earlier = main[rng.random(n) < 0.04].copy()
    earlier["org_no"] = rng.choice(schools["org_no"].to_numpy(), len(earlier))
    took_up = earlier["start_date"].to_numpy().astype("datetime64[D]")
    left = took_up - rng.integers(1, 60, len(earlier)).astype("timedelta64[D]")
    earlier["end_date"] = left
    earlier["start_date"] = left - rng.integers(200, 3000, len(earlier)).astype("timedelta64[D]")
    earlier["is_primary_job"] = True
    assignments = pd.concat([main, second, earlier], ignore_index=True)
    assignments = assignments.sort_values(["staff_no", "start_date"], kind="stable")
    assignments = assignments.reset_index(drop=True)
    assignments.insert(0, "assignment_no", np.arange(1, len(assignments) + 1))
    assignments["staff_category"] = assignments["position"].map(CATEGORY)
    lag = np.minimum(rng.geometric(0.5, len(assignments)) - 1, 6)
    assignments["recorded_at"] = seconds_after(
        rng, assignments["start_date"].to_numpy().astype("datetime64[D]"), lag
    )
    return assignments


def homeroom_teachers(rng, classes: pd.DataFrame, assignments: pd.DataFrame, year: str):
    """A current teacher of the class's school for each school class of ``year`` (5 % none)."""
    teachers = assignments[
        assignments["position"].eq("teacher")
        & assignments["is_primary_job"]
        & assignments["end_date"].isna()
    ]
    by_org = teachers.groupby("org_no")["staff_no"].apply(np.asarray)
    homeroom = np.full(len(classes), np.nan)
    eligible = classes["academic_year"].eq(year) & classes["level"].isin(
        ["primary", "basic", "secondary"]
    )
    for i in np.flatnonzero(eligible.to_numpy()):
        pool = by_org.get(classes["org_no"].iat[i])
        if pool is not None and rng.random() > 0.05:
            homeroom[i] = pool[rng.integers(len(pool))]
    return pd.array(homeroom, dtype="Float64").astype("Int64")
