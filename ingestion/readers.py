"""Read one register file of an export into a DuckDB table of text columns.

Every format (CSV, XLSX, Parquet) ends up the same way: a TEMP view with one VARCHAR column per
contract column, in contract order, plus ``row_number`` (the row's 1-based position among the
data rows). Values stay text here; typing and row validation come later, so that a bad value
quarantines one row instead of stopping the load. Only whole-file problems raise ``FileError``.

National files reach 1.5 GB / 16 million rows, so nothing here holds a file in Python memory:
CSV is read by DuckDB's ``read_csv``; Windows-1251 is transcoded to a temporary UTF-8 file in
chunks (DuckDB's own cp1251 support needs an extension that cannot be downloaded here); XLSX is
streamed through openpyxl into a temporary CSV; Parquet is read by DuckDB's ``read_parquet``.
"""

from __future__ import annotations

import codecs
import csv
import datetime as dt
import logging
import math
import re
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

import duckdb

from emis.errors import UserError
from ingestion.contract import FILE_SUFFIXES, Table

log = logging.getLogger(__name__)

CHUNK_SIZE = 16 << 20  # bytes per read when validating or transcoding
HEADER_LIMIT = 1 << 20  # a header line longer than this is not a header
UTF8_BOM = b"\xef\xbb\xbf"
UNDECODABLE = "cannot decode as UTF-8 or Windows-1251"

# Stripped around every value and header name: ASCII whitespace, the no-break space Excel users
# type by accident, and a stray BOM.
_STRIP_CHARS = " \t\n\r\v\f\u00a0\ufeff"
_TRIM_SQL = " || ".join(f"chr({ord(char)})" for char in _STRIP_CHARS)
_STRIP_CODES = ", ".join(str(ord(char)) for char in _STRIP_CHARS)
_MAX_PROBLEM = 200


class FileError(UserError):
    """A whole-file problem: the load stops. str() is one line naming the file and the problem."""

    def __init__(self, file: str, problem: str):
        self.file = file
        self.problem = _one_line(problem)
        super().__init__(f"{file}: {self.problem}")

    def __reduce__(self) -> tuple[Any, ...]:  # keep (file, problem) across pickling
        return (type(self), (self.file, self.problem))


@dataclass(frozen=True)
class StagedFile:
    table: str  # contract table name, e.g. "students"
    file: str  # file name as found, e.g. "students.csv"
    format: str  # "csv" | "xlsx" | "parquet"
    encoding: str | None  # "utf-8", "utf-8-sig" (BOM), "cp1251"; None for xlsx/parquet
    delimiter: str | None  # "," or ";"; None for xlsx/parquet
    rows: int  # data rows staged (header excluded)
    extra_columns: tuple[str, ...]  # columns in the file the contract does not know (a warning)
    missing_optional: tuple[str, ...]  # optional contract columns absent (loaded as NULL)


def find_table_file(export_dir: Path, table: Table) -> Path | None:
    """The file holding ``table`` (stem = table.name, suffix in FILE_SUFFIXES), or None if absent.

    Names match case-insensitively (exports made on Windows may say ``Students.CSV``). Raises
    FileError if the table is present more than once (e.g. students.csv and students.xlsx).
    """
    wanted = {f"{table.name}{suffix}".lower() for suffix in FILE_SUFFIXES}
    found = sorted(
        path for path in export_dir.iterdir() if path.name.lower() in wanted and path.is_file()
    )
    if len(found) > 1:
        others = ", ".join(path.name for path in found[1:])
        raise FileError(
            found[0].name, f"table {table.name} is also present as {others}; keep only one file"
        )
    return found[0] if found else None


def stage_file(
    con: duckdb.DuckDBPyConnection, path: Path, table: Table, into: str, work_dir: Path
) -> StagedFile:
    """Create (or replace) TEMP view ``into`` of ``path``'s rows as text; ``unstage`` drops it.

    Columns: one VARCHAR per contract column in contract order (NULL when the file lacks an
    optional one), then ``row_number BIGINT``, the row's 1-based position among the data rows in
    file order (for CSV without blank lines or line breaks inside values, the physical line is
    row_number + 1; for XLSX the sheet row is). Empty and whitespace-only cells are NULL; other
    values are kept as text with surrounding whitespace stripped. Temporary files go to
    ``work_dir`` and are removed before returning. Raises FileError for whole-file problems.
    """
    file = path.name
    suffix = path.suffix.lower()
    if suffix not in FILE_SUFFIXES:
        raise FileError(file, f"unsupported file type {path.suffix!r}")
    try:
        size = path.stat().st_size
    except OSError as error:
        raise FileError(file, f"cannot open: {error.strerror or error}") from None
    if size == 0:
        raise FileError(file, "file is empty")
    work_dir.mkdir(parents=True, exist_ok=True)
    with _insertion_order_preserved(con):
        if suffix == ".csv":
            staged = _stage_csv(con, path, table, into, work_dir)
        elif suffix == ".xlsx":
            staged = _stage_xlsx(con, path, table, into, work_dir)
        else:
            staged = _stage_parquet(con, path, table, into)
    log.debug("staged %s: %d rows into %s", file, staged.rows, into)
    return staged


