"""How big an export is: which districts, and how many organizations and learners.

``national`` is calibrated on published 2024/25 figures (NSC, Ministry; see
``docs/synthetic-data.md``); ``small`` is one oblast with the same shares; ``tiny`` a handful
of organizations in two districts.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np
import pandas as pd

from emis.reference import territories


@dataclass(frozen=True)
class Sizes:
    """Organizations and learners of each sector (enrolled on the census date)."""

    schools: int
    pupils: int
    kindergartens: int
    preschool_children: int
    vocational_lyceums: int
    vocational_students: int
    colleges: int
    college_students: int
    universities: int
    university_students: int

    def scaled(self, share: float) -> Sizes:
        """Every figure times ``share``, at least one organization of each sector."""
        values = {}
        for name, value in vars(self).items():
            scaled = round(value * share)
            is_org_count = not name.endswith(("pupils", "children", "students"))
            values[name] = max(scaled, 1) if is_org_count else max(scaled, 20)
        return Sizes(**values)


# Published figures (calibration.md): schools 2,394 and 1,531,633 pupils (2024/25); 1,997
# kindergartens with 257,300 children (2025); 99 vocational lyceums with ~30,000 students
# (NSC 28,352; Ministry >32,000); 145 colleges with ~92,000; 57 universities with 231,200.
NATIONAL = Sizes(
    schools=2_394,
    pupils=1_531_633,
    kindergartens=1_997,
    preschool_children=257_300,
    vocational_lyceums=99,
    vocational_students=30_000,
    colleges=145,
    college_students=92_000,
    universities=57,
    university_students=231_200,
)

# Relative size of each oblast's school-age cohort: the 2024 first-grade quotas. Bishkek's quota
# covers state schools only, so its cohort is raised by 60 % (1.1-1.2 million inhabitants).
OBLAST_COHORT = {
    "41706": 35_785,  # Osh oblast
    "41703": 34_778,  # Jalal-Abad
    "41708": 31_474,  # Chui
    "41711": 17_908 * 1.6,  # Bishkek
    "41705": 16_190,  # Batken
    "41702": 13_821,  # Issyk-Kul
    "41721": 11_233,  # Osh city
    "41704": 7_741,  # Naryn
    "41707": 6_957,  # Talas
}

# A city's share of its oblast's children, against an average rayon (=1).
KIND_WEIGHT = {"rayon": 1.0, "city": 0.45, "city_district": 1.0}


@dataclass(frozen=True)
class Scale:
    name: str
    sizes: Sizes
    district_codes: tuple[str, ...]


def district_weights(rng: np.random.Generator) -> pd.Series:
    """Each district's share of the national school-age population (sums to 1)."""
    frame = territories()
    noise = rng.gamma(8.0, 1 / 8.0, len(frame))  # rayons differ in size, by about ±35 %
    raw = frame["kind"].map(KIND_WEIGHT).to_numpy() * noise
    raw = pd.Series(raw, index=frame["district_code"].to_numpy())
    oblast = frame["oblast_code"].to_numpy()
    within = raw / raw.groupby(oblast).transform("sum")
    cohort = pd.Series(oblast, index=raw.index).map(OBLAST_COHORT)
    return within * cohort / sum(OBLAST_COHORT.values())


SMALL_OBLAST = "41707"  # Talas: the smallest oblast, so `small` stays fast
TINY_DISTRICTS = ("41707215", "41707400")  # a rural rayon and its oblast's town
TINY = Sizes(
    schools=5,
    pupils=2_400,
    kindergartens=3,
    preschool_children=240,
    vocational_lyceums=1,
    vocational_students=150,
    colleges=1,
    college_students=300,
    universities=1,
    university_students=600,
)


def resolve_scale(name: str, weights: pd.Series) -> Scale:
    """The districts and sizes of a named scale (`tiny`, `small`, `national`)."""
    if name == "national":
        return Scale(name, NATIONAL, tuple(weights.index))
    if name == "small":
        codes = tuple(code for code in weights.index if code.startswith(SMALL_OBLAST))
        return Scale(name, NATIONAL.scaled(float(weights[list(codes)].sum())), codes)
    if name == "tiny":
        return Scale(name, replace(TINY), TINY_DISTRICTS)
    raise ValueError(f"unknown scale {name!r}: use tiny, small or national")


SCALE_NAMES = ("tiny", "small", "national")
