"""One register file -> a staged table of text (ingestion.readers).

Every fixture is built in tmp_path by the test itself: nothing binary lives in the repo.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
import zipfile
from collections.abc import Callable
from pathlib import Path

import duckdb
import openpyxl
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from ingestion import readers
from ingestion.contract import ATTENDANCE_MARKS, GRADES, INFRASTRUCTURE, ORGANIZATIONS
from ingestion.readers import _STRIP_CHARS, FileError, StagedFile, find_table_file, stage_file

HEADER = list(ORGANIZATIONS.column_names)
# Cyrillic (all of it in Windows-1251), a quote and a comma, a line break inside a value, the
# text "NULL", surrounding whitespace, a whitespace-only cell, empty cells.
ROWS = [
    ["ORG001", "Средняя школа № 1 им. Ч. Айтматова", "Айтматов атындагы орто мектеп",
     "school", "state", "41711000", "urban", "ky;ru", "active", "1965-09-01", "", "1200", "2",
     "2025-08-30T10:15:00"],
    ["ORG002", 'Гимназия "Келечек", г. Ош', "   ", "gymnasium", "municipal", "41721000", "urban",
     "ru", "closed", "1990-01-15", "2024-06-30", "640", "1", "2025-01-01T08:00:05"],
    ["  ORG003 ", "Лицей\n«Илим»", "NULL", "lyceum", "private", "41702000", "rural", "ky",
     "active", "", "", "", "", "2025-09-01T12:30:00"],
]  # fmt: skip
EXPECTED = [
    (*(value.strip() or None for value in row), number) for number, row in enumerate(ROWS, 1)
]


def _csv_text(
    header: list[str], rows: list[list[str]], delimiter=",", eol="\n", quoting=csv.QUOTE_MINIMAL
) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=delimiter, lineterminator=eol, quoting=quoting)
    writer.writerow(header)
    writer.writerows(rows)
    return buffer.getvalue()


def _write_csv(
    path: Path, encoding="utf-8", delimiter=",", eol="\n", header=None, rows=None, **kw
) -> Path:
    header = HEADER if header is None else header
    text = _csv_text(header, ROWS if rows is None else rows, delimiter, eol, **kw)
    path.write_bytes(text.encode(encoding))
    return path


def _typed(column: str, value: str) -> object:
    """A fixture value as a typed cell (the way Excel or a Parquet writer would hold it)."""
    if value == "":
        return None
    if column in ("opened_date", "closed_date"):
        return dt.date.fromisoformat(value)
    if column == "updated_at":
        return dt.datetime.fromisoformat(value)
    if column == "design_capacity":
        return float(value)  # Excel stores every number as a float: 1200.0 must read "1200"
    if column == "shifts":
        return int(value)
    return value


def _write_xlsx(path: Path, header: list[str], rows: list[list[object]]) -> Path:
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.append(header)
    for row in rows:
        sheet.append(row)
    workbook.create_sheet("notes").append(["ignored: only the first sheet is read"])
    workbook.save(path)
    return path


def _organizations_xlsx(path: Path) -> Path:
    rows = [[_typed(column, value) for column, value in zip(HEADER, row, strict=True)]
            for row in ROWS]  # fmt: skip
    path = _write_xlsx(path, HEADER, rows)
    # The date cells really are Excel dates (numbers with a date format), not text.
    sheet = openpyxl.load_workbook(path).active
    assert sheet["J2"].is_date and sheet["N2"].is_date
    assert sheet["L2"].data_type == "n"
    return path


def _organizations_parquet(path: Path) -> Path:
    columns = {column: [_typed(column, row[i]) for row in ROWS] for i, column in enumerate(HEADER)}
    columns["name_ky"][1] = ""  # an empty string is as missing as whitespace or a null
    types = {
        "opened_date": pa.date32(),
        "closed_date": pa.date32(),
        "design_capacity": pa.int64(),
        "shifts": pa.int32(),
        "updated_at": pa.timestamp("s"),
    }
    columns["design_capacity"] = [None if v is None else int(v) for v in columns["design_capacity"]]
    arrays = {name: pa.array(values, type=types.get(name, pa.string()))
              for name, values in columns.items()}  # fmt: skip
    pq.write_table(pa.table(arrays), path)
    return path


@pytest.fixture
def con() -> duckdb.DuckDBPyConnection:
    connection = duckdb.connect()
    yield connection
    connection.close()


def _stage(con, path: Path, table=ORGANIZATIONS, work_dir: Path | None = None) -> StagedFile:
    return stage_file(con, path, table, "staged", work_dir or path.parent / "work")


def _staged_rows(con) -> list[tuple]:
    return con.execute("SELECT * FROM staged ORDER BY row_number").fetchall()


def _file_error(con, path: Path, table=ORGANIZATIONS) -> FileError:
    with pytest.raises(FileError) as caught:
        _stage(con, path, table)
    error = caught.value
    message = str(error)
    assert "\n" not in message and message.startswith(f"{path.name}: "), message
    assert error.file == path.name and message == f"{error.file}: {error.problem}"
    return error


VARIANTS: dict[str, tuple[Callable[[Path], Path], str, str | None, str | None]] = {
    "utf-8": (lambda d: _write_csv(d / "organizations.csv"), "csv", "utf-8", ","),
    "utf-8 BOM": (
        lambda d: _write_csv(d / "organizations.csv", encoding="utf-8-sig"),
        "csv", "utf-8-sig", ",",
    ),
    "windows-1251": (
        lambda d: _write_csv(d / "organizations.csv", encoding="cp1251", eol="\r\n"),
        "csv", "cp1251", ",",
    ),
    "semicolon": (
        lambda d: _write_csv(d / "organizations.csv", delimiter=";"), "csv", "utf-8", ";",
    ),
    "windows-1251 semicolon CRLF": (
        lambda d: _write_csv(d / "organizations.csv", "cp1251", ";", "\r\n"), "csv", "cp1251", ";",
    ),
    "every value quoted": (
        lambda d: _write_csv(d / "organizations.csv", delimiter=";", quoting=csv.QUOTE_ALL),
        "csv", "utf-8", ";",
    ),
    "xlsx": (lambda d: _organizations_xlsx(d / "organizations.xlsx"), "xlsx", None, None),
    "parquet": (lambda d: _organizations_parquet(d / "organizations.parquet"), "parquet", None,
                None),
}  # fmt: skip


@pytest.mark.parametrize("variant", VARIANTS)
def test_every_format_stages_the_same_text(con, tmp_path, variant):
    write, format_, encoding, delimiter = VARIANTS[variant]
    path = write(tmp_path)
    staged = _stage(con, path)
    assert staged == StagedFile("organizations", path.name, format_, encoding, delimiter, 3, (), ())
    assert _staged_rows(con) == EXPECTED
    columns = con.execute(
        "SELECT column_name, data_type FROM information_schema.columns "
        "WHERE table_name = 'staged' ORDER BY ordinal_position"
    ).fetchall()
    assert columns == [(name, "VARCHAR") for name in HEADER] + [("row_number", "BIGINT")]
    assert list((tmp_path / "work").iterdir()) == []  # temporary files are gone


def test_quoted_values_keep_commas_quotes_line_breaks_and_the_text_null(con, tmp_path):
    _stage(con, _write_csv(tmp_path / "organizations.csv"))
    names = con.execute("SELECT name_ru, name_ky FROM staged ORDER BY row_number").fetchall()
    assert names[1][0] == 'Гимназия "Келечек", г. Ош'
    assert names[2] == ("Лицей\n«Илим»", "NULL")  # the text NULL is a value, not a null


def test_each_whitespace_character_is_stripped_at_either_end_and_only_there(con, tmp_path):
    """Every stripped character (ASCII whitespace, no-break space, BOM) at the start, the end or
    both; characters near them that are kept (a control character, U+00A1, a combining accent,
    a Cyrillic letter); a value of stripped characters only is NULL."""
    values = ["", "x", "Ж", "\u00a1", "e\u0301", "\x01a", "a\x01", "\u00a0\u00a0"]
    for char in _STRIP_CHARS:
        values += [
            f"{char}a",
            f"a{char}",
            f"{char}Жа{char}",
            f"a{char}b",
            char * 2,
            f"\u00a1{char}",
        ]
    rows = [["ORG1", value, *[""] * (len(HEADER) - 2)] for value in values]
    path = _write_csv(tmp_path / "organizations.csv", rows=rows, quoting=csv.QUOTE_ALL)
    _stage(con, path)
    staged = [
        row[0] for row in con.execute("SELECT name_ru FROM staged ORDER BY row_number").fetchall()
    ]
    assert staged == [value.strip(_STRIP_CHARS) or None for value in values]


def test_windows_1251_is_not_mistaken_for_utf8(con, tmp_path):
    path = tmp_path / "organizations.csv"
    _write_csv(path, encoding="cp1251")
    assert _stage(con, path).encoding == "cp1251"
    assert con.execute("SELECT name_ru FROM staged WHERE row_number = 1").fetchall() == [
        (ROWS[0][1],)
    ]


def test_an_unknown_column_is_reported_and_not_staged(con, tmp_path):
    header = [*HEADER[:3], "Comment", *HEADER[3:]]
    rows = [[*row[:3], "note", *row[3:]] for row in ROWS]
    staged = _stage(con, _write_csv(tmp_path / "organizations.csv", header=header, rows=rows))
    assert staged.extra_columns == ("Comment",)
    assert _staged_rows(con) == EXPECTED


def test_a_missing_optional_column_is_null_and_reported(con, tmp_path):
    keep = [i for i, name in enumerate(HEADER) if name not in ("name_ky", "shifts")]
    header = [HEADER[i] for i in keep]
    rows = [[row[i] for i in keep] for row in ROWS]
    staged = _stage(con, _write_csv(tmp_path / "organizations.csv", header=header, rows=rows))
    assert staged.missing_optional == ("name_ky", "shifts")
    assert con.execute("SELECT count(*) FROM staged WHERE name_ky IS NULL AND shifts IS NULL"
                       ).fetchall() == [(3,)]  # fmt: skip
    assert [row[0] for row in _staged_rows(con)] == ["ORG001", "ORG002", "ORG003"]


def test_a_missing_required_column_stops_the_load(con, tmp_path):
    keep = [i for i, name in enumerate(HEADER) if name not in ("org_id", "status")]
    header = [HEADER[i] for i in keep]
    rows = [[row[i] for i in keep] for row in ROWS]
    path = _write_csv(tmp_path / "organizations.csv", header=header, rows=rows)
    assert _file_error(con, path).problem == "missing required column(s): org_id, status"


def test_header_names_match_ignoring_case_and_whitespace(con, tmp_path):
    header = [f"  {name.upper()} " if i % 2 else name.title() for i, name in enumerate(HEADER)]
    path = _write_csv(tmp_path / "organizations.csv", header=header, encoding="utf-8-sig")
    staged = _stage(con, path)
    assert (staged.extra_columns, staged.missing_optional) == ((), ())
    assert _staged_rows(con) == EXPECTED


def test_a_column_named_twice_stops_the_load(con, tmp_path):
    header = [*HEADER, "ORG_ID"]
    rows = [[*row, "x"] for row in ROWS]
    path = _write_csv(tmp_path / "organizations.csv", header=header, rows=rows)
    assert "org_id appears more than once" in _file_error(con, path).problem


def test_an_empty_file_stops_the_load(con, tmp_path):
    path = tmp_path / "organizations.csv"
    path.write_bytes(b"")
    assert _file_error(con, path).problem == "file is empty"


@pytest.mark.parametrize("content", [b"\n", b"\xef\xbb\xbf", b"  \r\n1,2\r\n"])
def test_a_file_without_a_header_stops_the_load(con, tmp_path, content):
    path = tmp_path / "organizations.csv"
    path.write_bytes(content)
    assert "no header" in _file_error(con, path).problem


def test_a_header_of_one_name_has_no_delimiter(con, tmp_path):
    path = tmp_path / "organizations.csv"
    path.write_text("org_id\nORG001\n")
    assert "cannot find the delimiter" in _file_error(con, path).problem


@pytest.mark.parametrize("eol", ["", "\n"])
def test_a_header_only_file_stages_no_rows(con, tmp_path, eol):
    path = tmp_path / "organizations.csv"
    path.write_text(",".join(HEADER) + eol)
    assert _stage(con, path).rows == 0
    assert _staged_rows(con) == []


def test_a_truncated_last_line_stops_the_load(con, tmp_path):
    path = _write_csv(tmp_path / "organizations.csv", rows=ROWS[:2])  # no line breaks in values
    path.write_text(path.read_text() + "ORG004,Школа,,school,state\n")
    assert _file_error(con, path).problem.startswith("line 4: 5 fields where the header has 14")


def test_a_line_with_too_many_fields_stops_the_load(con, tmp_path):
    rows = [ROWS[0], [*ROWS[1], "surplus"], ROWS[0]]
    path = _write_csv(tmp_path / "organizations.csv", rows=rows)
    assert _file_error(con, path).problem.startswith("line 3: 15 fields")


def test_an_unclosed_quote_stops_the_load(con, tmp_path):
    path = _write_csv(tmp_path / "organizations.csv", rows=ROWS[:1])
    path.write_text(path.read_text() + 'ORG009,"Школа\n')
    assert "line 3" in _file_error(con, path).problem


@pytest.mark.parametrize(
    ("garbage", "where"),
    [(b"\x00\x00", "NUL byte on line 3"), (b"\x98", "byte 0x98 on line 3")],
)
def test_undecodable_bytes_stop_the_load(con, tmp_path, garbage, where):
    path = tmp_path / "organizations.csv"
    good = _csv_text(HEADER, ROWS[:1]).encode("cp1251")  # makes the file invalid UTF-8 too
    path.write_bytes(good + b"ORG002," + garbage + b"\n")
    problem = _file_error(con, path).problem
    assert problem == f"cannot decode as UTF-8 or Windows-1251 ({where})"
    assert list((tmp_path / "work").iterdir()) == []


def test_nul_bytes_in_otherwise_valid_utf8_stop_the_load(con, tmp_path):
    path = tmp_path / "organizations.csv"
    path.write_bytes(_csv_text(HEADER, ROWS).encode("utf-16"))
    assert "cannot decode as UTF-8 or Windows-1251" in _file_error(con, path).problem


def test_a_bom_followed_by_invalid_utf8_stops_the_load(con, tmp_path):
    path = tmp_path / "organizations.csv"
    path.write_bytes(b"\xef\xbb\xbf" + _csv_text(HEADER, ROWS).encode("cp1251"))
    assert "byte-order mark but is not UTF-8" in _file_error(con, path).problem


def test_a_character_cut_by_ascii_between_chunks_is_not_utf8(con, tmp_path, monkeypatch):
    # Chunks of 4 bytes: "\xd0" waits for its second byte, the next chunk is plain ASCII (and
    # must still be decoded), the byte after it would complete "Ж" if the ASCII were skipped.
    monkeypatch.setattr(readers, "CHUNK_SIZE", 4)
    path = tmp_path / "organizations.csv"
    path.write_bytes(b"abc\xd0" + b"defg" + b"\x96hij")
    assert readers._detect_encoding(path) == "cp1251"
    path.write_bytes(b"abc\xd0" + b"\x96efg" + b"hijk")  # split across chunks, valid: "Ж"
    assert readers._detect_encoding(path) == "utf-8"


def _large_grades_file(path: Path, n: int) -> Path:
    """``n`` grade rows (300k are ~23 MB): student STU<i> is on line i + 1."""
    with path.open("w") as stream:
        stream.write(",".join(GRADES.column_names) + "\n")
        stream.writelines(
            f"STU{i:08d},CLS{i // 30:07d},2025-2026,russian_language,q{1 + i % 4},{2 + i % 4},"
            f"2025-10-28T07:27:42Z\n"
            for i in range(1, n + 1)
        )
    return path


def test_row_number_follows_file_order_on_a_large_file(con, tmp_path):
    # 300k rows are split across DuckDB's parallel CSV scanners (threads forced to 4 so this
    # holds on any machine); row_number must still be the position in the file.
    n = 300_000
    path = _large_grades_file(tmp_path / "grades.csv", n)
    con.execute("SET threads = 4")
    position = "CAST(substr(student_id, 4) AS BIGINT)"
    # The check is not vacuous: read without insertion order, this file comes back shuffled
    # (a busy machine may schedule the scanners in order once; one shuffled read suffices).
    con.execute("SET preserve_insertion_order = false")
    shuffled_reads = 0
    for _ in range(10):
        con.execute(
            "CREATE OR REPLACE TEMP TABLE shuffled AS "
            f"SELECT * FROM read_csv('{path}', header = true)"
        )
        shuffled = f"SELECT count(*) FROM shuffled WHERE {position} <> rowid + 1"
        shuffled_reads += con.execute(shuffled).fetchall() != [(0,)]
        if shuffled_reads:
            break
    assert shuffled_reads

    assert _stage(con, path, GRADES).rows == n
    mismatched = f"SELECT count(*) FROM staged WHERE {position} <> row_number"
    assert con.execute(mismatched).fetchall() == [(0,)]
    assert con.execute("SELECT min(row_number), max(row_number) FROM staged").fetchall() == [(1, n)]


def test_row_number_counts_from_one_inside_a_transaction_writing_a_warehouse(con, tmp_path):
    # Ingestion stages inside the DuckDB warehouse's load transaction, where a new table's row
    # ids start near 2^55: row_number must still be the position in the file, twice over.
    con.execute(f"ATTACH '{tmp_path / 'warehouse.duckdb'}' AS warehouse")
    con.execute("BEGIN TRANSACTION")
    con.execute("CREATE TABLE warehouse.loaded AS SELECT 1 AS x")
    path = _write_csv(tmp_path / "organizations.csv")
    for _ in range(2):
        assert _stage(con, path).rows == len(EXPECTED)
        assert con.execute("SELECT min(rowid) FROM staged__text").fetchall()[0][0] > 2**50
        assert _staged_rows(con) == EXPECTED
    con.execute("ROLLBACK")


def test_dropped_rows_leave_the_others_numbered_and_in_file_order(con, tmp_path):
    # Ingestion drops the rows it quarantines and writes the rest with a plain scan, inside the
    # warehouse's load transaction (row ids near 2^55), over a file read by parallel scanners.
    n = 300_000
    path = _large_grades_file(tmp_path / "grades.csv", n)
    con.execute("SET threads = 4")
    con.execute(f"ATTACH '{tmp_path / 'warehouse.duckdb'}' AS warehouse")
    con.execute("BEGIN TRANSACTION")
    con.execute("CREATE TABLE warehouse.loaded AS SELECT 1 AS x")
    assert _stage(con, path, GRADES).rows == n
    dropped = "SELECT row_number FROM staged WHERE row_number % 7 = 0 OR row_number IN (1, 2)"
    readers.drop_staged_rows(con, "staged", dropped)
    readers.drop_staged_rows(con, "staged", "SELECT 3 AS row_number")  # the first row again
    kept = [i for i in range(4, n + 1) if i % 7]
    scanned = con.execute(
        "SELECT row_number, CAST(substr(student_id, 4) AS BIGINT) FROM staged"
    ).fetchall()
    assert scanned == [(i, i) for i in kept]
    con.execute("ROLLBACK")


def test_insertion_order_setting_is_restored(con, tmp_path):
    con.execute("SET preserve_insertion_order = false")
    _stage(con, _write_csv(tmp_path / "organizations.csv"))
    assert _staged_rows(con) == EXPECTED
    setting = con.execute("SELECT current_setting('preserve_insertion_order')").fetchall()
    assert setting == [(False,)]


def test_staging_replaces_the_previous_table(con, tmp_path):
    _stage(con, _write_csv(tmp_path / "organizations.csv"))
    _stage(con, _write_csv(tmp_path / "organizations.csv", rows=ROWS[:1]))
    assert _staged_rows(con) == EXPECTED[:1]


# --- XLSX details --------------------------------------------------------------------------------


def test_xlsx_cells_become_the_text_a_csv_would_hold(con, tmp_path):
    header = ["org_id", "survey_date", "has_electricity", "internet_mbps", "buildings",
              "updated_at"]  # fmt: skip
    rows = [
        ["ORG001", dt.datetime(2025, 5, 20), True, 12.5, 2.0, dt.datetime(2025, 5, 20, 9, 5, 7)],
        ["ORG002", dt.date(2025, 5, 21), False, 0.00001, 3, "2025-05-21T10:00:00"],
        [None, None, None, None, None, None],  # an empty row inside the data is a row
        ["ORG003", "21.05.2025", None, 100.0, None, dt.datetime(2025, 5, 21, 23, 59, 59)],
        [None] * 6,  # trailing empty rows are not
        [None] * 6,
    ]
    path = _write_xlsx(tmp_path / "infrastructure.xlsx", header, rows)
    staged = _stage(con, path, INFRASTRUCTURE)
    assert staged.rows == 4 and staged.format == "xlsx"
    selected = "org_id, survey_date, has_electricity, internet_mbps, buildings, updated_at"
    got = con.execute(f"SELECT {selected}, row_number FROM staged ORDER BY row_number").fetchall()
    assert got == [
        ("ORG001", "2025-05-20", "true", "12.5", "2", "2025-05-20T09:05:07", 1),
        ("ORG002", "2025-05-21", "false", "0.00001", "3", "2025-05-21T10:00:00", 2),
        (None, None, None, None, None, None, 3),
        ("ORG003", "21.05.2025", None, "100", None, "2025-05-21T23:59:59", 4),
    ]


def test_xlsx_values_beyond_the_header_are_reported(con, tmp_path):
    rows = [[*row, None, "stray note"] for row in ROWS]
    path = _write_xlsx(tmp_path / "organizations.xlsx", HEADER, rows)
    staged = _stage(con, path)
    assert staged.extra_columns == (f"(unnamed column {len(HEADER) + 2})",)
    assert [row[0] for row in _staged_rows(con)] == ["ORG001", "ORG002", "ORG003"]


def test_an_xlsx_declaring_a_wrong_sheet_size_is_read_whole(con, tmp_path):
    # Some writers declare the sheet as "A1"; openpyxl's read-only mode would believe them.
    path = _organizations_xlsx(tmp_path / "organizations.xlsx")
    with zipfile.ZipFile(path) as archive:
        parts = {name: archive.read(name) for name in archive.namelist()}
    sheet = "xl/worksheets/sheet1.xml"
    parts[sheet], count = re.subn(rb'<dimension ref="[^"]*"', b'<dimension ref="A1"', parts[sheet])
    assert count == 1
    with zipfile.ZipFile(path, "w") as archive:
        for name, data in parts.items():
            archive.writestr(name, data)
    assert _stage(con, path).rows == 3
    assert _staged_rows(con) == EXPECTED


def test_an_xlsx_without_a_header_stops_the_load(con, tmp_path):
    path = _write_xlsx(tmp_path / "organizations.xlsx", [], [])
    assert "no header in row 1" in _file_error(con, path).problem


def test_a_corrupt_xlsx_stops_the_load(con, tmp_path):
    path = tmp_path / "organizations.xlsx"
    path.write_bytes(b"PK\x03\x04 this is not really a zip archive")
    assert _file_error(con, path).problem.startswith("not a readable XLSX file: ")


# --- Parquet details ----------------------------------------------------------------------------


def test_parquet_typed_columns_become_text(con, tmp_path):
    table = pa.table({
        "ORG_ID": pa.array(["ORG001", "ORG002", None]),
        "survey_date": pa.array([dt.date(2025, 5, 20), None, dt.date(2024, 2, 29)]),
        "has_electricity": pa.array([True, False, None]),
        "internet_mbps": pa.array([12.5, 100.0, None], type=pa.float64()),
        "buildings": pa.array([2, None, 1], type=pa.int16()),
        "updated_at": pa.array(
            [dt.datetime(2025, 5, 20, 9, 5, 7), None, dt.datetime(2025, 1, 1, 0, 0, 1)],
            type=pa.timestamp("us"),
        ),
        "source_system": pa.array(["a", "b", "c"]),
    })  # fmt: skip
    path = tmp_path / "infrastructure.parquet"
    pq.write_table(table, path)
    staged = _stage(con, path, INFRASTRUCTURE)
    assert staged.extra_columns == ("source_system",) and staged.rows == 3
    selected = "org_id, survey_date, has_electricity, internet_mbps, buildings, updated_at"
    got = con.execute(f"SELECT {selected}, row_number FROM staged ORDER BY row_number").fetchall()
    assert got == [
        ("ORG001", "2025-05-20", "true", "12.5", "2", "2025-05-20T09:05:07", 1),
        ("ORG002", None, "false", "100", None, None, 2),
        (None, "2024-02-29", None, None, "1", "2025-01-01T00:00:01", 3),
    ]


def test_parquet_timestamps_with_a_time_zone_become_utc(con, tmp_path):
    con.execute("SET TimeZone = 'Asia/Bishkek'")  # the session's zone must not leak in
    bishkek = dt.timezone(dt.timedelta(hours=6))
    moments = [dt.datetime(2025, 10, 28, 13, 27, 42, tzinfo=bishkek),
               dt.datetime(2025, 10, 28, 7, 27, 42, 123000, tzinfo=dt.UTC)]  # fmt: skip
    table = pa.table({
        "class_id": ["CLS1", "CLS1"],
        "date": pa.array([dt.date(2025, 10, 27), dt.date(2025, 10, 28)]),
        "marked_at": pa.array(moments, type=pa.timestamp("ms", tz="Asia/Bishkek")),
    })  # fmt: skip
    path = tmp_path / "attendance_marks.parquet"
    pq.write_table(table, path)
    _stage(con, path, ATTENDANCE_MARKS)
    assert con.execute("SELECT marked_at FROM staged ORDER BY row_number").fetchall() == [
        ("2025-10-28T07:27:42Z",),
        ("2025-10-28T07:27:42.123Z",),
    ]


def test_a_corrupt_parquet_stops_the_load(con, tmp_path):
    path = tmp_path / "organizations.parquet"
    path.write_bytes(b"PAR1 not really parquet PAR1")
    assert _file_error(con, path).problem.startswith("not a readable Parquet file: ")


# --- finding the file ---------------------------------------------------------------------------


def test_find_table_file(tmp_path):
    assert find_table_file(tmp_path, ORGANIZATIONS) is None
    (tmp_path / "organizations.json").write_text("{}")
    (tmp_path / "organizations.csv.bak").write_text("")
    assert find_table_file(tmp_path, ORGANIZATIONS) is None
    path = tmp_path / "Organizations.CSV"
    path.write_text("x")
    assert find_table_file(tmp_path, ORGANIZATIONS) == path


def test_a_table_in_two_formats_stops_the_load(tmp_path):
    (tmp_path / "organizations.csv").write_text("x")
    (tmp_path / "organizations.xlsx").write_text("x")
    with pytest.raises(FileError) as caught:
        find_table_file(tmp_path, ORGANIZATIONS)
    message = str(caught.value)
    assert message.startswith("organizations.csv: ") and "organizations.xlsx" in message
    assert "\n" not in message