# --- header -> contract columns ---------------------------------------------------------------


@dataclass(frozen=True)
class _Header:
    positions: dict[str, int]  # contract column -> 0-based position in the file
    extra: tuple[str, ...]
    missing_optional: tuple[str, ...]


def _map_header(names: list[str], table: Table, file: str) -> _Header:
    """Match header names to contract columns: case-insensitive, whitespace and BOM stripped."""
    known = set(table.column_names)
    positions: dict[str, int] = {}
    extra: list[str] = []
    for index, raw in enumerate(names):
        name = raw.strip(_STRIP_CHARS)
        key = name.lower()
        if key in known:
            if key in positions:
                raise FileError(file, f"column {key} appears more than once in the header")
            positions[key] = index
        else:
            extra.append(name or f"(unnamed column {index + 1})")
    missing = [column for column in table.columns if column.name not in positions]
    required = [column.name for column in missing if column.required]
    if required:
        raise FileError(file, f"missing required column(s): {', '.join(required)}")
    return _Header(positions, tuple(extra), tuple(column.name for column in missing))


# --- CSV ----------------------------------------------------------------------------------------


def _stage_csv(
    con: duckdb.DuckDBPyConnection, path: Path, table: Table, into: str, work_dir: Path
) -> StagedFile:
    file = path.name
    encoding = _detect_encoding(path)
    utf8_path = _transcode_cp1251(path, work_dir) if encoding == "cp1251" else path
    try:
        names, delimiter = _read_csv_header(utf8_path, file, table)
        header = _map_header(names, table, file)
        rows = _load_csv(con, utf8_path, file, delimiter, len(names), header, table, into)
    finally:
        if utf8_path != path:
            utf8_path.unlink(missing_ok=True)
    return StagedFile(
        table.name, file, "csv", encoding, delimiter, rows, header.extra, header.missing_optional
    )


def _undecodable(file: str, what: str, line: int) -> FileError:
    return FileError(file, f"{UNDECODABLE} ({what} on line {line})")


def _detect_encoding(path: Path) -> str:
    """'utf-8-sig' (BOM), 'utf-8' or 'cp1251': the whole file is validated, not a sample.

    UTF-8 is checked first with an incremental decoder (C speed, about 1 s per GB); a file that
    is not valid UTF-8 is taken for Windows-1251, which ``_transcode_cp1251`` then checks. A
    chunk of plain ASCII is valid UTF-8 unless a character split at its start is pending, so
    only then is it decoded: grades.csv (16.5 M rows, ASCII) is checked in 0.3 s, not 0.8 s.
    """
    file = path.name
    decoder = codecs.getincrementaldecoder("utf-8")()
    start = 0  # the chunk's offset in the file; lines are counted only for a problem
    with path.open("rb") as stream:
        chunk = stream.read(CHUNK_SIZE)
        has_bom = chunk.startswith(UTF8_BOM)
        while chunk:
            nul = chunk.find(b"\x00")
            if nul >= 0:  # UTF-16 or binary: neither encoding the contract allows
                raise _undecodable(file, "NUL byte", _line_at(path, start + nul))
            try:
                if not chunk.isascii() or decoder.getstate()[0]:
                    decoder.decode(chunk)
            except UnicodeDecodeError as error:
                if has_bom:
                    line = _line_at(path, start + max(error.start, 0))
                    raise FileError(
                        file, f"starts with a UTF-8 byte-order mark but is not UTF-8 (line {line})"
                    ) from None
                return "cp1251"
            start += len(chunk)
            chunk = stream.read(CHUNK_SIZE)
    try:
        decoder.decode(b"", final=True)
    except UnicodeDecodeError:  # the file ends inside a multi-byte character
        if has_bom:
            raise FileError(file, "starts with a UTF-8 byte-order mark but is not UTF-8") from None
        return "cp1251"
    return "utf-8-sig" if has_bom else "utf-8"


