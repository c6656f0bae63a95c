"""School profiles in the open bundle, and what they tell an attacker about the observations.

Each school's counts of persons (learners by level, grade and sex; teachers by sex) are
rounded to base 5, and a count of 1..9 is published as ``c``: a published ``c`` says "1 to 9"
(at least K wide), a published 0 is a true zero, and a rounded value r >= 10 says "r - 2 to
r + 2" (at least 10). Summed over a district's schools, these intervals bound the district's
cells by grade and sex, which no observation table publishes (the district publishes grades
and sexes one at a time) but which add up to published cells: the audit takes them as bounded
quantities (``cells.build_cells(bounds=...)``).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from warehouse.read import BREAKDOWNS
from warehouse.release import rules

PERSON_MEASURES = ("learners", "teachers")
BASE = rules.K  # rounding base
SMALL = 2 * rules.K  # a school's count of 1..SMALL-1 persons is published as c


def rounded(profiles: pd.DataFrame) -> pd.DataFrame:
    """The published school profiles: counts of persons rounded, small ones ``c``;
    facilities (1/0, a building, not persons) as they are."""
    frame = profiles.copy()
    persons = frame["measure"].isin(PERSON_MEASURES)
    value = frame["value"].astype("float64")
    small = persons & (value > 0) & (value < SMALL)
    rounded_value = (np.floor(value / BASE + 0.5) * BASE).where(persons, value)
    frame["value"] = rounded_value.where(~small).astype("Int64")
    frame["symbol"] = np.where(small, "c", None)
    return frame


def interval(published: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    """What each published count of persons says of the true one: (low, high)."""
    value = published["value"].astype("float64").to_numpy()
    small = published["symbol"].eq("c").to_numpy()
    half = BASE // 2
    low = np.where(small, 1.0, np.where(value == 0, 0.0, np.maximum(value - half, SMALL)))
    high = np.where(small, SMALL - 1.0, np.where(value == 0, 0.0, value + half))
    return low, high


def bounds(profiles: pd.DataFrame, observations: pd.DataFrame) -> pd.DataFrame:
    """Bounds from the published profiles of ``profiles`` (true values) on the cells of
    ``observations``: per district, year and reference date, the sum of its schools' intervals
    and the true sum, for learners by level, grade and sex and teachers by sex
    (``cells.build_cells``'s ``bounds``)."""
    blocks = observations[["academic_year", "reference_date"]].drop_duplicates()
    blocks = blocks.assign(date=pd.to_datetime(blocks["reference_date"]))
    persons = profiles[profiles["measure"].isin(PERSON_MEASURES)]
    persons = persons.assign(date=pd.to_datetime(persons["reference_date"])).drop(
        columns="reference_date"
    )
    persons = persons.merge(blocks, on=["academic_year", "date"]).reset_index(drop=True)
    if persons.empty:
        return pd.DataFrame()
    low, high = interval(rounded(persons))
    frame = persons.assign(low=low, high=high, numerator=persons["value"].astype("float64"))
    key = ["academic_year", "reference_date", "district_code", "measure", "level", "grade", "sex"]
    sums = frame.groupby(key, as_index=False)[["numerator", "low", "high"]].sum()
    sums = sums.rename(columns={"district_code": "territory_code", "measure": "indicator_id"})
    sums["geographic_level"] = "district"
    # Each series' dimensions: _T where it has the breakdown, _Z where it has not.
    series = observations[observations["indicator_id"].isin(PERSON_MEASURES)]
    for dimension in BREAKDOWNS:
        applicable = set(series.loc[series[dimension].ne("_Z"), "indicator_id"])
        fixed = np.where(sums["indicator_id"].isin(applicable), "_T", "_Z")
        if dimension in key:
            sums[dimension] = np.where(sums[dimension].eq("_Z"), fixed, sums[dimension])
        else:
            sums[dimension] = fixed
    return sums
