"""The contract as code agrees with itself and with the written contract."""

import re
from pathlib import Path

from ingestion.contract import TABLES, TABLES_BY_NAME

CONTRACT_DOC = Path(__file__).resolve().parents[3] / "docs" / "register-contract.md"


def test_every_key_and_reference_names_a_real_column():
    for table in TABLES:
        for key in table.key:
            assert key in table.column_names, f"{table.name}.{key}"
        for column in table.columns:
            if column.references:
                target_table, target_column = column.references.split(".")
                assert target_column in TABLES_BY_NAME[target_table].column_names


def test_code_columns_declare_their_codes():
    for table in TABLES:
        for column in table.columns:
            assert (column.codes is not None) == (column.type in ("code", "code_list")), (
                f"{table.name}.{column.name}"
            )


def test_personal_columns_are_exactly_the_direct_identifiers():
    personal = {(t.name, c.name) for t in TABLES for c in t.columns if c.personal}
    identifiers = {"pin", "last_name", "first_name", "patronymic", "document_number", "address",
                   "phone", "birth_place"}  # fmt: skip
    assert {name for _, name in personal} == identifiers
    assert {table for table, _ in personal} == {"students", "staff"}


def test_the_written_contract_lists_every_file():
    text = CONTRACT_DOC.read_text()
    files = set(re.findall(r"`(\w+)\.csv`", text))
    assert files == set(TABLES_BY_NAME)
