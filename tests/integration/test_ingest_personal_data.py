"""Personal data never passes the boundary, on DuckDB and PostgreSQL.

Names, patronymics, document numbers, PINs, addresses, phones and birth places of students.csv
and staff.csv must appear in no text column of any table (no PIN even inside a longer text);
PINs become keyed HMAC-SHA256 pseudonyms: the same PIN gives the same pseudonym under the same
key, in either register and in every load, and another key gives other pseudonyms.
"""

from __future__ import annotations

import dataclasses
import hashlib
import hmac
import re
from pathlib import Path

import pandas as pd
import pytest

from ingestion.contract import TABLES_BY_NAME
from tests.integration.conftest import (
    PSEUDONYM_KEY,
    GeneratedExport,
    Warehouse,
    changed_export,
    edit_csv,
    write_key,
)

PERSON_REGISTERS = {"students": "student_id", "staff": "staff_id"}
PERSONAL_COLUMNS = {
    column.name
    for name in PERSON_REGISTERS
    for column in TABLES_BY_NAME[name].columns
    if column.personal
}
PIN_LENGTH = 14
# Text columns the scan must include (it reads every text column information_schema lists).
SOME_TEXT_COLUMNS = {
    "raw.students.pin_pseudonym",
    "raw.staff.specialty",
    "raw.organizations.name_ru",
    "meta.quarantine.value",
    "meta.loads.export_path",
}


def personal_values(folder: Path) -> tuple[set[str], set[str]]:
    """Every personal value of the export's person registers, and the PINs among them."""
    values: set[str] = set()
    pins: set[str] = set()
    for register in PERSON_REGISTERS:
        frame = pd.read_csv(
            folder / f"{register}.csv", dtype=str, keep_default_na=False, encoding="utf-8"
        )
        for column in PERSONAL_COLUMNS & set(frame.columns):
            filled = {value for value in frame[column] if value}
            values |= filled
            if column == "pin":
                pins |= filled
    return values, pins


def leaks(warehouse: Warehouse, folder: Path) -> dict[str, list[str]]:
    """Text columns of the warehouse holding a personal value (or a PIN inside a value)."""
    personal, pins = personal_values(folder)
    assert len(pins) > 100 and len(personal) > 1000  # the search has something to find
    found = {}
    scanned = warehouse.text_values()
    assert set(scanned) >= SOME_TEXT_COLUMNS
    for column, values in scanned.items():
        hits = values & personal
        hits |= {
            value
            for value in values
            if any(value[i : i + PIN_LENGTH] in pins for i in range(len(value) - PIN_LENGTH + 1))
        }
        if hits:
            found[column] = sorted(hits)[:5]
    return found


def pseudonyms(warehouse: Warehouse, register: str, load_id: int = 1) -> dict[str, str | None]:
    """record id -> pin_pseudonym of a person register's rows in one load."""
    id_column = PERSON_REGISTERS[register]
    return dict(
        warehouse.rows(
            f"select {id_column}, pin_pseudonym from raw.{register} where load_id = {load_id}"
        )
    )


def hmac_hex(key: bytes, pin: str) -> str:
    return hmac.new(key, pin.encode(), hashlib.sha256).hexdigest()


def test_no_personal_value_reaches_the_warehouse(
    loaded_warehouse: Warehouse, tiny_export: GeneratedExport
):
    assert leaks(loaded_warehouse, tiny_export.path) == {}


