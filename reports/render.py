"""One renderer for every form: a filled report as an XLSX workbook in the official style.

A title sheet (the form's name, reporting date, who submits it, the respondent block), one
sheet per section (merged column headings, the row and column codes, borders, frozen panes,
print area and titles, A4 landscape), and a check sheet with every control ratio and each
failure.
"""

from __future__ import annotations

import math
from pathlib import Path

from openpyxl import Workbook
from openpyxl.styles import Alignment, Border, Font, Side
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

from reports.declaration import Column, Section, Text
from reports.report import Report

FONT = "Times New Roman"
THIN = Side(style="thin")
BOX = Border(left=THIN, right=THIN, top=THIN, bottom=THIN)
LABEL_WIDTH = 58
CODE_WIDTH = 7
VALUE_WIDTH = 11
HEADER_ROW = 4  # first row of a section's column headings

T = {  # the blank's own wording, in both languages
    "state": Text(
        "ГОСУДАРСТВЕННАЯ СТАТИСТИЧЕСКАЯ ОТЧЕТНОСТЬ", "МАМЛЕКЕТТИК СТАТИСТИКАЛЫК ОТЧЕТТУУЛУК"
    ),
    "confidential": Text(
        "Конфиденциальность гарантируется получателем информации",
        "Купуялуулугу маалымат алуучу тарабынан кепилденет",
    ),
    "form_no": Text("Форма №", "Форма №"),
    "as_of": Text("по состоянию на {date}", "{date} карата абал боюнча"),
    "period": Text("за период с {start} по {end}", "{start} – {end} мезгили үчүн"),
    "section": Text("Раздел {n}. {title}", "{n}-бөлүм. {title}"),
    "section_sheet": Text("Раздел {n}", "{n}-бөлүм"),
    "title_sheet": Text("Титул", "Титул"),
    "check_sheet": Text("Контроль", "Контроль"),
    "indicator": Text("Наименование показателя", "Көрсөткүчтүн аталышы"),
    "row_no": Text("№ строки", "Саптын №"),
    "submitted_by": Text("Представляют", "Тапшыруучулар"),
    "periodicity": Text("Периодичность", "Мезгилдүүлүгү"),
    "respondent": Text("Наименование отчитывающейся организации", "Отчет берүүчү уюмдун аталышы"),
    "summary_of": Text("Свод по территории", "Аймак боюнча жыйынды"),
    "code": Text("Код (ИСУО / СОАТЕ)", "Код (БББМС / СОАТЕ)"),
    "territory": Text("Территория", "Аймак"),
    "coverage": Text("Охват", "Камтуу"),
    "organizations": Text("{n} — {label}", "{n} — {label}"),
    "reporting_date": Text("Отчетная дата", "Отчеттук күн"),
    "reporting_period": Text("Отчетный период (движение)", "Отчеттук мезгил (кыймыл)"),
    "academic_year": Text("Учебный год", "Окуу жылы"),
    "source": Text(
        "Источник данных: ИСУО, выгрузка реестров на {date}",
        "Маалымат булагы: БББМС, реестрлердин {date} карата көчүрмөсү",
    ),
    "generated": Text("Сформировано (UTC)", "Түзүлгөн (UTC)"),
    "ratios": Text("Контрольные соотношения", "Контролдук катыштар"),
    "ratios_ok": Text("{n} проверок, нарушений нет", "{n} текшерүү, бузуулар жок"),
    "ratios_failed": Text(
        "{failed} нарушений из {n} проверок (лист «Контроль»)",
        "{n} текшерүүдөн {failed} бузуу («Контроль» барагы)",
    ),
    "model": Text(
        "Макет смоделирован по образцу форм ОО-1 / 85-К: официальный бланк не был доступен.",
        "Макет ОО-1 / 85-К формаларынын үлгүсүндө түзүлдү: расмий бланк жеткиликсиз болгон.",
    ),
    "number": Text("№", "№"),
    "section_col": Text("Раздел", "Бөлүм"),
    "ratio": Text("Соотношение", "Катыш"),
    "checked": Text("Проверок", "Текшерүү"),
    "failed": Text("Нарушений", "Бузуу"),
    "result": Text("Результат", "Жыйынтык"),
    "passed_word": Text("выполнено", "аткарылды"),
    "failed_word": Text("нарушено", "бузулду"),
    "failures": Text("Нарушения", "Бузуулар"),
    "where": Text("Где", "Кайда"),
    "left": Text("Левая часть", "Сол жагы"),
    "right": Text("Правая часть", "Оң жагы"),
    "difference": Text("Разность", "Айырмасы"),
    "no_failures": Text("Нарушений нет.", "Бузуулар жок."),
    "form_level": Text("между разделами", "бөлүмдөр ортосунда"),
}