def _line_at(path: Path, offset: int) -> int:
    """The 1-based line of the byte at ``offset``. Lines are counted only to report a problem:
    counting them while reading took 0.6 s for grades.csv."""
    lines = 1
    with path.open("rb") as stream:
        while offset > 0 and (chunk := stream.read(min(CHUNK_SIZE, offset))):
            lines += chunk.count(b"\n")
            offset -= len(chunk)
    return lines


def _transcode_cp1251(path: Path, work_dir: Path) -> Path:
    """Copy a Windows-1251 file to a temporary UTF-8 file, chunk by chunk.

    Windows-1251 leaves 0x98 undefined (Python's codec rejects it), and NUL bytes are never text:
    either means the file is in neither allowed encoding.
    """
    file = path.name
    handle, name = tempfile.mkstemp(prefix=f"{path.stem}-", suffix=".utf8.csv", dir=work_dir)
    target = Path(name)
    decoder = codecs.getincrementaldecoder("cp1251")()
    start = 0  # the chunk's offset in the file
    try:
        with path.open("rb") as source, open(handle, "wb") as sink:  # noqa: PTH123 (a descriptor)
            while chunk := source.read(CHUNK_SIZE):
                nul = chunk.find(b"\x00")
                if nul >= 0:
                    raise _undecodable(file, "NUL byte", _line_at(path, start + nul))
                try:
                    text = decoder.decode(chunk)
                except UnicodeDecodeError as error:
                    byte = chunk[error.start]
                    line = _line_at(path, start + error.start)
                    raise _undecodable(file, f"byte 0x{byte:02X}", line) from None
                sink.write(text.encode("utf-8"))
                start += len(chunk)
    except BaseException:
        target.unlink(missing_ok=True)
        raise
    return target


def _read_csv_header(path: Path, file: str, table: Table) -> tuple[list[str], str]:
    """The header's field names and the delimiter, from the first line of a UTF-8 file.

    The delimiter is whichever of ',' and ';' occurs more often outside quotes in the header:
    contract headers have many columns, so the count is unambiguous in practice.
    """
    with path.open("rb") as stream:
        head = stream.read(HEADER_LIMIT)
        at_end = not stream.read(1)
    text = codecs.getincrementaldecoder("utf-8")().decode(head)  # a split character waits
    text = text.removeprefix("\ufeff")
    line, complete, commas, semicolons = _first_record(text)
    if not complete and not at_end:
        raise FileError(file, f"no end of the header line in the first {HEADER_LIMIT} bytes")
    if not line.strip(_STRIP_CHARS):
        raise FileError(file, "no header: the first line is empty")
    if commas > semicolons:
        delimiter = ","
    elif semicolons > commas:
        delimiter = ";"
    elif commas == 0 and len(table.columns) == 1:
        delimiter = ","
    elif commas == 0:
        raise FileError(
            file, "cannot find the delimiter: the header has one column (expected ',' or ';')"
        )
    else:
        raise FileError(file, "cannot tell the delimiter: the header has as many ',' as ';'")
    reader = csv.reader([line], delimiter=delimiter, quotechar='"', doublequote=True, strict=True)
    try:
        names = next(reader)
    except csv.Error as error:
        raise FileError(file, f"unreadable header: {error}") from None
    return names, delimiter


def _first_record(text: str) -> tuple[str, bool, int, int]:
    """(first line, whether it ended in a line break, ',' and ';' counts outside quotes)."""
    in_quotes = False
    commas = semicolons = 0
    for index, char in enumerate(text):
        if char == '"':
            in_quotes = not in_quotes  # an escaped "" toggles twice
        elif in_quotes:
            continue
        elif char == ",":
            commas += 1
        elif char == ";":
            semicolons += 1
        elif char in "\r\n":
            return text[:index], True, commas, semicolons
    return text, False, commas, semicolons


def _quote(identifier: str) -> str:
    return '"' + identifier.replace('"', '""') + '"'


