"""Reporting dates and periods: pure functions of a form's rule and the export's snapshot."""

from __future__ import annotations

import datetime as dt
from functools import cache

import yaml

from emis.reference import REPO_ROOT, academic_year_label

DBT_PROJECT = REPO_ROOT / "dbt_project" / "dbt_project.yml"


@cache
def census_day() -> tuple[int, int]:
    """(month, day) of the census date, from the dbt project's vars (one place for both)."""
    variables = yaml.safe_load(DBT_PROJECT.read_text(encoding="utf-8"))["vars"]
    return int(variables["census_month"]), int(variables["census_day"])


def academic_year_of(day: dt.date) -> str:
    """The academic year a date falls in (years start on 1 September)."""
    return academic_year_label(day.year if day.month >= 9 else day.year - 1)


def latest_on_or_before(month: int, day: int, limit: dt.date) -> dt.date:
    """The last ``month``/``day`` that is not after ``limit``."""
    candidate = dt.date(limit.year, month, day)
    return candidate if candidate <= limit else dt.date(limit.year - 1, month, day)


def default_as_of(rule: str, snapshot_date: dt.date) -> dt.date:
    """The latest reporting date of a form's rule that the export (``snapshot_date``) covers:
    the census date (start of the school year), 1 January, or 31 December (a year's end)."""
    if rule == "census":
        return latest_on_or_before(*census_day(), snapshot_date)
    if rule == "january_first":
        return latest_on_or_before(1, 1, snapshot_date)
    if rule == "year_end":
        return latest_on_or_before(12, 31, snapshot_date)
    raise ValueError(f"unknown reporting date rule {rule!r}")


def reporting_date_in_year(rule: str, academic_year: str) -> dt.date:
    """A form's reporting date in an academic year ``YYYY-YYYY``: its census date, the
    1 January of its second calendar year, or the 31 December of its first."""
    first, second = (int(part) for part in academic_year.split("-"))
    if second != first + 1:
        raise ValueError(f"{academic_year!r} is not an academic year YYYY-YYYY")
    if rule == "census":
        return dt.date(first, *census_day())
    if rule == "january_first":
        return dt.date(second, 1, 1)
    if rule == "year_end":
        return dt.date(first, 12, 31)
    raise ValueError(f"unknown reporting date rule {rule!r}")


def period_start(period: str | None, as_of: dt.date) -> dt.date:
    """First day of the period that movement is counted over, ending on ``as_of``: the twelve
    months up to it, or its calendar year so far. Without a period, the date itself."""
    if period == "twelve_months":
        try:
            year_before = as_of.replace(year=as_of.year - 1)
        except ValueError:  # 29 February
            year_before = dt.date(as_of.year - 1, 2, 28)
        return year_before + dt.timedelta(days=1)
    if period == "calendar_year":
        return dt.date(as_of.year, 1, 1)
    if period is None:
        return as_of
    raise ValueError(f"unknown period {period!r}")
