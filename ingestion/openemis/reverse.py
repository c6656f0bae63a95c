"""The reverse generator: a register export written into OpenEMIS Core tables.

Tests and the benchmark need an OpenEMIS database whose contents are known; this fills one from
a (synthetic) contract export the way OpenEMIS would hold it: movement events become enrolment
*stints* with workflow rows for transfers and withdrawals, attendance becomes per-period
records, the contract's columns that OpenEMIS lacks become custom-field values, and every
code goes through the mapping file backwards. The extractor must get the export back.

Rows OpenEMIS cannot hold (an impossible date, a code with no database equivalent, a required
value missing, an exit with no stint to close) are not written and are returned as
:class:`Skipped`, so a test can tell them from losses of the extractor.

All shaping runs in DuckDB SQL; tables reach the server by ``LOAD DATA LOCAL INFILE``.
"""

from __future__ import annotations

import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import pymysql

from ingestion.openemis.mapping import Mapping, load_mapping

SCHEMA_SQL = Path(__file__).with_name("schema.sql")
STAGING_SQL = Path(__file__).with_name("reverse.sql")
EXTRA_FTE_ID = 1_000_000_000  # ids of the second row of an assignment split at FTE 1.0
STATUSES = ("CURRENT", "TRANSFERRED", "WITHDRAWN", "GRADUATED", "PROMOTED", "REPEATED")


@dataclass(frozen=True)
class Skipped:
    file: str
    record_id: str
    reason: str


@dataclass
class ReverseResult:
    rows: dict[str, int] = field(default_factory=dict)  # OpenEMIS table -> rows written
    skipped: list[Skipped] = field(default_factory=list)  # not written
    altered: list[Skipped] = field(
        default_factory=list
    )  # written, but OpenEMIS reads them back otherwise


def create_schema(conn: pymysql.Connection) -> None:
    text = "\n".join(
        line for line in SCHEMA_SQL.read_text().splitlines() if not line.startswith("--")
    )
    with conn.cursor() as cur:
        for statement in text.split(";"):
            if statement.strip():
                cur.execute(statement)
    conn.commit()


def write_openemis(
    export_dir: Path,
    conn: pymysql.Connection,
    mapping: Mapping | None = None,
    periods_per_day: int = 2,
    progress: Callable[[str], None] | None = None,
    work_dir: Path | None = None,
) -> ReverseResult:
    """Fill the (empty, schema-created) database behind ``conn`` from ``export_dir``.

    The staging DuckDB is a file in a temporary folder (under ``work_dir``), with a memory
    limit: a national export's staged tables are larger than memory and spill there."""
    mapping = mapping or load_mapping()
    result = ReverseResult()
    with tempfile.TemporaryDirectory(prefix="emis-openemis-", dir=work_dir) as tmp:
        con = duckdb.connect(str(Path(tmp) / "reverse.duckdb"))
        try:
            con.execute("SET TimeZone = 'UTC'")
            con.execute(
                "SET threads = 2; SET preserve_insertion_order = false; "
                f"SET memory_limit = '4GB'; SET temp_directory = '{Path(tmp) / 'spill'}'"
            )
            _read_export(con, export_dir)
            _lookups(con, mapping)
            tables = _shape(con, mapping, periods_per_day, result)
            for name, query in tables:
                if progress:
                    progress(name)
                result.rows[name] = _load(con, conn, name, query, Path(tmp))
                conn.commit()  # a table a transaction: no undo log of the whole fill
                (Path(tmp) / f"{name}.tsv").unlink(missing_ok=True)
        finally:
            con.close()
    return result


def _read_export(con: duckdb.DuckDBPyConnection, export_dir: Path) -> None:
    for name in (
        "organizations",
        "students",
        "enrolments",
        "classes",
        "staff",
        "staff_assignments",
        "infrastructure",
        "grades",
        "attendance_marks",
        "absences",
    ):
        path = export_dir / f"{name}.csv"
        if path.exists():
            con.execute(
                f"CREATE TABLE x_{name} AS SELECT * FROM read_csv(?, all_varchar = true, "
                "header = true)",
                [str(path)],
            )
        else:
            raise FileNotFoundError(f"{path}: the reverse generator needs every register file")


def _values(con, name: str, columns: str, rows: list[tuple]) -> None:
    con.execute(f"CREATE OR REPLACE TABLE {name} ({columns})")
    if rows:
        con.executemany(f"INSERT INTO {name} VALUES ({', '.join('?' * len(rows[0]))})", rows)