def _clean(expression: str) -> str:
    """SQL: the value with surrounding whitespace stripped, NULL if nothing is left.

    trim() with a character list is slow (30 s instead of 4 s for grades.csv's 16.5 M rows x 7
    columns), so it runs only for the rare value that starts or ends with whitespace. The test
    is cheap: the start is compared as bytes (a value below "!" is empty or starts with ASCII
    whitespace or a control character; only one from U+00A0 up can start with a no-break space
    or a BOM), the end looked up by its last character (``[-1]``; ``right(value, 1)`` took 2 s
    more for grades.csv).
    """
    value = expression  # a column reference or a cast: cheap to repeat
    wide = [code for code in map(int, _STRIP_CODES.split(", ")) if code >= 0x21]
    starts_wide = " OR ".join(f"starts_with({value}, chr({code}))" for code in wide)
    return (
        f"CASE WHEN {value} < '!' OR ({value} >= chr({min(wide)}) AND ({starts_wide})) "
        f"OR ord({value}[-1]) IN ({_STRIP_CODES}) "
        f"THEN nullif(trim({value}, {_TRIM_SQL}), '') ELSE {value} END"
    )


def _create_staged(
    con: duckdb.DuckDBPyConnection,
    table: Table,
    into: str,
    expressions: dict[str, str],
    source: str,
    parameters: list[Any],
) -> int:
    """CREATE the staged view ``into`` over ``source``'s rows; returns the row count.

    The rows are stored in TEMP table ``<into>__text``, in file order (insertion order is
    forced on by ``stage_file``, and a parallel scan still delivers rows in file order), so
    their ``rowid``s follow the file: the view numbers rows with them at no cost. Numbering them
    while storing (``row_number() over ()``) took 7.7 s more for grades.csv's 16.5 M rows. Row
    ids start at 0, but at about 2^55 for a table made inside an open transaction (ingestion
    writes into DuckDB warehouses so), hence the first one is subtracted.
    """
    select = [
        f"{expressions[column.name]} AS {_quote(column.name)}"
        if column.name in expressions
        else f"CAST(NULL AS VARCHAR) AS {_quote(column.name)}"
        for column in table.columns
    ]
    rows = _quote(f"{into}__text")
    con.execute(f"DROP VIEW IF EXISTS {_quote(into)}")
    con.execute(
        f"CREATE OR REPLACE TEMP TABLE {rows} AS SELECT {', '.join(select)} FROM {source}",
        parameters,
    )
    first, last, count = con.execute(
        f"SELECT coalesce(min(rowid), 0), max(rowid), count(*) FROM {rows}"
    ).fetchall()[0]
    if count and last - first + 1 != count:  # never seen: row ids with gaps would misnumber
        raise RuntimeError(f"staged rows of {into} are not numbered 1 to {count}")
    con.execute(
        f"CREATE TEMP VIEW {_quote(into)} AS "
        f'SELECT *, CAST(rowid - {first} + 1 AS BIGINT) AS "row_number" FROM {rows}'
    )
    return int(count)


def drop_staged_rows(con: duckdb.DuckDBPyConnection, into: str, row_numbers: str) -> None:
    """Delete from ``into`` the rows whose ``row_number`` the query ``row_numbers`` selects.

    The others keep their numbers (row ids survive a delete) and their file order, so a plain
    scan still reads them in order: filtering them through a join would not, and sorting 4.6
    million rows back took about 1 s more than the delete.
    """
    rows = _quote(f"{into}__text")
    # The view numbers a row rowid - (first row id) + 1; its first row may be gone already.
    offset = con.execute(
        f"SELECT (SELECT min(rowid) FROM {rows}) - (SELECT min(row_number) FROM {_quote(into)})"
    ).fetchall()[0][0]
    if offset is None:  # nothing staged
        return
    con.execute(
        f"DELETE FROM {rows} WHERE rowid IN (SELECT row_number + {offset} FROM ({row_numbers}))"
    )


def unstage(con: duckdb.DuckDBPyConnection, into: str) -> None:
    """Drop what ``stage_file`` created under ``into``."""
    con.execute(f"DROP VIEW IF EXISTS {_quote(into)}")
    con.execute(f"DROP TABLE IF EXISTS {_quote(into + '__text')}")


