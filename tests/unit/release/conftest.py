"""Small observation cubes built in Python the way the warehouse's ``observation_cube`` macro
builds them: every subset of the breakdowns, at district, oblast and national level."""

from __future__ import annotations

import itertools

import pandas as pd

from warehouse.read import BREAKDOWNS
from warehouse.release.cells import build_cells, sort_observations, territory_parents

YEAR, DATE = "2025-2026", "2025-09-15"
OBLAST = "41701"
UNITS = {
    "learners": ("count", False, True),
    "trained_teachers_pct": ("percent", True, True),
    "repetition_rate": ("percent", True, True),
    "ger": ("percent", False, True),
    "gpi_ger": ("index", False, False),
    "teachers": ("count", False, True),
    "teachers_fte": ("fte", False, True),
}


def indicators() -> pd.DataFrame:
    return pd.DataFrame(
        [
            {"indicator_id": i, "unit": u, "is_share": s, "is_additive": a}
            for i, (u, s, a) in UNITS.items()
        ]
    )


def cube(indicator: str, facts: list[dict], breakdowns: list[str]) -> pd.DataFrame:
    """Observation rows of one indicator from facts: dicts with ``district`` (8 digits, oblast
    = first 5), the breakdown codes, ``numerator`` and optionally ``denominator``."""
    frame = pd.DataFrame(facts)
    frame["oblast"] = frame["district"].str[:5]
    frame["denominator"] = frame.get("denominator", 0)
    rows = []
    for geography in (["oblast", "district"], ["oblast"], []):
        for size in range(len(breakdowns) + 1):
            for chosen in itertools.combinations(breakdowns, size):
                if "grade" in chosen and "level" not in chosen:
                    continue
                keys = [*geography, *chosen]
                grouped = (
                    frame.groupby(keys, as_index=False)[["numerator", "denominator"]].sum()
                    if keys
                    else frame[["numerator", "denominator"]].sum().to_frame().T
                )
                for record in grouped.to_dict("records"):
                    rows.append(_row(indicator, record, geography, chosen, breakdowns))
    return pd.DataFrame(rows)


def _row(indicator, record, geography, chosen, breakdowns) -> dict:
    unit = UNITS[indicator][0]
    level = {2: "district", 1: "oblast", 0: "national"}[len(geography)]
    territory = record.get(geography[-1]) if geography else "KG"
    numerator, denominator = float(record["numerator"]), float(record["denominator"])
    rate = 100 * numerator / denominator if denominator else None
    value = numerator if unit in ("count", "fte") else rate
    return {
        "indicator_id": indicator,
        "academic_year": YEAR,
        "reference_date": DATE,
        "geographic_level": level,
        "territory_code": territory,
        **{
            d: (str(record[d]) if d in chosen else "_T") if d in breakdowns else "_Z"
            for d in BREAKDOWNS
        },
        "numerator": numerator,
        "denominator": denominator,
        "value": value,
        "unit": unit,
    }


def prepared(*cubes: pd.DataFrame, bounds: pd.DataFrame | None = None):
    """Sorted observations and their cells (``bounds``: see ``build_cells``)."""
    observations = sort_observations(pd.concat(cubes, ignore_index=True))
    parents = territory_parents(observations["territory_code"], {})
    return observations, build_cells(observations, indicators(), parents, bounds)


def quantity_of(observations, cells, measure="numerator", **codes) -> int:
    """The quantity of the one row matching ``codes`` (unlisted breakdowns at _T/_Z)."""
    rows = observations
    for column, value in codes.items():
        rows = rows[rows[column] == value]
    for dimension in BREAKDOWNS:
        if dimension not in codes:
            rows = rows[rows[dimension].isin(["_T", "_Z"])]
    assert len(rows) == 1, rows
    part = cells.cells[(cells.cells["row"] == rows.index[0]) & (cells.cells["measure"] == measure)]
    return int(part["quantity"].iloc[0])
