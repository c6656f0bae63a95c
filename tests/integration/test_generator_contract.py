"""Every file the generator writes follows the register contract (ingestion.contract).

The rows that break the contract must be exactly the ingestion-stage defects defects.csv
lists, each breaking the one rule its kind names: ingestion quarantines those rows, and
nothing else.
"""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
from string import Template

import duckdb
import pandas as pd
import pytest

from emis.reference import SEEDS_DIR
from ingestion.contract import LANGUAGES, MANIFEST_FILE, SCHOOL_LEVELS, TABLES, Column, Table
from ingestion.synthetic.defects import DEFECT_KINDS
from ingestion.synthetic.export import DEFECTS_FILE
from tests.integration.conftest import (
    ACADEMIC_YEAR,
    INGESTION_KINDS,
    GeneratedExport,
    differences,
    sql_list,
)

TABLE_FILES = sorted(f"{table.name}.csv" for table in TABLES)

# The contract rule each ingestion-stage defect kind breaks: (file, kind) -> "column: rule".
BROKEN_RULE = {
    ("enrolments.csv", "bad_date"): "event_date: date",
    ("enrolments.csv", "unknown_code"): "study_form: code",
    ("enrolments.csv", "dangling_reference"): "student_id: reference",
    ("enrolments.csv", "missing_required"): "academic_year: required",
    ("staff_assignments.csv", "dangling_reference"): "org_id: reference",
}

# Columns required only in some rows: (table, column) -> SQL condition of those rows.
REQUIRED_WHEN = {
    ("enrolments", "grade"): f"level in {sql_list(SCHOOL_LEVELS)}",
    ("enrolments", "reason"): "event_type in ('transfer_out', 'dropout')",
    ("organizations", "closed_date"): "status = 'closed'",
}

ISO_DATE = "[0-9]{4}-[0-9]{2}-[0-9]{2}"
ISO_TIMESTAMP = ISO_DATE + "T[0-9]{2}:[0-9]{2}:[0-9]{2}([.][0-9]+)?(Z|[+-][0-9]{2}:?[0-9]{2})?"
INVALID_VALUE = {  # column type -> SQL condition true when a non-empty $value is not of that type
    "int": "not regexp_full_match($value, '-?[0-9]+')",
    "decimal": "not regexp_full_match($value, '-?[0-9]+([.][0-9]+)?')",
    "date": f"not regexp_full_match($value, '{ISO_DATE}') or try_cast($value as date) is null",
    "timestamp": f"not regexp_full_match($value, '{ISO_TIMESTAMP}') "
    "or try_cast(left($value, 19) as timestamp) is null",
    "bool": "$value not in ('true', 'false')",
    "code": "$value not in $codes",
    "code_list": "len(list_filter(string_split($value, ';'), "
    "lambda item: not list_contains($code_array, item))) > 0",
}


def column_rules(table: Table, column: Column) -> dict[str, str]:
    """``"column: rule"`` -> SQL condition true for the rows of ``table`` that break it."""
    v = f'"{column.name}"'
    rules = {}
    if column.required:
        rules["required"] = f"{v} is null"
    elif (table.name, column.name) in REQUIRED_WHEN:
        rules["required"] = f"{v} is null and ({REQUIRED_WHEN[table.name, column.name]})"
    if column.type in INVALID_VALUE:
        codes = column.codes or ()
        code_array = "[" + ", ".join(f"'{code}'" for code in codes) + "]"
        invalid = Template(INVALID_VALUE[column.type]).substitute(
            value=v, codes=sql_list(codes), code_array=code_array
        )
        rules[column.type if column.type != "code_list" else "code"] = (
            f"{v} is not null and ({invalid})"
        )
    if column.references:
        target, target_column = column.references.split(".")
        rules["reference"] = (
            f"{v} is not null and not exists (select 1 from {target} "
            f"where {target}.{target_column} = {table.name}.{v})"
        )
    return {f"{column.name}: {rule}": condition for rule, condition in rules.items()}


def record_id_sql(table: Table) -> str:
    """How defects.csv names a record of ``table``: its key, parts joined by '|'."""
    return " || '|' || ".join(f"coalesce({key}, '')" for key in table.key)