def _load_csv(
    con: duckdb.DuckDBPyConnection,
    path: Path,
    file: str,
    delimiter: str,
    width: int,
    header: _Header,
    table: Table,
    into: str,
) -> int:
    # Explicit options, no sniffing: columns by position (names can be anything), every value
    # text, strict_mode so a ragged or truncated line is an error instead of being padded, and
    # nullstr '' so only empty cells are NULL (the text "NULL" stays text).
    columns = "{" + ", ".join(f"'c{index}': 'VARCHAR'" for index in range(width)) + "}"
    source = (
        f"read_csv(?, header = true, delim = '{delimiter}', quote = '\"', escape = '\"', "
        f"all_varchar = true, auto_detect = false, columns = {columns}, nullstr = '', "
        f"strict_mode = true, null_padding = false, parallel = true, encoding = 'utf-8')"
    )
    expressions = {name: _clean(f"c{index}") for name, index in header.positions.items()}
    try:
        return _create_staged(con, table, into, expressions, source, [str(path)])
    except duckdb.Error as error:
        raise FileError(file, _csv_problem(str(error))) from None


def _csv_problem(message: str) -> str:
    """DuckDB's multi-line CSV error as one line; never quotes the row (it may be personal)."""
    line = re.search(r"CSV Error on Line: (\d+)", message)
    counts = re.search(r"Expected Number of Columns: (\d+) Found: (\d+)", message)
    if line and counts:
        expected, found = counts.groups()
        return f"line {line[1]}: {found} fields where the header has {expected}"
    if line and "unterminated quote" in message:
        return f"line {line[1]}: a quoted value is not closed or has text after its closing quote"
    if line:
        detail = next(
            (text for text in message.splitlines()[1:] if text and "Original Line" not in text),
            "",
        )
        return f"line {line[1]}: {detail}".rstrip(": ")
    if "invalid state" in message:
        return "not a well-formed CSV file (a stray quote, or mixed line endings?)"
    first = message.splitlines()[0] if message else "unknown error"
    return f"cannot read as CSV: {first}"


# --- XLSX ---------------------------------------------------------------------------------------


def _stage_xlsx(
    con: duckdb.DuckDBPyConnection, path: Path, table: Table, into: str, work_dir: Path
) -> StagedFile:
    """Stream the first sheet to a temporary UTF-8 CSV, then stage that CSV."""
    file = path.name
    handle, name = tempfile.mkstemp(prefix=f"{path.stem}-", suffix=".xlsx.csv", dir=work_dir)
    csv_path = Path(name)
    try:
        with open(handle, "w", encoding="utf-8", newline="") as sink:  # noqa: PTH123
            names, unnamed = _xlsx_to_csv(path, sink)
        header = _map_header(names, table, file)
        rows = _load_csv(con, csv_path, file, ",", len(names), header, table, into)
    finally:
        csv_path.unlink(missing_ok=True)
    extra = header.extra + tuple(f"(unnamed column {index})" for index in unnamed)
    return StagedFile(table.name, file, "xlsx", None, None, rows, extra, header.missing_optional)


def _xlsx_to_csv(path: Path, sink: Any) -> tuple[list[str], list[int]]:
    """Write the first sheet as CSV; returns the header and the 1-based positions of columns
    that hold values but have no header cell (reported as extra columns, not staged)."""
    import openpyxl  # slow to import; only XLSX exports need it

    file = path.name
    try:
        workbook = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except Exception as error:
        raise FileError(file, f"not a readable XLSX file: {_short(error)}") from None
    try:
        sheet = workbook.worksheets[0]
        # Some writers declare a wrong sheet size (often "A1"); read-only mode would trust it
        # and silently drop every row past it.
        sheet.reset_dimensions()
        rows = iter(sheet.iter_rows(values_only=True))
        first = next(rows, None)
        header = [_cell_text(value).strip(_STRIP_CHARS) for value in first or ()]
        while header and not header[-1]:
            header.pop()
        if not header:
            raise FileError(file, "no header in row 1 of the first sheet")
        width = len(header)
        writer = csv.writer(sink, lineterminator="\n")
        writer.writerow(header)
        beyond: set[int] = set()
        pending_empty = 0  # empty rows are written only once a later row has values
        for row in rows:
            texts = [_cell_text(value) for value in row]
            filled = [index for index, text in enumerate(texts) if text.strip(_STRIP_CHARS)]
            if not filled:
                pending_empty += 1
                continue
            beyond.update(index + 1 for index in filled if index >= width)
            for _ in range(pending_empty):
                writer.writerow([""] * width)
            pending_empty = 0
            texts = texts[:width] + [""] * (width - len(texts))
            writer.writerow(texts)
    except FileError:
        raise
    except Exception as error:  # a damaged sheet fails while streaming, not at open
        raise FileError(file, f"not a readable XLSX file: {_short(error)}") from None
    finally:
        workbook.close()
    return header, sorted(beyond)


