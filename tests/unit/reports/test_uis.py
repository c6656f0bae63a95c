"""The UIS declaration and the ISCED seed it reads: every register level mapped once, every
ISCED code the form filters on present in the seed, symbols where the registers fall short."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest

from emis.reference import SEEDS_DIR
from ingestion.contract import LEVELS
from reports.dates import reporting_date_in_year
from reports.declaration import DeclarationError, load_form, parse_form


@pytest.fixture(scope="module")
def isced() -> pd.DataFrame:
    return pd.read_csv(SEEDS_DIR / "isced_levels.csv", dtype=str)


def test_every_register_level_is_mapped_with_its_source(isced):
    assert set(isced["level"]) == set(LEVELS)
    assert isced["source"].str.len().gt(40).all()
    formal = isced.dropna(subset=["isced_level"])
    assert set(formal["isced_level"]) <= set("012345678")
    assert (formal["isced_programme"].str[0] == formal["isced_level"]).all()
    assert formal.groupby("level")["isced_level"].nunique().eq(1).all()


def test_grades_of_a_level_do_not_overlap(isced):
    formal = isced.dropna(subset=["first_grade"]).astype({"first_grade": int, "last_grade": int})
    for _, rows in formal.groupby("level"):
        grades = [
            g for row in rows.itertuples() for g in range(row.first_grade, row.last_grade + 1)
        ]
        assert len(grades) == len(set(grades))


def test_the_form_filters_on_codes_the_seed_has(isced):
    form = load_form("uis")
    codes = {"isced": set(isced["isced_programme"].dropna()),
             "isced_level": set(isced["isced_level"].dropna())}  # fmt: skip
    for cell in form.cells():
        for condition in cell.filter:
            if condition.dim in codes:
                assert set(condition.values) <= codes[condition.dim] | set("45"), cell


def test_cells_the_registers_cannot_fill_carry_a_symbol():
    form = load_form("uis")
    symbols = {(c.section, c.row, c.col): c.symbol for c in form.cells() if c.blank}
    assert symbols[("1", "09", "1")] == "xr"  # ISCED 4 is counted in ISCED 3 vocational
    assert symbols[("7", "03", "2")] == "xr"  # school teachers are not split by level
    assert symbols[("5", "02", "3")] == "m"  # ECE experience of new entrants: not computed
    assert all(section.notes for section in form.sections)


def test_a_symbol_is_short():
    data = {"id": "x", "code": "X", "title": {"ru": "x", "ky": "x"}, "reporting_date": "census",
            "sections": [{"number": "1", "title": {"ru": "x", "ky": "x"}, "metric": "learners",
                          "columns": [{"code": "1", "label": {"ru": "x", "ky": "x"}}],
                          "rows": [{"code": "01", "symbol": "missing",
                                    "label": {"ru": "x", "ky": "x"}}]}]}  # fmt: skip
    with pytest.raises(DeclarationError, match="1-3 characters"):
        parse_form(data)


@pytest.mark.parametrize(
    ("rule", "expected"),
    [("census", dt.date(2025, 9, 15)), ("january_first", dt.date(2026, 1, 1)),
     ("year_end", dt.date(2025, 12, 31))],
)  # fmt: skip
def test_the_reporting_date_in_an_academic_year(rule, expected):
    assert reporting_date_in_year(rule, "2025-2026") == expected


@pytest.mark.parametrize("year", ["2025", "2025-2027", "a-b"])
def test_a_wrong_academic_year_is_refused(year):
    with pytest.raises(ValueError):
        reporting_date_in_year("census", year)