@functools.cache
def contract_violations(export: GeneratedExport) -> pd.DataFrame:
    """One row per (file, record_id, rule) a row of the export breaks."""
    selects = []
    for table in TABLES:
        record_id = record_id_sql(table)
        file = f"'{table.name}.csv' as file, {record_id} as record_id"
        for column in table.columns:
            for rule, condition in column_rules(table, column).items():
                selects.append(
                    f"select {file}, '{rule}' as rule from {table.name} where {condition}"
                )
        selects.append(
            f"select {file}, 'key: unique' as rule from {table.name} "
            f"qualify count(*) over (partition by {', '.join(table.key)}) > 1"
        )
    return export.sql(" union all ".join(selects))


def ingestion_defects(export: GeneratedExport) -> pd.DataFrame:
    defects = export.sql("select * from defects")
    kinds = zip(defects["file"], defects["defect_kind"], strict=True)
    return defects[[pair in INGESTION_KINDS for pair in kinds]]


def records(frame: pd.DataFrame) -> list[tuple[str, str]]:
    """(file, record_id) of each row of a frame of defects or violations."""
    return list(zip(frame["file"], frame["record_id"], strict=True))


# --- files and manifest -----------------------------------------------------------------------


def test_every_table_file_and_the_manifest_exist(export: GeneratedExport) -> None:
    names = {path.name for path in export.path.iterdir()}
    assert names == {*TABLE_FILES, MANIFEST_FILE, DEFECTS_FILE}


def test_manifest_describes_the_export(export: GeneratedExport) -> None:
    manifest = export.manifest
    assert set(manifest) == {"source", "exported_at", "snapshot_date", "academic_year", "files"}
    assert isinstance(manifest["source"], str) and manifest["source"]
    assert manifest["academic_year"] == ACADEMIC_YEAR
    assert dt.date.fromisoformat(manifest["snapshot_date"]) == dt.date(2026, 1, 15)
    assert dt.datetime.fromisoformat(manifest["exported_at"]).tzinfo is not None
    assert sorted(manifest["files"]) == TABLE_FILES  # defects.csv is not part of the export


@pytest.mark.parametrize("name", TABLE_FILES)
def test_manifest_rows_and_checksum_match_the_file(export: GeneratedExport, name: str) -> None:
    declared = export.manifest["files"][name]
    path = export.file(name)
    assert declared["sha256"] == hashlib.sha256(path.read_bytes()).hexdigest()
    rows = export.scalar(f"select count(*) from {name.removesuffix('.csv')}")
    assert declared["rows"] == rows


@pytest.mark.parametrize("table", TABLES, ids=lambda table: table.name)
def test_file_is_utf8_csv_with_the_contract_header(export: GeneratedExport, table: Table) -> None:
    text = export.file(table.name).read_bytes().decode("utf-8")  # raises if not UTF-8
    header = text.split("\n", 1)[0]
    assert header.split(",") == list(table.column_names)


# --- rows -------------------------------------------------------------------------------------


def test_every_ingestion_defect_kind_has_a_known_rule() -> None:
    ingestion = {(k.file, k.kind) for k in DEFECT_KINDS if k.stage == "ingestion"}
    assert ingestion == set(BROKEN_RULE)


def test_rows_not_listed_as_ingestion_defects_follow_the_contract(
    export: GeneratedExport,
) -> None:
    violations = contract_violations(export)
    listed = set(records(ingestion_defects(export)))
    unlisted = violations[[record not in listed for record in records(violations)]]
    summary = unlisted.groupby(["file", "rule"])["record_id"].agg(["size", "first"])
    assert unlisted.empty, f"rows breaking the contract that defects.csv does not list:\n{summary}"


def test_each_ingestion_defect_breaks_exactly_the_rule_of_its_kind(
    export: GeneratedExport,
) -> None:
    violations = contract_violations(export)
    broken = violations.groupby(["file", "record_id"])["rule"].agg(frozenset)
    wrong = []
    for row in ingestion_defects(export).itertuples():
        rules = broken.get((row.file, row.record_id), frozenset())
        expected = BROKEN_RULE[row.file, row.defect_kind]
        if rules != {expected}:
            wrong.append((row.file, row.record_id, row.defect_kind, sorted(rules)))
    assert not wrong, f"{len(wrong)} defects do not break (only) their rule, e.g. {wrong[:10]}"


def test_rows_breaking_the_contract_are_exactly_the_ingestion_defects(
    export: GeneratedExport,
) -> None:
    defects = ingestion_defects(export)
    listed = set(records(defects))
    assert len(listed) == len(defects), "a record is listed twice"
    found = set(records(contract_violations(export)))
    assert found == listed, differences(found, listed)


