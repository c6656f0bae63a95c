import datetime as dt

import numpy as np
import pytest

from emis.reference import school_days, territories


def test_territories_cover_nine_oblast_units_and_58_districts():
    frame = territories()
    assert frame["district_code"].is_unique
    assert len(frame) == 58
    assert frame["oblast_code"].nunique() == 9
    assert (frame["district_code"].str.slice(0, 5) == frame["oblast_code"]).all()


def test_school_days_are_weekdays_inside_terms():
    teaching = school_days("2025-2026")
    weekday = (teaching.astype("int64") + 3) % 7
    assert (weekday < 5).all()
    assert teaching[0] == np.datetime64("2025-09-01")  # a Monday, the first day of school
    assert np.datetime64("2025-11-05") not in teaching  # autumn break
    assert np.datetime64("2026-01-05") not in teaching  # winter break


def test_school_days_until_a_date_exclude_it():
    teaching = school_days("2025-2026", until=dt.date(2025, 9, 3))
    assert list(teaching) == [np.datetime64("2025-09-01"), np.datetime64("2025-09-02")]


def test_unknown_year_is_an_error():
    with pytest.raises(ValueError, match="no school calendar"):
        school_days("1999-2000")


def test_every_indicator_is_documented():
    import csv
    from pathlib import Path

    repo = Path(__file__).resolve().parents[2]
    seed = repo / "dbt_project" / "seeds" / "indicators.csv"
    documented = (repo / "docs" / "warehouse.md").read_text()
    with seed.open(encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            assert f"`{row['indicator_id']}`" in documented, row["indicator_id"]
            assert all(
                row[f"name_{lang}"] and row[f"definition_{lang}"] for lang in ("en", "ru", "ky")
            )
