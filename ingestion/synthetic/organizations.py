"""The organization register: schools, kindergartens, vocational lyceums, colleges, universities.

Each organization also carries its generation-only attributes (``sector``, ``learners``,
grade range) that the learner and staff generators read; the export drops them.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd

from ingestion.synthetic.draw import apportion, choice, days, seconds_after
from ingestion.synthetic.scales import Scale

# Average pupils per school by kind of territory: small rural schools, crowded city schools.
SCHOOL_SIZE = {"rayon": 520, "city": 1_100, "city_district": 1_900}
SCHOOL_TYPES = {  # share of general-education schools (special ones: 9 + 14 in calibration.md)
    "school": 0.715, "gymnasium": 0.05, "lyceum": 0.04, "uvk": 0.04, "uvk_author": 0.005,
    "school_complex": 0.02, "incomplete": 0.10, "special_boarding": 0.01, "sanatorium": 0.002,
    "auxiliary": 0.004, "evening": 0.01, "correspondence": 0.002, "experimental": 0.002,
}  # fmt: skip
GRADE_RANGE = {"incomplete": (1, 9), "evening": (8, 11), "correspondence": (8, 11)}
SOUTH = ("41703", "41705", "41706", "41721")
# Languages of instruction (calibration.md, Aug 2024): ky 57.6 %, ru 11.4 %, several 29.6 %
# (548 of 709 ky+ru), uz 18, tg 3, en 5 schools; Bishkek: 16 ky, 20 ru, 85 mixed.
LANGUAGES = {
    "north": {"ky": 0.615, "ru": 0.145, "ky;ru": 0.235, "ky;ru;en": 0.003, "en": 0.002},
    "south": {
        "ky": 0.565, "ru": 0.08, "uz": 0.02, "tg": 0.0015, "ky;ru": 0.20, "ky;uz": 0.08,
        "ru;uz": 0.03, "ky;ru;uz": 0.015, "ky;tg": 0.006,
    },
    "bishkek": {"ky": 0.13, "ru": 0.165, "ky;ru": 0.64, "ky;ru;en": 0.035, "en": 0.03},
}  # fmt: skip
# Schools teaching in one minority language only are too few to draw (a 2 % share gave 11
# Uzbek schools one seed, 27 another): they are set exactly, as a share of the general schools
# of the regions that have them (18 of 1,362 southern schools; 3 Tajik; 5 English, Bishkek
# and the north), taken from schools whose languages include that one.
SINGLE_LANGUAGE_SCHOOLS = {
    "uz": (18 / 1_362, ("south",)),
    "tg": (3 / 1_362, ("south",)),
    "en": (5 / 1_032, ("bishkek", "north")),
}
# Children per place: design capacity is drawn per organization around its learners (urban
# buildings fuller); kindergartens hold 113 children per 100 places (NSC 2024), so their
# places are scaled down from that draw.
PRESCHOOL_PLACES = 0.83
NAME_RU = {
    "school": "Средняя общеобразовательная школа №{n}",
    "gymnasium": "Школа-гимназия №{n}",
    "lyceum": "Школа-лицей №{n}",
    "uvk": "Учебно-воспитательный комплекс №{n}",
    "uvk_author": "Авторский учебно-воспитательный комплекс №{n}",
    "school_complex": "Школьный комплекс №{n}",
    "incomplete": "Основная общеобразовательная школа №{n}",
    "special_boarding": "Специальная школа-интернат №{n}",
    "sanatorium": "Санаторная школа-интернат №{n}",
    "auxiliary": "Вспомогательная школа №{n}",
    "evening": "Вечерняя школа №{n}",
    "correspondence": "Заочная школа №{n}",
    "experimental": "Экспериментальная школа №{n}",
    "preschool": "Детский сад №{n}",
    "vocational_lyceum": "Профессиональный лицей №{n}",
    "college": "Колледж №{n}",
    "university": "Университет №{n}",
}
NAME_KY = {
    "preschool": "№{n} бала бакча",
    "vocational_lyceum": "№{n} кесиптик лицей",
    "college": "№{n} колледж",
    "university": "№{n} университет",
}
SCHOOL_NAME_KY = "№{n} мектеп"


def make_organizations(
    rng: np.random.Generator, scale: Scale, weights: pd.Series, snapshot: dt.date
) -> pd.DataFrame:
    """All organizations of the scale's districts, with the learners each has on census day."""
    from emis.reference import territories

    districts = territories().set_index("district_code").loc[list(scale.district_codes)]
    share = weights[list(scale.district_codes)].to_numpy()
    share = share / share.sum()
    sizes = scale.sizes
    sectors = [
        _schools(rng, districts, share, sizes.schools, sizes.pupils),
        _sector(rng, districts, share, "preschool", sizes.kindergartens, sizes.preschool_children,
                city_weight=1.3),
        _sector(rng, districts, share, "vocational_lyceum", sizes.vocational_lyceums,
                sizes.vocational_students, city_weight=2.0),
        _sector(rng, districts, share, "college", sizes.colleges, sizes.college_students,
                city_weight=4.0),
        _sector(rng, districts, share, "university", sizes.universities,
                sizes.university_students, city_weight=12.0),
    ]  # fmt: skip
    orgs = pd.concat(sectors, ignore_index=True)
    orgs = pd.concat([orgs, _closed(rng, orgs)], ignore_index=True)
    return _describe(rng, orgs, snapshot)


