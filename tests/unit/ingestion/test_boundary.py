"""The personal-data boundary: pseudonyms equal a standard HMAC, flags are computed before."""

import hashlib
import hmac

import duckdb
import pytest

from ingestion.boundary import hmac_pads, hmac_sql, raw_columns
from ingestion.contract import STAFF, STUDENTS, TABLES

KEY = bytes(range(32))


@pytest.mark.parametrize("pin", ["21509200899008", "1", "ПИН-кириллица", "x" * 200])
def test_sql_pseudonym_equals_python_hmac_sha256(pin):
    with duckdb.connect() as con:
        got = con.execute(
            f"select {hmac_sql('pin')} from (select $pin as pin)", {"pin": pin, **hmac_pads(KEY)}
        ).fetchall()[0][0]
    assert got == hmac.new(KEY, pin.encode(), hashlib.sha256).hexdigest()


def test_no_personal_column_reaches_the_raw_layer_by_name():
    for table in TABLES:
        personal = {column.name for column in table.columns if column.personal}
        assert not personal & {column.name for column in raw_columns(table)}


@pytest.mark.parametrize("table", [STUDENTS, STAFF])
def test_person_registers_keep_flags_and_a_pseudonym(table):
    names = [column.name for column in raw_columns(table)]
    for flag in ("has_pin", "is_pin_format_valid", "is_pin_sex_consistent",
                 "is_pin_birth_date_consistent", "pin_pseudonym", "has_last_name",
                 "has_first_name", "has_phone", "has_address"):  # fmt: skip
        assert flag in names


@pytest.mark.parametrize(
    ("pin", "sex", "birth_date", "expected"),
    [
        ("21509200899008", "M", "2008-09-15", (True, True, True)),
        ("11509200899008", "M", "2008-09-15", (True, False, True)),
        ("21609200899008", "M", "2008-09-15", (True, True, False)),
        ("2150920089900", "M", "2008-09-15", (False, True, True)),
        (None, "F", "2008-09-15", (None, None, None)),
    ],
)
def test_pin_validity_flags(pin, sex, birth_date, expected):
    flags = {c.name: c.sql for c in raw_columns(STUDENTS)}
    select = ", ".join(
        flags[name]
        for name in ("is_pin_format_valid", "is_pin_sex_consistent", "is_pin_birth_date_consistent")
    )
    with duckdb.connect() as con:
        got = con.execute(
            f"select {select} from (select $pin as pin, $sex as sex, $birth as birth_date)",
            {"pin": pin, "sex": sex, "birth": birth_date},
        ).fetchall()[0]
    assert got == expected