def write_workbook(report: Report, path: Path, language: str = "ru") -> Path:
    """Write ``report`` as an XLSX file at ``path`` (labels in ``language``: ru or ky)."""
    workbook = Workbook()
    title_sheet(workbook.active, report, language)
    for section in report.form.sections:
        name = T["section_sheet"].get(language).format(n=section.number)
        section_sheet(workbook.create_sheet(name), report, section, language)
    check_sheet(workbook.create_sheet(T["check_sheet"].get(language)), report, language)
    workbook.properties.title = f"{report.form.code}: {report.form.title.get(language)}"
    workbook.properties.creator = "emis-stats"
    path.parent.mkdir(parents=True, exist_ok=True)
    workbook.save(path)
    return path


def _date(day) -> str:
    return day.strftime("%d.%m.%Y")


def _font(size: int = 10, bold: bool = False, italic: bool = False) -> Font:
    return Font(name=FONT, size=size, bold=bold, italic=italic)


def _page_setup(sheet: Worksheet, last_col: int, last_row: int) -> None:
    sheet.print_area = f"A1:{get_column_letter(last_col)}{last_row}"
    sheet.page_setup.orientation = "landscape"
    sheet.page_setup.paperSize = sheet.PAPERSIZE_A4
    sheet.page_setup.fitToWidth = 1
    sheet.page_setup.fitToHeight = 0  # as many pages down as it takes
    sheet.sheet_properties.pageSetUpPr.fitToPage = True
    sheet.page_margins.left = sheet.page_margins.right = 0.4
    sheet.page_margins.top = sheet.page_margins.bottom = 0.5
    sheet.print_options.horizontalCentered = True


def _ratio_summary(report: Report, lang: str) -> str:
    if report.failures:
        return (
            T["ratios_failed"].get(lang).format(failed=len(report.failures), n=len(report.checks))
        )
    return T["ratios_ok"].get(lang).format(n=len(report.checks))


def _lines(text: str, width: float) -> int:
    """How many lines ``text`` wraps to in a column ``width`` characters wide."""
    return max(
        1, sum(math.ceil(max(len(part), 1) / max(width - 1, 1)) for part in text.split("\n"))
    )


def _merged(sheet: Worksheet, cell_range: str, value, **style) -> None:
    sheet.merge_cells(cell_range)
    first = sheet[cell_range.split(":")[0]]
    first.value = value
    for name, setting in style.items():
        setattr(first, name, setting)


def _box(sheet: Worksheet, first_row: int, last_row: int, first_col: int, last_col: int) -> None:
    for row in sheet.iter_rows(first_row, last_row, first_col, last_col):
        for cell in row:
            cell.border = BOX