def _schools(rng, districts: pd.DataFrame, share, n_schools: int, n_pupils: int) -> pd.DataFrame:
    kind = districts["kind"].to_numpy()
    avg_size = np.array([SCHOOL_SIZE[k] for k in kind], dtype="float64")
    avg_size[districts["oblast_code"].to_numpy() == "41721"] = 1_300  # Osh city
    per_district = np.maximum(apportion(n_schools, share / avg_size), 1)
    per_district = _fix_total(per_district, n_schools)
    district_of = np.repeat(np.arange(len(districts)), per_district)
    orgs = _frame(districts, district_of, "school")
    # Pupils: each district its share, split over its schools by lognormal size weights.
    pupils_per_district = apportion(n_pupils, share)
    size_weight = rng.lognormal(0.0, 0.75, len(orgs))
    learners = np.zeros(len(orgs), dtype="int64")
    for d in range(len(districts)):
        members = np.flatnonzero(district_of == d)
        learners[members] = apportion(pupils_per_district[d], size_weight[members])
    orgs["learners"] = learners
    orgs["org_type"] = choice(rng, SCHOOL_TYPES, len(orgs))
    # Incomplete (grades 1-9) schools are the smallest ones, in the countryside.
    small = (orgs["district_kind"] == "rayon") & (orgs["learners"] < orgs["learners"].quantile(0.2))
    orgs.loc[small & (rng.random(len(orgs)) < 0.5), "org_type"] = "incomplete"
    orgs.loc[~small & (orgs["org_type"] == "incomplete"), "org_type"] = "school"
    grades = orgs["org_type"].map(GRADE_RANGE)
    orgs["min_grade"] = [g[0] if isinstance(g, tuple) else 1 for g in grades]
    orgs["max_grade"] = [g[1] if isinstance(g, tuple) else 11 for g in grades]
    return orgs


def _sector(rng, districts, share, org_type: str, n_orgs: int, n_learners: int, city_weight):
    is_city = districts["kind"].isin(["city", "city_district"]).to_numpy()
    weight = share * np.where(is_city, city_weight, 1.0)
    per_district = apportion(n_orgs, weight)
    district_of = np.repeat(np.arange(len(districts)), per_district)
    orgs = _frame(districts, district_of, "preschool" if org_type == "preschool" else org_type)
    orgs["org_type"] = org_type
    orgs["learners"] = apportion(n_learners, rng.lognormal(0.0, 0.6, len(orgs)))
    orgs["min_grade"], orgs["max_grade"] = 1, {"preschool": 6, "vocational_lyceum": 2,
                                               "college": 4, "university": 5}[org_type]  # fmt: skip
    return orgs


def _frame(districts: pd.DataFrame, district_of: np.ndarray, sector: str) -> pd.DataFrame:
    kind = districts["kind"].to_numpy()[district_of]
    return pd.DataFrame(
        {
            "district_code": districts.index.to_numpy()[district_of],
            "oblast_code": districts["oblast_code"].to_numpy()[district_of],
            "district_kind": kind,
            "sector": "school" if sector == "school" else sector,
        }
    )


def _fix_total(counts: np.ndarray, total: int) -> np.ndarray:
    """Take back from the largest districts what the at-least-one rule added."""
    while counts.sum() > total:
        counts[np.argmax(counts)] -= 1
    return counts


