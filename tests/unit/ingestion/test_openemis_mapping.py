"""The OpenEMIS mapping file and the connector's documented set-up, without a database."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from ingestion import contract
from ingestion.openemis.extract import LOSSY_COLUMNS, tables_read
from ingestion.openemis.mapping import DEFAULT_MAPPING, MappingError, load_mapping
from ingestion.openemis.source import SourceError, parse_dsn

DOC = Path(__file__).parents[3] / "docs" / "openemis.md"


def test_the_kyrgyz_mapping_covers_every_contract_code():
    mapping = load_mapping()
    assert set(mapping.lookup("organizations.org_type").values.values()) == set(contract.ORG_TYPES)
    assert set(mapping.lookup("grades.term").values.values()) == set(contract.TERMS)
    levels = {value["level"] for value in mapping.lookup("education.grade").values.values()}
    assert levels == set(contract.LEVELS)
    positions = {v["position"] for v in mapping.lookup("staff.position").values.values()}
    assert positions == set(contract.POSITIONS)
    assert mapping.pin_identity_type == "PIN" and mapping.district_level == 3


def test_a_value_that_is_no_contract_code_fails_on_loading(tmp_path):
    path = tmp_path / "mapping.toml"
    path.write_text(DEFAULT_MAPPING.read_text().replace('URBAN = "urban"', 'URBAN = "city"'))
    with pytest.raises(MappingError, match=r"\[organizations.locality\] URBAN = 'city'"):
        load_mapping(path)


def test_an_unreadable_mapping_file_says_where(tmp_path):
    path = tmp_path / "mapping.toml"
    path.write_text("[pin\n")
    with pytest.raises(MappingError, match=r"mapping\.toml"):
        load_mapping(path)


def test_the_documented_grants_are_exactly_the_tables_read():
    granted = re.findall(r"GRANT SELECT ON openemis\.(\w+) TO", DOC.read_text())
    assert sorted(granted) == tables_read()


def test_every_lossy_column_is_documented():
    text = DOC.read_text()
    for table, columns in LOSSY_COLUMNS.items():
        for column in columns:
            assert f"`{column.split()[0]}`" in text, (table, column)


def test_dsns():
    dsn = parse_dsn("mysql://reader:s%40cret@10.0.0.5:3307/openemis")
    assert (dsn.user, dsn.password, dsn.host, dsn.port, dsn.database) == (
        "reader",
        "s@cret",
        "10.0.0.5",
        3307,
        "openemis",
    )
    assert "s@cret" not in dsn.safe
    assert (
        parse_dsn("mysql://root@localhost/db?unix_socket=/tmp/x.sock").unix_socket == "/tmp/x.sock"
    )
    with pytest.raises(SourceError, match="names no database"):
        parse_dsn("mysql://root@localhost/")
    with pytest.raises(SourceError, match="expected mysql://"):
        parse_dsn("postgresql://x/y")
