"""The open bundle's CSV files (``bundle._write_csv``): DuckDB writes them, byte for byte as
pandas would (the releases before it were written by pandas)."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest

from warehouse.release.bundle import _printable, _write_csv

ROWS = 12
AWKWARD = {
    "text": pd.Series(["", " a ", 'a"b', "a,b", "a\nb", None, "NULL", "ü", "a;b", "#5", "x",
                       "Школа № 5"], dtype="str"),
    "objects": ["", 1, 2.5, None, dt.date(2025, 9, 15), True, "t", {"a": 1}, [1], np.nan,
                pd.NA, "y"],
    "doubles": [1e-5, 1.5e-7, 1e16, 1.2345678901234567e17, 0.0001, -0.0, np.nan,
                0.30000000000000004, 100.0, 5e-324, 1.7976931348623157e308, 12.5],
    "integers": pd.array([1, None, 3, 4, 5, 6, 7, 8, 9, 10, 11, -12], dtype="Int64"),
    "small_integers": pd.array([1, None, *range(3, 13)], dtype="Int32"),
    "numpy_integers": np.arange(ROWS),
    "booleans": [True, False] * (ROWS // 2),
    "nullable_booleans": pd.array([True, None, False] * (ROWS // 3), dtype="boolean"),
    "dates": [dt.date(2025, 9, 15)] * (ROWS - 1) + [None],
}  # fmt: skip
# Columns pandas prints otherwise than DuckDB: the table is written by pandas.
OTHERS = {
    "float32": np.array([0.1, 1e-5, *range(ROWS - 2)], dtype="float32"),
    "midnight": pd.to_datetime(["2025-09-15"] * (ROWS - 1) + [None]),
}


@pytest.mark.parametrize("bom", [True, False])  # False: the SDMX-CSV file
@pytest.mark.parametrize("other", [None, *OTHERS])
def test_a_table_is_written_as_pandas_writes_it(tmp_path, other, bom):
    table = pd.DataFrame(AWKWARD | ({other: OTHERS[other]} if other else {}))
    assert (_printable(table) is None) == (other is not None)
    _write_csv(table, tmp_path / "ours.csv", bom=bom)
    encoding = "utf-8-sig" if bom else "utf-8"
    table.to_csv(tmp_path / "pandas.csv", index=False, encoding=encoding, lineterminator="\n")
    assert (tmp_path / "ours.csv").read_bytes() == (tmp_path / "pandas.csv").read_bytes()
    assert sorted(path.name for path in tmp_path.iterdir()) == ["ours.csv", "pandas.csv"]


def test_an_empty_table_has_its_header(tmp_path):
    _write_csv(pd.DataFrame({"a": pd.Series([], dtype="str"), "b": []}), tmp_path / "e.csv")
    assert (tmp_path / "e.csv").read_bytes() == b"\xef\xbb\xbfa,b\n"
