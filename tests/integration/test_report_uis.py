"""The UIS questionnaire tables (`emis report uis`) from the tiny export.

Every cell the registers fill equals the corresponding figure of `marts_open.observations`,
read by ISCED level through the published `isced_mapping` (learners by level, grade, sex and
ownership; new entrants; teachers, their FTE, the trained and qualified numerators), for the
republic, the oblast and each district; graduates equal the graduation events of the twelve
months counted here from staging; totals add up (every control ratio passes, districts add up
to the oblast); cells the registers cannot fill carry their UIS symbol in the workbook, and
each sheet its note. (The other forms' tests in test_reports.py run over every form, `uis`
included: PostgreSQL fills identical cells, the release's form inputs fill the same ones.)
"""

from __future__ import annotations

import datetime as dt

import duckdb
import openpyxl
import pandas as pd
import pytest

from emis.cli import main as cli_main
from emis.reference import SEEDS_DIR
from reports.report import build_report
from tests.integration.test_reports import built, observation

CENSUS = dt.date(2025, 9, 15)
TERRITORIES = ("KG", "41707", "41707215", "41707400")


@pytest.fixture(scope="module")
def settings(tiny_export, tmp_path_factory):
    return built([tiny_export.path], tmp_path_factory.mktemp("uis"))


@pytest.fixture(scope="module")
def uis(settings):
    return {code: build_report(settings, "uis", territory=code) for code in TERRITORIES}


@pytest.fixture(scope="module")
def con(settings):
    with duckdb.connect(str(settings.warehouse_path), read_only=True) as connection:
        yield connection


@pytest.fixture(scope="module")
def mapping(con) -> pd.DataFrame:
    return con.execute("select * from marts_open.isced_mapping").df()


def levels_of(mapping: pd.DataFrame, column: str, code: str) -> list[str]:
    totals = mapping[mapping["grade"].eq("_T") & mapping[column].eq(code)]
    return sorted(totals["level"])


def sectors() -> dict[str, list[str]]:
    types = pd.read_csv(SEEDS_DIR / "organization_types.csv")
    return types.groupby("sector")["organization_type"].apply(list).to_dict()


def test_the_report_is_as_of_the_census_date_with_a_year_of_graduates(uis):
    report = uis["KG"]
    assert report.as_of == CENSUS
    assert report.period_start == dt.date(2024, 9, 16)
    assert report.checks and not report.failures, [c.describe() for c in report.failures[:5]]


@pytest.mark.parametrize("territory", TERRITORIES)
def test_enrolment_by_isced_level_equals_the_observations(uis, con, mapping, territory):
    values = uis[territory].values
    rows = {"01": ("isced_level", "0"), "04": ("isced_level", "1"), "05": ("isced_level", "2"),
            "06": ("isced_level", "3"), "07": ("isced_programme", "344"),
            "08": ("isced_programme", "354"), "11": ("isced_level", "6"),
            "12": ("isced_level", "7"), "13": ("isced_level", "8")}  # fmt: skip
    for row, (column, code) in rows.items():
        levels = levels_of(mapping, column, code)
        for sex, col in (("_T", "1"), ("F", "2")):
            expected = sum(observation(con, "learners", territory, level=lv, sex=sex)[0]
                           for lv in levels)  # fmt: skip
            assert values["1", row, col] == expected, (row, sex)
        public = sum(
            observation(con, "learners", territory, level=lv, ownership=kind)[0]
            for lv in levels
            for kind in ("state", "municipal")
        )
        assert values["1", row, "3"] == public, row
    assert values["1", "14", "1"] == observation(con, "learners", territory)[0] > 0
    early = mapping[mapping["isced_programme"].eq("010") & ~mapping["grade"].str.startswith("_")]
    under_three = sum(observation(con, "learners", territory, level="preschool", grade=grade)[0]
                      for grade in early["grade"])  # fmt: skip
    assert values["1", "02", "1"] == under_three


@pytest.mark.parametrize("territory", TERRITORIES)
def test_pupils_by_grade_and_new_entrants_equal_the_observations(uis, con, territory):
    values = uis[territory].values
    for grade in range(1, 12):
        level = "primary" if grade <= 4 else "basic" if grade <= 9 else "secondary"
        for sex, col in (("_T", "1"), ("F", "2")):
            learners = observation(con, "learners", territory, level=level, grade=str(grade),
                                   sex=sex)[0]  # fmt: skip
            assert values["3", f"{grade:02d}", col] == learners, (grade, sex)
            assert (
                values["4", "01", str(grade + 1)]
                == observation(con, "learners", territory, level=level, grade=str(grade))[0]
            )
    for sex, col in (("_T", "1"), ("F", "2")):
        entrants = observation(con, "new_entrants_grade1", territory, sex=sex)[0]
        assert values["5", "01", col] == entrants > 0, sex


