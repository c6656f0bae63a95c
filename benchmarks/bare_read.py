"""The yardstick of `make bench`: a bare DuckDB read of an export's CSV files into a database.

Two threads, types detected, nothing else: what reading the export costs on this machine
today. The machine is shared and noisy, so every stage is also printed as a ratio to this
read, timed in the same run, and the targets hold as ratios (`docs/performance.md`).
"""

from __future__ import annotations

import sys
from pathlib import Path

import duckdb

# The export's own files; defects.csv (the generator's ground truth) is not part of it.
NOT_EXPORTED = {"defects.csv"}


def bare_read(export: Path, database: Path) -> None:
    database.unlink(missing_ok=True)
    with duckdb.connect(str(database), config={"threads": 2}) as con:
        for path in sorted(export.glob("*.csv")):
            if path.name not in NOT_EXPORTED:
                con.execute(f'create table "{path.stem}" as select * from read_csv(?)', [str(path)])
    database.unlink()


if __name__ == "__main__":
    bare_read(Path(sys.argv[1]), Path(sys.argv[2]))