def test_quarantined_person_rows_leak_nothing_either(
    warehouse: Warehouse, tiny_export: GeneratedExport, tmp_path
):
    """Person rows that break rules: the quarantine shows their ids and problems, no names.

    (The quarantine masks values by column: a name typed into a code column, e.g. sex, would
    be shown as the offending value. The contract's personal columns are what is masked.)
    """

    def break_rows(folder: Path) -> None:
        def students(frame):
            frame.loc[frame.index[:5], "birth_date"] = "31.02.2012"  # not a date
            frame.loc[frame.index[5:10], "first_name"] = ""  # required
            frame.loc[frame.index[10:15], "sex"] = "X"  # not a code

        def staff(frame):
            frame.loc[frame.index[:5], "last_name"] = ""

        edit_csv(folder / "students.csv", students)
        edit_csv(folder / "staff.csv", staff)

    folder = changed_export(tiny_export, tmp_path / "export", break_rows)
    warehouse.ingest(folder)

    quarantined = warehouse.rows(
        "select file_name, count(distinct record_id) from meta.quarantine "
        "where file_name in ('students.csv', 'staff.csv') group by 1 order by 1"
    )
    assert quarantined == [("staff.csv", 5), ("students.csv", 15)]
    assert leaks(warehouse, folder) == {}


def test_the_raw_layer_has_no_personal_column(loaded_warehouse: Warehouse):
    columns = loaded_warehouse.rows(
        "select table_name, column_name from information_schema.columns where table_schema = 'raw'"
    )
    assert {table for table, _ in columns} >= set(PERSON_REGISTERS)
    assert [(t, c) for t, c in columns if c in PERSONAL_COLUMNS] == []
    flags = {column for table, column in columns if table == "students"}
    assert {f"has_{name}" for name in PERSONAL_COLUMNS - {"pin"}} <= flags


def test_pseudonyms_are_the_keyed_hmac_of_the_pin(
    loaded_warehouse: Warehouse, tiny_export: GeneratedExport
):
    for register, id_column in PERSON_REGISTERS.items():
        pins = dict(tiny_export.db.execute(f"select {id_column}, pin from {register}").fetchall())
        expected = {
            record_id: hmac_hex(PSEUDONYM_KEY, pin) if pin else None
            for record_id, pin in pins.items()
        }
        found = pseudonyms(loaded_warehouse, register)
        assert found == expected, register
        assert all(re.fullmatch("[0-9a-f]{64}", value) for value in found.values() if value)
        assert None in found.values()  # learners or staff without a PIN have no pseudonym


def test_the_same_pin_as_learner_and_employee_has_one_pseudonym(
    warehouse: Warehouse, tiny_export: GeneratedExport, tmp_path
):
    student, pin = tiny_export.db.execute(
        "select student_id, pin from students where pin is not null order by student_id limit 1"
    ).fetchall()[0]
    employee = tiny_export.column("select staff_id from staff order by staff_id limit 1")[0]

    def employ_the_learner(folder: Path) -> None:
        def change(frame):
            frame.loc[frame.staff_id == employee, "pin"] = pin

        edit_csv(folder / "staff.csv", change)

    warehouse.ingest(changed_export(tiny_export, tmp_path / "export", employ_the_learner))

    as_learner = pseudonyms(warehouse, "students")[student]
    assert pseudonyms(warehouse, "staff")[employee] == as_learner
    assert as_learner == hmac_hex(PSEUDONYM_KEY, pin)


@pytest.mark.parametrize("same_key", [True, False], ids=["same key", "another key"])
def test_pseudonyms_are_stable_under_one_key_only(
    same_key: bool, warehouse: Warehouse, baseline: Warehouse, tiny_export, tmp_path
):
    settings = warehouse.settings
    if not same_key:
        other = write_key(tmp_path / "other.key", hashlib.sha256(b"another key").digest())
        settings = dataclasses.replace(settings, pseudonym_key_file=other)

    warehouse.ingest(tiny_export.path, settings)

    for register in PERSON_REGISTERS:
        first, second = pseudonyms(baseline, register), pseudonyms(warehouse, register)
        assert first.keys() == second.keys()
        pairs = [(first[i], second[i]) for i in first if first[i] is not None]
        if same_key:
            assert all(a == b for a, b in pairs), register
        else:
            assert all(a != b for a, b in pairs), register
            assert len({b for _, b in pairs}) == len({a for a, _ in pairs})