@pytest.mark.parametrize("territory", TERRITORIES)
def test_teachers_by_isced_level_equal_the_observations(uis, con, territory):
    values = uis[territory].values
    rows = {"01": ["preschool"], "02": ["school"], "06": ["vocational", "college"],
            "07": ["higher"]}  # fmt: skip
    kinds = sectors()

    def summed(indicator: str, sector_list: list[str], part: int = 0, **codes) -> float:
        return sum(
            observation(con, indicator, territory, org_type=kind, **codes)[part]
            for sector in sector_list
            for kind in kinds[sector]
        )

    for row, sector_list in rows.items():
        assert values["7", row, "1"] == summed("teachers", sector_list)
        assert values["7", row, "2"] == summed("teachers", sector_list, sex="F")
        assert values["7", row, "5"] == pytest.approx(float(summed("teachers_fte", sector_list)))
        eight = {"01": "01", "02": "02", "06": "03", "07": "04"}[row]
        assert values["8", eight, "1"] == summed("trained_teachers_pct", sector_list, part=1)
        assert values["8", eight, "3"] == summed("trained_teachers_pct", sector_list)
        assert values["8", eight, "4"] == summed("trained_teachers_pct", sector_list, sex="F")
        assert values["8", eight, "5"] == summed("qualified_teachers_pct", sector_list)
    every_sector = [sector for sector_list in rows.values() for sector in sector_list]
    assert values["7", "08", "1"] == summed("teachers", every_sector) > 0


def test_graduates_are_the_graduation_events_of_the_year(uis, con):
    events = con.execute(
        """
        select isced.isced_level, isced.isced_programme, students.sex
        from staging.stg_emis__enrolment_events as events
        inner join staging.stg_emis__students as students using (student_id)
        inner join reference.isced_levels as isced
            on events.level = isced.level
            and events.grade between isced.first_grade and isced.last_grade
        where events.event_type = 'graduation'
            and events.event_date between date '2024-09-16' and date '2025-09-15'
        """
    ).df()
    values = uis["KG"].values
    assert values["6", "01", "1"] == (events["isced_level"] == "2").sum() > 0
    assert values["6", "02", "1"] == (events["isced_programme"] == "344").sum() > 0
    assert values["6", "03", "1"] == (events["isced_programme"] == "354").sum() > 0
    assert values["6", "04", "1"] == (events["isced_level"] == "6").sum() > 0
    beyond_preschool = events["isced_level"] != "0"  # leaving kindergarten is not asked
    assert values["6", "07", "1"] == beyond_preschool.sum()
    assert values["6", "07", "2"] == (beyond_preschool & (events["sex"] == "F")).sum()


def test_districts_add_up_to_the_oblast(uis):
    whole, parts = uis["41707"], (uis["41707215"], uis["41707400"])
    for key, value in whole.values.items():
        if value is None:
            assert parts[0].values[key] is None
            continue
        assert value == pytest.approx(parts[0].values[key] + parts[1].values[key]), key


def test_the_command_writes_symbols_and_notes(settings, tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("EMIS_HOME", str(settings.home))
    out = tmp_path / "uis.xlsx"
    code = cli_main(["report", "uis", "--year", "2025-2026", "--out", str(out), "--no-pdf"])
    printed = capsys.readouterr().out
    assert code == 0, printed
    assert "as of 2025-09-15" in printed and "0 failed" in printed
    book = openpyxl.load_workbook(out)
    assert book.sheetnames[0] == "Титул" and "Раздел 8" in book.sheetnames
    assert "UNESCO" in book["Титул"]["A1"].value
    teachers = [[cell for cell in row if cell is not None]
                for row in book["Раздел 7"].iter_rows(values_only=True)]  # fmt: skip
    assert ["МСКО 1", "03", "xr", "xr", "xr", "xr", "xr"] in teachers
    assert any("teachers_fte" in str(row[0]) for row in teachers if row)
    entrants = book["Раздел 5"]
    assert [entrants.cell(row, 5).value for row in range(6, 12)] == ["m"] * 6
    for number in range(1, 9):  # every sheet says where its cells come from
        sheet = book[f"Раздел {number}"]
        last = [cell for cell in sheet.iter_rows(values_only=True) if any(cell)][-1]
        assert len(str(last[0])) > 60, number


def test_a_wrong_year_is_one_line(settings, tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("EMIS_HOME", str(settings.home))
    code = cli_main(["report", "uis", "--year", "2025", "--out", str(tmp_path / "u.xlsx")])
    assert code == 2
    assert "--year 2025: not an academic year YYYY-YYYY" in capsys.readouterr().err
