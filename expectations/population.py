"""Which population estimates the ratios on population use, said out loud by `emis check`.

The definitions ask for 1 January of the school year's second calendar year; at census time
the statistics committee has usually not published it, so the build takes the latest earlier
year loaded (``intermediate.int_population_years``). The figures are right but provisional:
the check says so until the year asked for is loaded.
"""

from __future__ import annotations

from emis.settings import Settings

POPULATION_YEARS = (
    "select academic_year, population_year_wanted, population_year "
    "from intermediate.int_population_years order by academic_year"
)


def population_warnings(rows: list[tuple]) -> list[str]:
    """One warning per academic year whose ratios do not use the estimates asked for:
    rows of (academic_year, population_year_wanted, population_year)."""
    warnings = []
    for academic_year, wanted, used in rows:
        if used is None:
            warnings.append(
                f"population for {wanted} not loaded and no earlier year either: ratios on "
                f"population for {academic_year} are not available (x)"
            )
        elif used < wanted:
            warnings.append(f"population for {wanted} not loaded: ratios use {used} estimates")
    return warnings


def read_population_warnings(settings: Settings) -> list[str]:
    from expectations.store import query

    return population_warnings(query(settings, POPULATION_YEARS))
