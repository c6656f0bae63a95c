"""Reporting dates: the latest a form's rule allows on an export, and movement periods."""

import datetime as dt

import pytest

from reports.dates import academic_year_of, census_day, default_as_of, period_start

D = dt.date


def test_the_census_day_comes_from_the_dbt_project():
    assert census_day() == (9, 15)


@pytest.mark.parametrize(
    ("day", "year"),
    [(D(2025, 9, 1), "2025-2026"), (D(2025, 8, 31), "2024-2025"), (D(2026, 1, 1), "2025-2026")],
)
def test_academic_years_start_on_1_september(day, year):
    assert academic_year_of(day) == year


@pytest.mark.parametrize(
    ("rule", "snapshot", "expected"),
    [
        ("census", D(2026, 1, 15), D(2025, 9, 15)),
        ("census", D(2025, 9, 15), D(2025, 9, 15)),
        ("census", D(2025, 9, 14), D(2024, 9, 15)),
        ("january_first", D(2026, 1, 15), D(2026, 1, 1)),
        ("year_end", D(2026, 1, 15), D(2025, 12, 31)),
        ("year_end", D(2025, 12, 31), D(2025, 12, 31)),
    ],
)
def test_the_default_date_is_the_latest_the_export_covers(rule, snapshot, expected):
    assert default_as_of(rule, snapshot) == expected


def test_periods_end_on_the_reporting_date():
    assert period_start("twelve_months", D(2025, 9, 15)) == D(2024, 9, 16)
    assert period_start("twelve_months", D(2024, 2, 29)) == D(2023, 3, 1)
    assert period_start("calendar_year", D(2025, 12, 31)) == D(2025, 1, 1)
    assert period_start(None, D(2025, 12, 31)) == D(2025, 12, 31)
    with pytest.raises(ValueError, match="unknown"):
        default_as_of("easter", D(2025, 1, 1))