def _closed(rng, orgs: pd.DataFrame) -> pd.DataFrame:
    """About 1 % more organizations that closed in earlier years and have no learners now."""
    closed = orgs.sample(n=max(len(orgs) // 100, 1), random_state=rng.integers(2**31)).copy()
    closed["learners"] = 0
    closed["status"] = "closed"
    return closed


def _set_single_language_schools(
    languages: np.ndarray, region: np.ndarray, is_school: np.ndarray
) -> None:
    """Exactly the published share of schools teaching in one minority language only, in place:
    surplus ones teach in Kyrgyz as well, missing ones are schools that taught it among others
    (the first in register order: no random draw, so the other registers stay as they were)."""
    for language, (share, regions) in SINGLE_LANGUAGE_SCHOOLS.items():
        in_regions = is_school & np.isin(region, regions)
        target = round(share * int(in_regions.sum()))
        single = np.flatnonzero(in_regions & (languages == language))
        if len(single) > target:
            languages[single[target:]] = f"ky;{language}"
            continue
        has_it = np.array([language in str(codes).split(";") for codes in languages])
        candidates = np.flatnonzero(in_regions & has_it & (languages != language))
        languages[candidates[: target - len(single)]] = language


def _describe(rng, orgs: pd.DataFrame, snapshot: dt.date) -> pd.DataFrame:
    n = len(orgs)
    orgs["status"] = orgs.get("status", pd.Series(index=orgs.index, dtype=object)).fillna("active")
    is_city = orgs["district_kind"].isin(["city", "city_district"]).to_numpy()
    # Rayon centres are towns: about one rayon school in eight is urban (not the smallest).
    town = (rng.random(n) < 0.12) & ~orgs["org_type"].eq("incomplete").to_numpy()
    orgs["locality"] = np.where(is_city | town, "urban", "rural")
    urban = orgs["locality"].to_numpy() == "urban"
    region = np.where(
        orgs["oblast_code"] == "41711", "bishkek",
        np.where(orgs["oblast_code"].isin(SOUTH), "south", "north"),
    )  # fmt: skip
    languages = np.empty(n, dtype=object)
    for name, shares in LANGUAGES.items():
        members = region == name
        languages[members] = choice(rng, shares, int(members.sum()))
    languages[orgs["sector"].isin(["university", "college"]) & (languages == "ky")] = "ky;ru"
    is_school = (orgs["sector"] == "school").to_numpy() & (orgs["status"] == "active").to_numpy()
    _set_single_language_schools(languages, region, is_school)
    orgs["languages"] = languages
    private = rng.random(n) < np.where(urban, 0.26, 0.034)  # 204 of 2,394 schools, mostly urban
    state = orgs["sector"].isin(["university", "college", "vocational_lyceum"]).to_numpy() | (
        orgs["org_type"].isin(["special_boarding", "sanatorium", "auxiliary"]).to_numpy()
    )
    orgs["ownership"] = np.where(private, "private", np.where(state, "state", "municipal"))
    # Shifts: 59 % of pupils learn in the first shift; city schools run two or three.
    shift_draw = rng.random(n)
    orgs["shifts"] = np.where(
        urban,
        np.select([shift_draw < 0.12, shift_draw < 0.82], [1, 2], 3),
        np.where(shift_draw < 0.35, 1, 2),
    )
    orgs.loc[orgs["sector"] != "school", "shifts"] = 1
    # Places are for one shift: a two-shift school seats half its pupils at a time.
    places = np.where(orgs["sector"] == "preschool", PRESCHOOL_PLACES, 1.0)
    orgs["design_capacity"] = np.round(
        orgs["learners"]
        / orgs["shifts"]
        * rng.uniform(0.8, 1.25, n)
        * np.where(urban, 0.85, 1.2)
        * places
    ).astype("int64")
    orgs["opened_date"] = days(rng, "1935-01-01", "2020-01-01", n)
    is_closed = orgs["status"].to_numpy() == "closed"
    closed_date = days(rng, "2019-01-01", "2024-08-01", n)
    orgs["closed_date"] = np.where(is_closed, closed_date, np.datetime64("NaT"))
    orgs.loc[is_closed, "design_capacity"] = pd.NA
    updated = days(rng, np.datetime64(snapshot) - 180, np.datetime64(snapshot), n)
    orgs["updated_at"] = seconds_after(rng, updated, np.zeros(n))
    orgs = orgs.sort_values(["district_code", "sector", "learners"], ascending=[True, True, False])
    orgs = orgs.reset_index(drop=True)
    orgs.insert(0, "org_no", np.arange(1, len(orgs) + 1))
    number = orgs.groupby(["district_code", "sector"]).cumcount().to_numpy() + 1
    orgs["name_ru"] = [
        NAME_RU[t].format(n=k) for t, k in zip(orgs["org_type"], number, strict=True)
    ]
    orgs["name_ky"] = [
        NAME_KY.get(t, SCHOOL_NAME_KY).format(n=k)
        for t, k in zip(orgs["org_type"], number, strict=True)
    ]
    return orgs
