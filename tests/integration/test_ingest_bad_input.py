"""Exports that differ from the generator's: what loads, what is quarantined, what stops the load.

Each case is a copy of the tiny export, changed and (unless the manifest is the defect) with
manifest.json rewritten to match. Accepted variants load the same rows as the original; a bad
row is quarantined with the rule it breaks while the rest loads; a whole-file problem stops
the load with one line naming the file, and the warehouse (already holding a load) is unchanged.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pytest

from tests.integration.conftest import (
    GeneratedExport,
    Warehouse,
    changed_export,
    copy_export,
    csv_to_parquet,
    csv_to_xlsx,
    edit_csv,
    edit_manifest,
    expected_counts,
    insert_bytes,
    planted_quarantine,
    recode_csv,
    result_counts,
    rewrite_manifest,
)


def by_table(counts: dict[str, tuple]) -> dict[str, tuple]:
    """Counts keyed by table (file name without its suffix), so formats compare."""
    return {Path(name).stem: value for name, value in counts.items()}


def quarantine_by_table(rows: set[tuple]) -> set[tuple]:
    return {(Path(file).stem, *rest) for file, *rest in rows}


# --- accepted: other encodings, delimiters and formats load the same rows -----------------------


def windows_1251(folder: Path) -> None:
    """Learners (Cyrillic names) and organizations (Cyrillic names kept in raw)."""
    for name in ("students.csv", "organizations.csv"):
        text = recode_csv(folder / name, encoding="cp1251")
        assert re.search("[А-яЁё]{3}", text), f"no Cyrillic in {name} to transcode"


def organizations_xlsx(folder: Path) -> None:
    date = dt.date.fromisoformat
    csv_to_xlsx(
        folder / "organizations.csv",
        {"opened_date": date, "closed_date": date, "design_capacity": int, "shifts": int},
    )


def staff_assignments_parquet(folder: Path) -> None:
    csv_to_parquet(
        folder / "staff_assignments.csv",
        {
            "rate": pa.float64(),
            "start_date": pa.date32(),
            "end_date": pa.date32(),
            "is_primary_job": pa.bool_(),
            "recorded_at": pa.timestamp("us", tz="UTC"),
        },
    )


@dataclass(frozen=True)
class Variant:
    change: Callable[[Path], object]
    files: tuple[str, ...]  # the changed files' names
    shape: tuple  # (file_format, encoding, delimiter) meta.load_files must record for them


VARIANTS = {
    "windows-1251": Variant(
        windows_1251, ("students.csv", "organizations.csv"), ("csv", "cp1251", ",")
    ),
    "semicolons": Variant(
        lambda folder: recode_csv(folder / "enrolments.csv", delimiter=";"),
        ("enrolments.csv",),
        ("csv", "utf-8", ";"),
    ),
    "utf-8 bom": Variant(
        lambda folder: recode_csv(folder / "organizations.csv", bom=True),
        ("organizations.csv",),
        ("csv", "utf-8-sig", ","),
    ),
    "xlsx": Variant(organizations_xlsx, ("organizations.xlsx",), ("xlsx", None, None)),
    "parquet": Variant(
        staff_assignments_parquet, ("staff_assignments.parquet",), ("parquet", None, None)
    ),
}


@pytest.mark.parametrize("variant", VARIANTS.values(), ids=VARIANTS.keys())
def test_other_encodings_and_formats_load_the_same_rows(
    variant: Variant, warehouse: Warehouse, baseline: Warehouse, tiny_export, tmp_path
):
    folder = changed_export(tiny_export, tmp_path / "export", variant.change)

    result = warehouse.ingest(folder)

    assert by_table(result_counts(result)) == by_table(expected_counts(tiny_export))
    assert result.warnings == []
    files = warehouse.load_files(1)
    for name in variant.files:
        row = files[name]
        assert (row["file_format"], row["encoding"], row["delimiter"]) == variant.shape
        table = Path(name).stem
        assert warehouse.raw_rows(table, 1) == baseline.raw_rows(table, 1), table
    assert quarantine_by_table(warehouse.quarantine(1)) == quarantine_by_table(
        planted_quarantine(tiny_export)
    )


def test_an_unknown_column_is_ignored_with_a_warning(
    warehouse: Warehouse, baseline: Warehouse, tiny_export, tmp_path
):
    def add_column(folder: Path) -> None:
        edit_csv(folder / "organizations.csv", lambda frame: frame.assign(comment="проверено"))

    result = warehouse.ingest(changed_export(tiny_export, tmp_path / "export", add_column))

    warning = "unknown column(s) ignored: comment"
    assert result.warnings == [f"organizations.csv: {warning}"]
    assert warehouse.load_files(1)["organizations.csv"]["warnings"] == warning
    assert result_counts(result) == expected_counts(tiny_export)
    assert warehouse.raw_rows("organizations", 1) == baseline.raw_rows("organizations", 1)


def test_a_missing_optional_column_loads_empty_with_a_warning(
    warehouse: Warehouse, baseline: Warehouse, tiny_export, tmp_path
):
    def drop_column(folder: Path) -> None:
        edit_csv(folder / "organizations.csv", lambda frame: frame.drop(columns="name_ky"))

    result = warehouse.ingest(changed_export(tiny_export, tmp_path / "export", drop_column))

    warning = "optional column(s) absent, loaded empty: name_ky"
    assert result.warnings == [f"organizations.csv: {warning}"]
    assert warehouse.load_files(1)["organizations.csv"]["warnings"] == warning
    assert result_counts(result) == expected_counts(tiny_export)
    assert warehouse.rows("select distinct name_ky from raw.organizations") == [(None,)]
    assert warehouse.raw_rows("organizations", 1, drop=["name_ky"]) == baseline.raw_rows(
        "organizations", 1, drop=["name_ky"]
    )


@pytest.mark.parametrize(
    ("absent", "warnings"),
    [
        (("grades.csv", "population.csv"), []),
        (
            ("classes.csv",),
            [
                f"{file}: classes absent: class_id references not checked"
                for file in ("enrolments.csv", "grades.csv", "attendance_marks.csv", "absences.csv")
            ],
        ),
    ],
    ids=["grades and population", "classes"],
)
def test_optional_files_may_be_absent(
    absent: tuple[str, ...], warnings: list[str], warehouse: Warehouse, tiny_export, tmp_path
):
    def remove(folder: Path) -> None:
        for name in absent:
            (folder / name).unlink()

    result = warehouse.ingest(changed_export(tiny_export, tmp_path / "export", remove))

    expected = {
        name: counts for name, counts in expected_counts(tiny_export).items() if name not in absent
    }
    assert result_counts(result) == expected
    assert sorted(result.warnings) == sorted(warnings)
    assert set(warehouse.load_files(1)) == set(expected)
    for name in absent:
        assert warehouse.scalar(f"select count(*) from raw.{Path(name).stem}") == 0


def test_a_header_only_optional_file_loads_no_rows(warehouse: Warehouse, tiny_export, tmp_path):
    def empty_grades(folder: Path) -> None:
        edit_csv(folder / "grades.csv", lambda frame: frame.head(0))

    folder = changed_export(tiny_export, tmp_path / "export", empty_grades, rows={"grades.csv": 0})
    result = warehouse.ingest(folder)

    assert result_counts(result)["grades.csv"] == (0, 0, 0)
    assert warehouse.scalar("select count(*) from raw.grades") == 0


# --- quarantined: a bad row is set aside with its rule, the rest loads --------------------------


def with_extra_problems(export: GeneratedExport, extra: dict[str, int]):
    """expected_counts with ``extra`` more rows quarantined instead of loaded, per file."""
    return expected_counts(export) | {
        name: (declared, loaded - extra[name], quarantined + extra[name])
        for name, (declared, loaded, quarantined) in expected_counts(export).items()
        if name in extra
    }


def test_a_repeated_id_is_quarantined_as_a_duplicate_key(
    warehouse: Warehouse, tiny_export, tmp_path
):
    student = tiny_export.column(
        "select student_id from students order by student_id limit 1 offset 9"
    )[0]

    def repeat_row(folder: Path) -> None:
        edit_csv(
            folder / "students.csv",
            lambda frame: pd.concat([frame, frame[frame.student_id == student]]),
        )

    declared = tiny_export.manifest["files"]["students.csv"]["rows"] + 1
    folder = changed_export(
        tiny_export, tmp_path / "export", repeat_row, rows={"students.csv": declared}
    )
    result = warehouse.ingest(folder)

    expected = expected_counts(tiny_export)
    assert result_counts(result) == expected | {"students.csv": (declared, declared - 1, 1)}
    assert warehouse.quarantine(1) == planted_quarantine(tiny_export) | {
        ("students.csv", student, "student_id", "duplicate_key")
    }
    assert warehouse.rows(
        "select line_number from meta.quarantine where file_name = 'students.csv'"
    ) == [(declared + 1,)]  # the repeat (the last line), not the first occurrence
    assert (
        warehouse.scalar(f"select count(*) from raw.students where student_id = '{student}'") == 1
    )


def test_a_reference_to_a_missing_organization_is_quarantined(
    warehouse: Warehouse, tiny_export, tmp_path
):
    event = tiny_export.column(
        "select event_id from loaded_enrolments order by event_id limit 1 offset 99"
    )[0]

    def dangle(folder: Path) -> None:
        def change(frame):
            frame.loc[frame.event_id == event, "org_id"] = "ORG999999"

        edit_csv(folder / "enrolments.csv", change)

    result = warehouse.ingest(changed_export(tiny_export, tmp_path / "export", dangle))

    assert result_counts(result) == with_extra_problems(tiny_export, {"enrolments.csv": 1})
    assert warehouse.quarantine(1) == planted_quarantine(tiny_export) | {
        ("enrolments.csv", event, "org_id", "reference")
    }
    assert warehouse.rows(f"select value from meta.quarantine where record_id = '{event}'") == [
        ("ORG999999",)
    ]


def test_a_quarantined_learner_takes_their_records_along(
    warehouse: Warehouse, tiny_export: GeneratedExport, tmp_path
):
    # A learner with enrolments, marks and absences, none of them planted defects.
    student = tiny_export.column("""
        select student_id from loaded_students
        where student_id in (select student_id from grades)
            and student_id in (select student_id from absences)
            and student_id not in (
                select student_id from enrolments
                where event_id in (select record_id from quarantined)
            )
        order by student_id limit 1
    """)[0]
    born = tiny_export.column(f"select birth_date from students where student_id = '{student}'")[0]

    def impossible_birth_date(folder: Path) -> None:
        def change(frame):
            frame.loc[frame.student_id == student, "birth_date"] = f"{born[:4]}-02-30"

        edit_csv(folder / "students.csv", change)

    result = warehouse.ingest(
        changed_export(tiny_export, tmp_path / "export", impossible_birth_date)
    )

    # The cascade is intended: the learner's records no longer reference a loaded learner.
    children = {
        "enrolments.csv": f"select event_id from enrolments where student_id = '{student}'",
        "grades.csv": f"""select concat_ws('|', student_id, class_id, subject, term) from grades
                          where student_id = '{student}'""",
        "absences.csv": f"""select concat_ws('|', student_id, date) from absences
                            where student_id = '{student}'""",
    }
    cascade = {
        (file, record_id, "student_id", "reference")
        for file, query in children.items()
        for record_id in tiny_export.column(query)
    }
    assert {file for file, *_ in cascade} == set(children)
    assert warehouse.quarantine(1) == planted_quarantine(tiny_export) | cascade | {
        ("students.csv", student, "birth_date", "type")
    }
    extra = {file: sum(1 for f, *_ in cascade if f == file) for file in children}
    assert result_counts(result) == with_extra_problems(tiny_export, extra | {"students.csv": 1})
    for table in ("students", "enrolments", "grades", "absences"):
        count = f"select count(*) from raw.{table} where student_id = '{student}'"
        assert warehouse.scalar(count) == 0, table


# --- whole-file problems: the load stops, one line names the file, nothing changes --------------


def truncate_last_line(path: Path) -> None:
    """Cut the file's last line in half (no line break after it)."""
    text = path.read_bytes().rstrip(b"\n")
    last = text.rfind(b"\n") + 1
    path.write_bytes(text[: last + (len(text) - last) // 2])


def declare_one_more_row(name: str) -> Callable[[Path], None]:
    def change(folder: Path) -> None:
        edit_manifest(
            folder,
            lambda manifest: manifest["files"][name].update(
                rows=manifest["files"][name]["rows"] + 1
            ),
        )

    return change


def second_format(folder: Path) -> None:
    csv_to_xlsx(folder / "organizations.csv", {}, keep_csv=True)


@dataclass(frozen=True)
class Broken:
    change: Callable[[Path], object]
    file: str  # the file the one-line message names
    problem: str  # what the message says about it (a part of it)
    rewrite: bool = True  # rewrite manifest.json to match the changed files
    marks: tuple = ()


BROKEN = {
    "missing required file": Broken(
        lambda folder: (folder / "students.csv").unlink(),
        "students.csv",
        "required file is missing",
    ),
    "missing required column": Broken(
        lambda folder: edit_csv(folder / "students.csv", lambda t: t.drop(columns="birth_date")),
        "students.csv",
        "missing required column(s): birth_date",
    ),
    "byte 0x98": Broken(
        lambda folder: insert_bytes(folder / "students.csv", 3, b"\x98"),
        "students.csv",
        "cannot decode as UTF-8 or Windows-1251 (byte 0x98 on line 3)",
    ),
    "NUL byte": Broken(
        lambda folder: insert_bytes(folder / "students.csv", 3, b"\x00"),
        "students.csv",
        "cannot decode as UTF-8 or Windows-1251 (NUL byte on line 3)",
    ),
    "truncated": Broken(
        lambda folder: truncate_last_line(folder / "enrolments.csv"),
        "enrolments.csv",
        "fields where the header has 12",
    ),
    "truncated, manifest as it was": Broken(
        lambda folder: truncate_last_line(folder / "enrolments.csv"),
        "enrolments.csv",
        "SHA-256 checksum disagrees with manifest.json",
        rewrite=False,
    ),
    "empty file": Broken(
        lambda folder: (folder / "staff.csv").write_bytes(b""), "staff.csv", "file is empty"
    ),
    "row count wrong": Broken(
        declare_one_more_row("students.csv"),
        "students.csv",
        "rows read, manifest.json declares",
        rewrite=False,
    ),
    "checksum wrong": Broken(
        lambda folder: edit_manifest(
            folder, lambda manifest: manifest["files"]["staff.csv"].update(sha256="0" * 64)
        ),
        "staff.csv",
        "SHA-256 checksum disagrees with manifest.json",
        rewrite=False,
    ),
    "listed but absent": Broken(
        lambda folder: (folder / "grades.csv").unlink(),
        "grades.csv",
        "listed in manifest.json but missing",
        rewrite=False,
    ),
    "present but not listed": Broken(
        lambda folder: edit_manifest(folder, lambda manifest: manifest["files"].pop("grades.csv")),
        "grades.csv",
        "not listed in manifest.json",
        rewrite=False,
    ),
    "manifest not JSON": Broken(
        lambda folder: (folder / "manifest.json").write_text('{"source": "EMIS", "files": {'),
        "manifest.json",
        "not a valid manifest",
        rewrite=False,
    ),
    "manifest without snapshot date": Broken(
        lambda folder: edit_manifest(folder, lambda manifest: manifest.pop("snapshot_date")),
        "manifest.json",
        "not a valid manifest: field 'snapshot_date' is missing",
        rewrite=False,
    ),
    "no manifest": Broken(
        lambda folder: (folder / "manifest.json").unlink(),
        "manifest.json",
        "missing",
        rewrite=False,
    ),
    "two formats of one table": Broken(
        second_format, "organizations.csv", "also present as organizations.xlsx"
    ),
}


@pytest.mark.parametrize(
    "case", [pytest.param(case, id=name, marks=case.marks) for name, case in BROKEN.items()]
)
def test_a_whole_file_problem_stops_the_load(
    case: Broken, loaded_warehouse: Warehouse, tiny_export, tmp_path, emis_cli
):
    folder = copy_export(tiny_export, tmp_path / "export")
    case.change(folder)
    if case.rewrite:
        rewrite_manifest(folder)
    before = loaded_warehouse.snapshot()

    run = emis_cli(loaded_warehouse, "ingest", str(folder))

    assert run.code == 2
    assert run.err.count("\n") == 1 and run.err.endswith("\n"), run.err
    assert run.err.startswith(f"emis ingest: error: {case.file}: "), run.err
    assert case.problem in run.err
    assert "Traceback" not in run.err + run.out
    assert not re.search(r"^load \d+:", run.out, re.MULTILINE)
    assert loaded_warehouse.snapshot() == before
    assert list((loaded_warehouse.settings.home / "tmp").glob("load-*")) == []


def test_a_wrong_row_count_stops_a_new_load(warehouse: Warehouse, tiny_export, tmp_path, emis_cli):
    folder = copy_export(tiny_export, tmp_path / "export")
    declare_one_more_row("students.csv")(folder)
    declared = tiny_export.manifest["files"]["students.csv"]["rows"]

    run = emis_cli(warehouse, "ingest", str(folder), "--quiet")

    assert (run.code, run.err) == (
        2,
        f"emis ingest: error: students.csv: {declared} rows read, "
        f"manifest.json declares {declared + 1}\n",
    )
    assert warehouse.snapshot() in ({}, {"counts": {}, "loads": []})
