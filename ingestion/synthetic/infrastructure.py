"""The infrastructure survey: one row per organization and yearly survey date.

Gaps follow the published picture: rural schools often lack internet and indoor toilets.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ingestion.synthetic.draw import choice, seconds_after


def make_infrastructure(rng: np.random.Generator, orgs: pd.DataFrame, year: int) -> pd.DataFrame:
    """Surveys on 1 October of last year and of this year for every active organization."""
    active = orgs[orgs["status"] == "active"]
    frames = [_survey(rng, active, np.datetime64(f"{y}-10-01")) for y in (year - 1, year)]
    return pd.concat(frames, ignore_index=True)


def _survey(rng, orgs: pd.DataFrame, survey_date: np.datetime64) -> pd.DataFrame:
    n = len(orgs)
    rural = orgs["locality"].eq("rural").to_numpy()
    learners = orgs["learners"].to_numpy()
    shifts = orgs["shifts"].to_numpy()
    has_internet = rng.random(n) < np.where(rural, 0.58, 0.93)
    toilets = np.where(
        rural,
        choice(rng, {"outdoor": 0.78, "indoor": 0.2, "none": 0.02}, n),
        choice(rng, {"indoor": 0.82, "outdoor": 0.18}, n),
    )
    water = np.where(
        rural,
        choice(rng, {"piped": 0.55, "well": 0.25, "delivered": 0.15, "none": 0.05}, n),
        choice(rng, {"piped": 0.97, "well": 0.02, "delivered": 0.01}, n),
    )
    mbps = np.round(rng.lognormal(np.where(rural, 1.5, 3.0), 0.8, n), 1)
    frame = pd.DataFrame(
        {
            "org_no": orgs["org_no"].to_numpy(),
            "survey_date": survey_date,
            "buildings": 1 + rng.poisson(np.where(learners > 800, 1.0, 0.3), n),
            "building_condition": choice(
                rng, {"good": 0.55, "needs_repair": 0.40, "emergency": 0.05}, n
            ),
            "classrooms": np.maximum(np.round(learners / shifts / 24), 1).astype("int64"),
            "heating": np.where(
                rural,
                choice(rng, {"stove": 0.5, "boiler": 0.4, "central": 0.05, "none": 0.05}, n),
                choice(rng, {"central": 0.6, "boiler": 0.38, "stove": 0.02}, n),
            ),
            "has_electricity": rng.random(n) < 0.995,
            "water_source": water,
            "has_drinking_water": (water != "none") & (rng.random(n) < 0.9),
            "toilets": toilets,
            "toilets_single_sex": (toilets != "none") & (rng.random(n) < 0.8),
            "toilets_usable": (toilets != "none") & (rng.random(n) < 0.9),
            "has_handwashing": rng.random(n) < np.where(rural, 0.6, 0.9),
            "has_internet": has_internet,
            "internet_mbps": np.where(has_internet, mbps, np.nan),
            "computers_for_teaching": np.where(
                rng.random(n) < np.where(rural, 0.15, 0.02),  # some rural schools have none
                0,
                np.round(learners / rng.uniform(15, 40, n)),
            ).astype("int64"),
            "has_ramp": rng.random(n) < np.where(rural, 0.12, 0.35),
            "has_canteen": rng.random(n) < 0.6,
            "has_gym": rng.random(n) < np.where(rural, 0.45, 0.75),
            "library_books": np.round(learners * rng.uniform(5, 25, n)).astype("int64"),
        }
    )
    # Surveys are incomplete: an optional answer is missing in about 2 % of cells.
    for column in ("building_condition", "heating", "has_ramp", "has_gym", "library_books"):
        blank = rng.random(n) < 0.02
        frame[column] = frame[column].astype(object).where(~blank, None)
    frame["updated_at"] = seconds_after(rng, np.full(n, survey_date), rng.integers(0, 20, n))
    return frame