def title_sheet(sheet: Worksheet, report: Report, language: str) -> None:
    form, lang = report.form, language
    sheet.title = T["title_sheet"].get(lang)
    sheet.sheet_view.showGridLines = False
    widths = {"A": 34, "B": 30, "C": 30, "D": 30}
    for column, width in widths.items():
        sheet.column_dimensions[column].width = width
    center = Alignment(horizontal="center", vertical="center", wrap_text=True)
    left = Alignment(horizontal="left", vertical="center", wrap_text=True)
    header = (form.header or T["state"]).get(lang)
    confidential = "" if form.header else T["confidential"].get(lang)
    _merged(sheet, "A1:D1", header, font=_font(11, bold=True), alignment=center)
    _merged(sheet, "A2:D2", confidential, font=_font(9, italic=True), alignment=center)
    _box(sheet, 1, 2, 1, 4)
    _merged(sheet, "A4:D4", form.title.get(lang), font=_font(13, bold=True), alignment=center)
    sheet.row_dimensions[4].height = 17 * _lines(form.title.get(lang), 110)
    when = T["as_of"].get(lang).format(date=_date(report.as_of))
    if report.period_start:
        span = (
            T["period"].get(lang).format(start=_date(report.period_start), end=_date(report.as_of))
        )
        when = f"{when}; {span}"
    _merged(sheet, "A5:D5", when, font=_font(11), alignment=center)

    submitted = form.submitted_by.get(lang) if form.submitted_by else ""
    sheet["A7"], sheet["D7"] = T["submitted_by"].get(lang), T["form_no"].get(lang)
    _merged(sheet, "B7:C7", T["periodicity"].get(lang), alignment=center)
    sheet["A8"], sheet["D8"] = submitted, form.code
    _merged(sheet, "B8:C8", form.periodicity.get(lang), alignment=center)
    for cell in ("A7", "D7"):
        sheet[cell].alignment = center
    sheet["A8"].alignment = left
    sheet["D8"].alignment = center
    sheet["D8"].font = _font(14, bold=True)
    sheet["A8"].font = _font(9)
    sheet.row_dimensions[8].height = 12 * _lines(submitted, 38)
    _box(sheet, 7, 8, 1, 4)

    scope = report.scope
    caption = T["respondent" if scope.kind == "organization" else "summary_of"].get(lang)
    respondent = (caption, scope.name.get(lang))
    territory = scope.location.get(lang) if scope.location else "—"
    label = form.organizations_label.get(lang) if form.organizations_label else ""
    ratio_summary = _ratio_summary(report, lang)
    lines = [
        respondent,
        (T["code"].get(lang), scope.code),
        (T["territory"].get(lang), territory),
        (T["coverage"].get(lang), T["organizations"].get(lang).format(
            n=report.organizations, label=label)),
        (T["reporting_date"].get(lang), _date(report.as_of)),
        (T["academic_year"].get(lang), report.academic_year),
    ]  # fmt: skip
    if report.period_start:
        period = f"{_date(report.period_start)} – {_date(report.as_of)}"
        lines.append((T["reporting_period"].get(lang), period))
    lines += [
        (T["generated"].get(lang), report.generated_at.strftime("%d.%m.%Y %H:%M")),
        (T["ratios"].get(lang), ratio_summary),
    ]
    row = 10
    for caption, value in lines:
        sheet.cell(row, 1, caption).alignment = left
        _merged(sheet, f"B{row}:D{row}", value, alignment=left)
        row += 1
    _box(sheet, 10, row - 1, 1, 4)
    for cell_row in sheet.iter_rows(1, row, 1, 4):
        for cell in cell_row:
            if cell.font.name != FONT:
                cell.font = _font()
    sheet.cell(10, 2).font = _font(11, bold=True)
    row += 1
    notes = [T["source"].get(lang).format(date=_date(report.snapshot_date))]
    notes += [note.get(lang) for note in form.notes]
    notes.append((form.layout_note or T["model"]).get(lang))
    for note in notes:
        _merged(sheet, f"A{row}:D{row}", note, font=_font(9, italic=True), alignment=left)
        sheet.row_dimensions[row].height = 13 * _lines(note, 120)
        row += 1
    _page_setup(sheet, 4, row - 1)
    sheet.page_setup.fitToHeight = 1


def _header_rows(section: Section) -> int:
    return 2 if any(col.group for col in section.columns) else 1


