"""warehouse.read: a query's frame is the one DuckDB's own conversion gives, only faster."""

from __future__ import annotations

import duckdb
import pandas as pd
import pytest

from emis.settings import load_settings
from warehouse.read import frame, frames

# Every kind of column a release reads: text with and without values, decimals, integers
# with and without a null, dates, timestamps, booleans, lists.
ROWS = """
    select * from (values
        (1, 'Бишкек', null::varchar, 1.25::decimal(10, 2), null::int, date '2025-09-15',
         true, ['ky', 'ru'], timestamp '2025-09-15 10:00', 7::bigint),
        (2, null, null, null, 3, null, null, null, null, 8),
        (3, 'Ош', null, 0.10, 4, date '2024-09-15', false, [], null, 9)
    ) as t(id, name, footnote, share, population_year, reference_date, is_open, languages,
           recorded_at, pupils)
"""


@pytest.fixture
def settings(tmp_path):
    path = tmp_path / "warehouse.duckdb"
    with duckdb.connect(str(path)) as con:
        con.execute(f"create table rows as {ROWS}")
        con.execute("create table no_rows as select * from rows where false")
    return load_settings(environ={"EMIS_HOME": str(tmp_path), "EMIS_WAREHOUSE": str(path)})


@pytest.mark.parametrize("table", ["rows", "no_rows"])
def test_a_frame_is_the_one_duckdb_gives(settings, table):
    with duckdb.connect(str(settings.warehouse_path), read_only=True) as con:
        expected = con.execute(f"select * from {table}").df(date_as_object=True)
    got = frame(settings, f"select * from {table}")
    pd.testing.assert_frame_equal(got, expected, check_exact=True)
    assert got.dtypes.to_dict() == expected.dtypes.to_dict()
    assert got["footnote"].dtype.kind == "O"  # no value: None, as DuckDB leaves it


def test_frames_reads_each_query_by_name(settings):
    read = frames(settings, {"all": "select * from rows", "ids": "select id from rows"})
    assert list(read) == ["all", "ids"]
    assert read["ids"]["id"].tolist() == [1, 2, 3]
    assert read["all"]["name"].tolist()[::2] == ["Бишкек", "Ош"]