# Rules the contract states in prose rather than as column types; loaded rows break none.
GRADE_RANGE = {"primary": (1, 4), "basic": (5, 9), "secondary": (10, 11), "preschool": (1, 7)}
LEVEL_GRADES = (  # vocational and higher: course 1-6; out-of-school groups: any
    "case level "
    + " ".join(
        f"when '{level}' then cast(grade as int) between {low} and {high}"
        for level, (low, high) in GRADE_RANGE.items()
    )
    + " when 'out_of_school' then true else cast(grade as int) between 1 and 6 end"
)
ACADEMIC_YEAR_FORMAT = (
    "regexp_full_match(academic_year, '[0-9]{4}-[0-9]{4}') "
    "and cast(right(academic_year, 4) as int) = cast(left(academic_year, 4) as int) + 1"
)
KNOWN_DISTRICT = "district_code in (select district_code from territories)"
PROSE_RULES = {  # (table, rule) -> SQL condition every loaded row meets
    ("organizations", "district is a known SOATE code"): KNOWN_DISTRICT,
    ("organizations", "shifts 1-3"): "shifts is null or cast(shifts as int) between 1 and 3",
    ("students", "citizenship ISO alpha-3"): "regexp_full_match(citizenship, '[A-Z]{3}')",
    ("staff", "citizenship ISO alpha-3"): "regexp_full_match(citizenship, '[A-Z]{3}')",
    ("enrolments", "academic_year YYYY-YYYY"): ACADEMIC_YEAR_FORMAT,
    ("enrolments", "grade fits the level"): f"grade is null or ({LEVEL_GRADES})",
    ("classes", "academic_year YYYY-YYYY"): ACADEMIC_YEAR_FORMAT,
    ("classes", "grade fits the level"): f"grade is null or ({LEVEL_GRADES})",
    ("classes", "shift 1-3"): "shift is null or cast(shift as int) between 1 and 3",
    ("grades", "academic_year YYYY-YYYY"): ACADEMIC_YEAR_FORMAT,
    ("grades", "mark 2-5"): "cast(mark as int) between 2 and 5",
    ("population", "district is a known SOATE code"): KNOWN_DISTRICT,
    ("population", "age 0-29"): "cast(age as int) between 0 and 29",
}


@pytest.mark.parametrize(("table", "rule"), PROSE_RULES, ids=[f"{t}: {r}" for t, r in PROSE_RULES])
def test_loaded_rows_follow_the_rules_stated_in_prose(
    export: GeneratedExport, table: str, rule: str
) -> None:
    export.db.execute(
        "create table if not exists territories as select * from "
        f"read_csv('{SEEDS_DIR / 'territories.csv'}', all_varchar = true)"
    )
    condition = PROSE_RULES[table, rule]
    broken = export.sql(f"select * from loaded_{table} where not coalesce({condition}, false)")
    assert broken.empty, f"{len(broken)} rows break it, e.g.\n{broken.head()}"


@pytest.mark.parametrize(
    ("type_", "good", "bad"),
    [
        ("int", "-12", "1.5"),
        ("decimal", "1.25", "1,25"),
        ("date", "2024-02-29", "2025-02-30"),
        ("date", "2025-09-01", "01.09.2025"),
        ("timestamp", "2025-09-08T06:31:25Z", "2025-09-08 06:31"),
        ("timestamp", "2025-09-08T06:31:25+06:00", "2025-13-08T06:31:25Z"),
        ("bool", "false", "yes"),
        ("code", "ky", "kz"),
        ("code_list", "ky;ru", "ky;kz"),
    ],
)
def test_value_checks_tell_good_from_bad(type_: str, good: str, bad: str) -> None:
    """The checks themselves: each type's rule passes a good value and catches a bad one."""
    column = Column("value", type_, required=True, codes=LANGUAGES)
    table = Table("sample", False, "one value per row", (column,), key=("value",))
    rule = "code" if type_ == "code_list" else type_
    condition = column_rules(table, column)[f"value: {rule}"]
    required = column_rules(table, column)["value: required"]
    db = duckdb.connect()
    db.execute("create table sample (value varchar)")
    db.execute("insert into sample values (?), (?), (null)", [good, bad])
    assert db.sql(f"select value from sample where {condition}").fetchall() == [(bad,)]
    assert db.sql(f"select value from sample where {required}").fetchall() == [(None,)]