def section_sheet(sheet: Worksheet, report: Report, section: Section, language: str) -> None:
    """A section as the blank shows it: headings, the codes row (А, Б, 1, 2, ...), the rows."""
    lang, year = language, report.as_of.year
    columns = section.columns
    last_col = 2 + len(columns)
    sheet.sheet_view.showGridLines = False
    sheet.column_dimensions["A"].width = LABEL_WIDTH
    sheet.column_dimensions["B"].width = CODE_WIDTH
    for index in range(len(columns)):
        sheet.column_dimensions[get_column_letter(3 + index)].width = VALUE_WIDTH
    center = Alignment(horizontal="center", vertical="center", wrap_text=True)

    heading = f"{T['form_no'].get(lang)} {report.form.code} · " + T["as_of"].get(lang).format(
        date=_date(report.as_of)
    )
    heading = f"{heading} · {report.scope.name.get(lang)}"
    _merged(sheet, f"A1:{get_column_letter(last_col)}1", heading, font=_font(9, italic=True),
            alignment=Alignment(horizontal="right"))  # fmt: skip
    title = T["section"].get(lang).format(n=section.number, title=section.title.get(lang))
    _merged(sheet, f"A2:{get_column_letter(last_col)}2", title, font=_font(12, bold=True),
            alignment=Alignment(horizontal="left", vertical="center", wrap_text=True))  # fmt: skip
    if section.unit:
        unit = f"({section.unit.get(lang)})"
        _merged(sheet, f"A3:{get_column_letter(last_col)}3", unit, font=_font(9),
                alignment=Alignment(horizontal="right"))  # fmt: skip

    levels = _header_rows(section)
    top, bottom = HEADER_ROW, HEADER_ROW + levels - 1
    codes_row = bottom + 1
    for col_index, caption in ((1, T["indicator"].get(lang)), (2, T["row_no"].get(lang))):
        letter = get_column_letter(col_index)
        _merged(sheet, f"{letter}{top}:{letter}{bottom}", caption, alignment=center)
    _column_headings(sheet, columns, lang, top, bottom, center)
    sheet.cell(codes_row, 1, "А")
    sheet.cell(codes_row, 2, "Б")
    for index, col in enumerate(columns):
        sheet.cell(codes_row, 3 + index, int(col.code) if col.code.isdigit() else col.code)
    for cell in sheet[codes_row]:
        cell.alignment = center
        cell.font = _font(9)

    row_no = codes_row + 1
    symbols = {(cell.row, cell.col): cell.symbol for cell in report.form.cells()
               if cell.section == section.number and cell.blank}  # fmt: skip
    for row in section.rows:
        label = row.label.get(lang, year)
        label_cell = sheet.cell(row_no, 1, label)
        label_cell.alignment = Alignment(
            horizontal="left", vertical="center", wrap_text=True, indent=row.indent * 2
        )
        label_cell.font = _font(bold=row.bold)
        code_cell = sheet.cell(row_no, 2, row.code)
        code_cell.alignment = center
        code_cell.font = _font(bold=row.bold)
        for index, col in enumerate(columns):
            value = report.values[(section.number, row.code, col.code)]
            cell = sheet.cell(row_no, 3 + index)
            if value is None:
                cell.value, cell.alignment = symbols.get((row.code, col.code), "X"), center
            else:
                cell.value = value
                cell.number_format = "#,##0" if isinstance(value, int) else "#,##0.00"
                cell.alignment = Alignment(horizontal="right", vertical="center")
            cell.font = _font(bold=row.bold)
        sheet.row_dimensions[row_no].height = max(
            15, 13 * _lines(label, LABEL_WIDTH - 2 * row.indent)
        )
        row_no += 1
    last_row = row_no - 1
    _box(sheet, top, last_row, 1, last_col)
    end_row = last_row + 1  # notes under the table, after a blank row, inside the print area
    for note in section.notes:
        end_row += 1
        text = note.get(lang, year)
        _merged(sheet, f"A{end_row}:{get_column_letter(last_col)}{end_row}", text,
                font=_font(9, italic=True),
                alignment=Alignment(horizontal="left", vertical="top", wrap_text=True))  # fmt: skip
        sheet.row_dimensions[end_row].height = 13 * _lines(text, LABEL_WIDTH + 11 * len(columns))
    end_row = end_row if section.notes else last_row
    for cell_row in sheet.iter_rows(top, bottom, 1, last_col):
        for cell in cell_row:
            cell.font = _font(9)
    sheet.freeze_panes = sheet.cell(codes_row + 1, 3)
    _page_setup(sheet, last_col, end_row)
    sheet.print_title_rows = f"{top}:{codes_row}"