def _cell_text(value: Any) -> str:
    """An Excel cell as the text a CSV export would have held."""
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dt.datetime):
        # Excel keeps times as fractions of a day: round off the float noise to whole seconds.
        value = (value + dt.timedelta(microseconds=500_000)).replace(microsecond=0)
        if value.time() == dt.time(0) and value.tzinfo is None:
            return value.date().isoformat()
        return value.isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, dt.time):
        return value.isoformat(timespec="seconds")
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if math.isfinite(value) and value == int(value):
            return str(int(value))  # an integer Excel stored as a float: "3", not "3.0"
        text = repr(value)
        return format(Decimal(text), "f") if "e" in text and math.isfinite(value) else text
    if isinstance(value, Decimal):
        return format(value, "f")
    return str(value)


def _short(error: BaseException) -> str:
    text = str(error).strip().splitlines()[0] if str(error).strip() else ""
    text = f"{type(error).__name__}: {text}" if text else type(error).__name__
    return text[:120]


# --- Parquet ------------------------------------------------------------------------------------

_TIMESTAMP_TYPES = ("TIMESTAMP", "TIMESTAMP_NS", "TIMESTAMP_MS", "TIMESTAMP_S")


def _parquet_text(column: str, duckdb_type: str) -> str:
    """SQL turning a typed Parquet column into the text a CSV export would have held."""
    if duckdb_type == "VARCHAR":
        return column
    if duckdb_type in _TIMESTAMP_TYPES:
        return f"replace(CAST({column} AS VARCHAR), ' ', 'T')"
    if duckdb_type == "TIMESTAMP WITH TIME ZONE":
        return f"replace(CAST(timezone('UTC', {column}) AS VARCHAR), ' ', 'T') || 'Z'"
    if duckdb_type in ("FLOAT", "DOUBLE"):
        # Same rule as XLSX: an integral float is an integer ("3", not "3.0").
        return (
            f"CASE WHEN isfinite({column}) AND {column} = trunc({column}) "
            f"AND abs({column}) < 1e15 THEN CAST(CAST({column} AS BIGINT) AS VARCHAR) "
            f"ELSE CAST({column} AS VARCHAR) END"
        )
    return f"CAST({column} AS VARCHAR)"  # DATE -> YYYY-MM-DD, BOOLEAN -> true/false, ...


def _stage_parquet(
    con: duckdb.DuckDBPyConnection, path: Path, table: Table, into: str
) -> StagedFile:
    file = path.name
    try:
        schema = con.execute("DESCRIBE SELECT * FROM read_parquet(?)", [str(path)]).fetchall()
    except duckdb.Error as error:
        reason = _duckdb_reason(error, path)
        raise FileError(file, f"not a readable Parquet file: {reason}") from None
    names = [str(row[0]) for row in schema]
    types = [str(row[1]) for row in schema]
    header = _map_header(names, table, file)
    expressions = {
        name: _clean(_parquet_text(_quote(names[index]), types[index]))
        for name, index in header.positions.items()
    }
    try:
        rows = _create_staged(con, table, into, expressions, "read_parquet(?)", [str(path)])
    except duckdb.Error as error:
        reason = _duckdb_reason(error, path)
        raise FileError(file, f"not a readable Parquet file: {reason}") from None
    return StagedFile(
        table.name, file, "parquet", None, None, rows, header.extra, header.missing_optional
    )


def _duckdb_reason(error: duckdb.Error, path: Path) -> str:
    """The first line of DuckDB's message, without the full path (the file is named already)."""
    text = str(error).strip()
    text = text.splitlines()[0] if text else type(error).__name__
    return text.replace(f"'{path}'", "").replace(str(path), "").replace("  ", " ").strip()[:120]


# --- shared -------------------------------------------------------------------------------------


@contextmanager
def _insertion_order_preserved(con: duckdb.DuckDBPyConnection) -> Iterator[None]:
    """row_number relies on rows being stored in file order: force it for the duration."""
    setting = con.execute("SELECT current_setting('preserve_insertion_order')").fetchall()
    previous = str(setting[0][0]).lower() in ("true", "1")
    if not previous:
        con.execute("SET preserve_insertion_order = true")
    try:
        yield
    finally:
        if not previous:
            con.execute("SET preserve_insertion_order = false")


def _one_line(text: str) -> str:
    text = " ".join(text.split())
    return text if len(text) <= _MAX_PROBLEM else text[: _MAX_PROBLEM - 1] + "…"
