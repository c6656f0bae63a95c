"""Reference denominators: population by district, sex and single year of age (0-29).

Shaped on calibration.md: about 155,000 children per single year aged 7-14 (1,239,000 in all)
and 134,000 aged 15-17 (402,000); births around 165,000 a year. Each district gets its share
of the school-age population, and never fewer children than the register enrols there.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

COHORT = np.array(
    [165, 168, 170, 170, 168, 166, 165, 163, 160, 157, 155, 153, 151, 150, 148,  # 0-14
     136, 134, 132, 125, 122, 120, 118, 117, 116, 116, 117, 118, 120, 121, 122]  # 15-29
) * 1_000.0  # fmt: skip
FEMALE_SHARE_AT_BIRTH = 0.487


def make_population(
    rng: np.random.Generator,
    weights: pd.Series,
    national_share: float,
    enrolled: pd.DataFrame,
    years: tuple[int, ...],
) -> pd.DataFrame:
    """One row per year x district x sex x age; ``enrolled`` counts learners the same way."""
    frames = []
    for year in years:
        district = np.repeat(weights.index.to_numpy(), 2 * len(COHORT))
        sex = np.tile(np.repeat(["F", "M"], len(COHORT)), len(weights))
        age = np.tile(np.arange(len(COHORT)), 2 * len(weights))
        share = np.repeat(weights.to_numpy(), 2 * len(COHORT)) / weights.sum() * national_share
        sex_share = np.where(sex == "F", FEMALE_SHARE_AT_BIRTH, 1 - FEMALE_SHARE_AT_BIRTH)
        expected = COHORT[age] * share * sex_share * rng.normal(1.0, 0.02, len(age))
        frame = pd.DataFrame({"year": year, "district_code": district, "sex": sex, "age": age})
        frame = frame.merge(
            enrolled.query("year == @year"), on=["year", "district_code", "sex", "age"], how="left"
        )
        floor = frame["learners"].fillna(0).to_numpy() * 1.01
        frame["population"] = np.round(np.maximum(expected, floor)).astype("int64")
        frames.append(frame.drop(columns="learners"))
    return pd.concat(frames, ignore_index=True)