def _column_headings(sheet, columns: tuple[Column, ...], lang, top, bottom, center) -> None:
    """Grouped columns under one merged heading; the others span both heading rows."""
    tallest = 1
    index = 0
    while index < len(columns):
        col = columns[index]
        first = 3 + index
        if col.group is None or top == bottom:
            letter = get_column_letter(first)
            _merged(sheet, f"{letter}{top}:{letter}{bottom}", col.label.get(lang), alignment=center)
            tallest = max(tallest, _lines(col.label.get(lang), VALUE_WIDTH))
            index += 1
            continue
        span = 1
        while index + span < len(columns) and columns[index + span].group == col.group:
            span += 1
        start, end = get_column_letter(first), get_column_letter(first + span - 1)
        _merged(sheet, f"{start}{top}:{end}{top}", col.group.get(lang), alignment=center)
        for offset in range(span):
            member = columns[index + offset]
            sheet.cell(bottom, first + offset, member.label.get(lang)).alignment = center
            tallest = max(tallest, _lines(member.label.get(lang), VALUE_WIDTH) + 1)
        index += span
    if top == bottom:
        sheet.row_dimensions[top].height = max(30, 12 * tallest)
    else:
        sheet.row_dimensions[top].height = 26
        sheet.row_dimensions[bottom].height = max(30, 12 * (tallest - 1))


def check_sheet(sheet: Worksheet, report: Report, language: str) -> None:
    """Every control ratio with how often it was checked and failed; then each failure."""
    lang = language
    sheet.sheet_view.showGridLines = False
    widths = [6, 16, 60, 12, 12, 14, 12]
    for index, width in enumerate(widths, start=1):
        sheet.column_dimensions[get_column_letter(index)].width = width
    center = Alignment(horizontal="center", vertical="center", wrap_text=True)
    left = Alignment(horizontal="left", vertical="center", wrap_text=True)
    summary = _ratio_summary(report, lang)
    _merged(sheet, "A1:G1", f"{T['ratios'].get(lang)}: {report.form.code}",
            font=_font(12, bold=True), alignment=left)  # fmt: skip
    _merged(sheet, "A2:G2", summary, font=_font(10, bold=bool(report.failures)), alignment=left)
    if report.certification:  # the sign-off's share of the data (docs/signoff.md)
        _merged(sheet, "A3:G3", report.certification.get(lang), font=_font(), alignment=left)

    headings = ["number", "section_col", "ratio", "checked", "failed", "result"]
    for index, key in enumerate(headings, start=1):
        sheet.cell(4, index, T[key].get(lang)).alignment = center
    row = 5
    for number, section, ratio in report.form.control_ratios():
        checks = [check for check in report.checks if check.ratio_id == number]
        failed = sum(not check.passed for check in checks)
        values = [
            int(number),
            section or T["form_level"].get(lang),
            ratio.text,
            len(checks),
            failed,
            T["failed_word" if failed else "passed_word"].get(lang),
        ]
        for index, value in enumerate(values, start=1):
            cell = sheet.cell(row, index, value)
            cell.alignment = left if index == 3 else center
            cell.font = _font(bold=bool(failed))
        row += 1
    _box(sheet, 4, row - 1, 1, 6)
    sheet.freeze_panes = "A5"

    row += 1
    sheet.cell(row, 1, T["failures"].get(lang)).font = _font(11, bold=True)
    row += 1
    if not report.failures:
        sheet.cell(row, 1, T["no_failures"].get(lang)).font = _font()
    else:
        headings = ["number", "section_col", "ratio", "where", "left", "right", "difference"]
        for index, key in enumerate(headings, start=1):
            sheet.cell(row, index, T[key].get(lang)).alignment = center
        first = row
        for check in report.failures:
            row += 1
            place = check.section or T["form_level"].get(lang)
            values = [int(check.ratio_id), place, check.text, check.where,
                      check.left, check.right, check.left - check.right]  # fmt: skip
            for index, value in enumerate(values, start=1):
                cell = sheet.cell(row, index, value)
                cell.alignment = left if index == 3 else center
        _box(sheet, first, row, 1, 7)
    for cell_row in sheet.iter_rows(3, row, 1, 7):
        for cell in cell_row:
            if cell.font.name != FONT:
                cell.font = _font()
    _page_setup(sheet, 7, row)
    sheet.print_title_rows = "4:4"
