"""The renderer: any declaration as a workbook in the official layout."""

import datetime as dt

import openpyxl
import pytest

from reports.declaration import Text
from reports.ratios import evaluate
from reports.render import write_workbook
from reports.report import Report, Scope
from tests.unit.reports.test_fill import FORM, LEARNERS, ORGANIZATIONS


@pytest.fixture
def workbook(tmp_path):
    from reports.fill import fill

    values = fill(FORM, {"organizations": ORGANIZATIONS, "learners": LEARNERS})
    values["1", "03", "2"] = 99  # planted: row 03 is no longer row 01 + row 02 in column 2
    checks = [
        check
        for number, section, ratio in FORM.control_ratios()
        for check in evaluate(ratio, number, section, FORM.layouts, values)
    ]
    report = Report(
        form=FORM,
        scope=Scope("41707", "oblast", Text("Таласская область", "Талас облусу")),
        as_of=dt.date(2025, 9, 15),
        academic_year="2025-2026",
        period_start=None,
        snapshot_date=dt.date(2026, 1, 15),
        organizations=2,
        values=values,
        checks=checks,
    )
    path = write_workbook(report, tmp_path / "t.xlsx")
    return openpyxl.load_workbook(path)


def test_a_title_sheet_a_sheet_per_section_and_a_check_sheet(workbook):
    assert workbook.sheetnames == ["Титул", "Раздел 1", "Контроль"]
    title = workbook["Титул"]
    texts = {cell.value for row in title.iter_rows() for cell in row if cell.value}
    assert {"Т-1", "Тест", "по состоянию на 15.09.2025", "Таласская область"} <= texts


def test_a_section_in_the_official_layout(workbook):
    sheet = workbook["Раздел 1"]
    assert sheet["A2"].value == "Раздел 1. Учащиеся"
    assert [sheet.cell(5, col).value for col in range(1, 7)] == ["А", "Б", 1, 2, 3, 4]  # codes
    assert [sheet.cell(row, 2).value for row in (6, 7, 8)] == ["01", "02", "03"]
    assert [sheet.cell(6, col).value for col in range(3, 7)] == [22, 10, 22, 1]
    assert sheet["F7"].value == "X"
    assert sheet.freeze_panes == "C6"
    assert sheet.print_title_rows == "$4:$5"
    assert sheet.print_area == "'Раздел 1'!$A$1:$F$8"
    assert sheet.page_setup.orientation == "landscape"
    assert str(sheet.page_setup.paperSize) == sheet.PAPERSIZE_A4 == "9"
    assert sheet.page_setup.fitToWidth == 1
    assert all(sheet.cell(row, col).border.left.style == "thin" for row in (4, 8) for col in (1, 6))


def test_failed_ratios_are_listed_with_their_values(workbook):
    sheet = workbook["Контроль"]
    texts = [[cell.value for cell in row] for row in sheet.iter_rows()]
    assert any(row[2] == "стр. 03 = стр. 01 + стр. 02" and row[4] == 1 for row in texts)
    failure = [row for row in texts if row[3] == "гр. 2"]
    assert failure and failure[0][4:7] == [99, 17, 82]