def _lookups(con, mapping: Mapping) -> None:
    """Lookup tables with ids, from the mapping's (first) code for each contract value."""

    def numbered(key: str) -> list[tuple]:
        return [(i, code, value) for i, (value, code) in enumerate(mapping.reverse(key).items(), 1)]

    for key, table in (
        ("organizations.org_type", "institution_types"),
        ("organizations.ownership", "institution_providers"),
        ("organizations.locality", "institution_localities"),
        ("organizations.status", "institution_statuses"),
        ("organizations.shift", "shift_options"),
        ("persons.document_type", "identity_types"),
        ("persons.disability", "special_need_types"),
        ("staff.education_level", "qualification_levels"),
        ("staff.primary_job", "staff_types"),
        ("enrolments.transfer_reason", "student_transfer_reasons"),
        ("enrolments.withdraw_reason", "student_withdraw_reasons"),
        ("grades.term", "assessment_periods"),
        ("infrastructure.water_source", "l_water"),
        ("infrastructure.toilets", "l_toilets"),
    ):
        rows = numbered(key)
        if table == "identity_types":  # the PIN is an identity type of its own
            rows.append((len(rows) + 1, mapping.pin_identity_type, "pin"))
        _values(
            con,
            f"l_{table}" if not table.startswith("l_") else table,
            "id INT, code VARCHAR, value VARCHAR",
            [(i, c, str(v)) for i, c, v in rows],
        )
    positions = [
        (i, code, position, category)
        for i, ((position, category), code) in enumerate(
            mapping.reverse("staff.position").items(), 1
        )
    ]
    _values(
        con,
        "l_staff_position_titles",
        "id INT, code VARCHAR, position VARCHAR, category VARCHAR",
        positions,
    )
    # Programmes per (level, study form), grades per programme: codes from the mapping.
    forms = mapping.lookup("education.study_form").values
    grades = mapping.lookup("education.grade").values
    level_of_programme = {}
    for code in forms:
        base = code.split("-")[0]
        level = next((v["level"] for g, v in grades.items() if g.split("-")[0] == base), None)
        if level:
            level_of_programme[code] = level
    programmes = [
        (i, code, level_of_programme[code], forms[code])
        for i, code in enumerate(sorted(level_of_programme), 1)
    ]
    _values(
        con, "l_programmes", "id INT, code VARCHAR, level VARCHAR, study_form VARCHAR", programmes
    )
    grade_rows = []
    for pid, pcode, level, _form in programmes:
        for gcode, value in grades.items():
            if value["level"] == level and gcode.split("-")[0] == pcode.split("-")[0]:
                grade_rows.append((len(grade_rows) + 1, gcode, pid, level, value.get("grade")))
    _values(
        con,
        "l_grades",
        "id INT, code VARCHAR, programme_id INT, level VARCHAR, grade INT",
        grade_rows,
    )
    custom = [
        (i, entity, column, code)
        for entity, columns in mapping.custom_fields.items()
        for i, (column, code) in enumerate(columns.items(), 1)
    ]
    _values(con, "l_custom", "id INT, entity VARCHAR, col VARCHAR, code VARCHAR", custom)


def _shape(con, mapping: Mapping, periods: int, result: ReverseResult) -> list[tuple[str, str]]:
    """Stage every OpenEMIS table in DuckDB; returns (table, query) in load order."""
    staging = STAGING_SQL.read_text().format(
        extra=EXTRA_FTE_ID,
        periods=periods,
        month_day=mapping.survey_month_day,
        phone=mapping.phone_contact_type,
    )
    for statement in staging.split(";\n"):
        try:
            con.execute(statement)
        except duckdb.Error as error:
            raise RuntimeError(f"{error}\n-- in --\n{statement.strip()[:300]}") from None
    for file, record, reason in con.execute("SELECT * FROM skipped").fetchall():
        result.skipped.append(Skipped(file, record, reason))
    for file, record, reason in con.execute("SELECT * FROM altered").fetchall():
        result.altered.append(Skipped(file, record, reason))
    return [(name, f"SELECT * FROM o_{name}") for name in _LOAD_ORDER]


_LOAD_ORDER = (
    "areas",
    "academic_periods",
    "institution_types",
    "institution_localities",
    "institution_sectors",
    "institution_providers",
    "institution_statuses",
    "shift_options",
    "genders",
    "nationalities",
    "identity_types",
    "contact_types",
    "special_need_types",
    "student_statuses",
    "student_transfer_reasons",
    "student_withdraw_reasons",
    "education_levels",
    "education_cycles",
    "education_programmes",
    "education_grades",
    "education_subjects",
    "assessment_periods",
    "absence_types",
    "staff_position_titles",
    "staff_types",
    "staff_statuses",
    "qualification_levels",
    "qualification_titles",
    "student_custom_fields",
    "staff_custom_fields",
    "institution_custom_fields",
    "institutions",
    "institution_shifts",
    "institution_custom_field_values",
    "security_users",
    "user_identities",
    "user_contacts",
    "user_special_needs_assessments",
    "student_custom_field_values",
    "staff_custom_field_values",
    "institution_students",
    "institution_student_transfers",
    "institution_student_withdraw",
    "institution_classes",
    "institution_class_grades",
    "institution_class_students",
    "institution_positions",
    "institution_staff",
    "staff_qualifications",
    "staff_trainings",
    "assessment_item_results",
    "student_attendance_marked_records",
    "institution_student_absence_details",
    "infrastructure_utility_electricities",
    "infrastructure_utility_internets",
    "infrastructure_wash_waters",
    "infrastructure_wash_sanitations",
    "infrastructure_wash_hygienes",
    "institution_buildings",
    "institution_rooms",
)


def _load(con, conn: pymysql.Connection, table: str, query: str, tmp: Path) -> int:
    path = tmp / f"{table}.tsv"
    relation = con.sql(query)
    columns = relation.columns
    # Tab-separated with backslash escapes and \N for NULL: LOAD DATA's default format.
    escaped = ", ".join(
        f"CASE WHEN typeof({_q(c)}) = 'VARCHAR' THEN replace(replace(replace(replace("
        f"{_q(c)}::VARCHAR, '\\', '\\\\'), chr(9), '\\t'), chr(10), '\\n'), chr(13), '\\r') "
        f"ELSE {_q(c)}::VARCHAR END AS {_q(c)}"
        for c in columns
    )
    con.execute(
        f"COPY (SELECT {escaped} FROM ({query})) TO '{path}' "
        "(FORMAT csv, DELIMITER '\t', HEADER false, QUOTE '', ESCAPE '', NULLSTR '\\N')"
    )
    with conn.cursor() as cur:
        cur.execute(
            f"LOAD DATA LOCAL INFILE %s INTO TABLE {table} CHARACTER SET utf8mb4 "
            f"({', '.join('`' + c + '`' for c in columns)})",
            (str(path),),
        )
        return cur.rowcount


def _q(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'
