"""Reference data the platform ships as dbt seeds, read by Python where it needs them too.

The seeds in ``dbt_project/seeds/`` are the single copy: the generator, the warehouse and
the portal all read the same files.
"""

from __future__ import annotations

import datetime as dt
from functools import cache
from pathlib import Path

import numpy as np
import pandas as pd

REPO_ROOT = Path(__file__).resolve().parent.parent
SEEDS_DIR = REPO_ROOT / "dbt_project" / "seeds"


@cache
def territories() -> pd.DataFrame:
    """One row per district (SOATE code) with its oblast and names in ky/ru/en."""
    return pd.read_csv(SEEDS_DIR / "territories.csv", dtype=str)


@cache
def school_calendar() -> pd.DataFrame:
    """One row per academic year x term with its first and last teaching day."""
    frame = pd.read_csv(SEEDS_DIR / "school_calendar.csv", dtype=str)
    for column in ("start_date", "end_date"):
        frame[column] = pd.to_datetime(frame[column]).dt.date
    return frame


def academic_year_label(start_year: int) -> str:
    return f"{start_year}-{start_year + 1}"


def school_days(academic_year: str, until: dt.date | None = None) -> np.ndarray:
    """Teaching days (Monday to Friday inside a term) of a year, before ``until`` if given."""
    terms = school_calendar().query("academic_year == @academic_year")
    if terms.empty:
        raise ValueError(f"no school calendar for {academic_year}")
    days = [
        np.arange(np.datetime64(row.start_date), np.datetime64(row.end_date) + 1)
        for row in terms.itertuples()
    ]
    all_days = np.concatenate(days)
    weekday = (all_days.astype("int64") + 3) % 7  # 1970-01-01 was a Thursday: 0 = Monday
    all_days = all_days[weekday < 5]
    if until is not None:
        all_days = all_days[all_days < np.datetime64(until)]
    return all_days
