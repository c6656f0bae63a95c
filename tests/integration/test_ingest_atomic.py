"""Loads are idempotent and atomic, on DuckDB and PostgreSQL.

The same export twice changes nothing; a newer export adds a load and the raw layer keeps both;
a load killed with SIGKILL while reading or while writing leaves the warehouse as it was,
and the next load succeeds.
"""

from __future__ import annotations

import datetime as dt
import os
import signal
import subprocess
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import psycopg
import pytest

from ingestion.contract import TABLES
from tests.integration.conftest import (
    EMIS_BIN,
    GeneratedExport,
    Warehouse,
    Warehouses,
    copy_export,
    expected_counts,
    result_counts,
    run_emis,
)


def test_loading_the_same_export_again_changes_nothing(
    loaded_warehouse: Warehouse, tiny_export: GeneratedExport, tmp_path, emis_cli
):
    before = loaded_warehouse.snapshot()
    assert [row[0] for row in before["loads"]] == [1]

    result = loaded_warehouse.ingest(tiny_export.path)
    assert (result.already_loaded, result.load_id, result.files) == (True, 1, ())
    assert loaded_warehouse.snapshot() == before

    # The same files elsewhere are the same export: what counts is the content.
    elsewhere = copy_export(tiny_export, tmp_path / "copy")
    run = emis_cli(loaded_warehouse, "ingest", str(elsewhere))
    assert (run.code, run.out, run.err) == (
        0,
        f"{elsewhere}: already loaded as load 1; nothing changed\n",
        "",
    )
    assert loaded_warehouse.snapshot() == before


@pytest.mark.parametrize("newer_first", [False, True], ids=["older first", "newer first"])
def test_a_newer_export_adds_a_load_and_becomes_the_latest(
    newer_first: bool, warehouse: Warehouse, tiny_export: GeneratedExport, tiny_2026_export: Path
):
    exports = [tiny_export.path, tiny_2026_export]
    if newer_first:
        exports.reverse()

    results = [warehouse.ingest(path) for path in exports]

    assert [result.load_id for result in results] == [1, 2]
    assert not any(result.already_loaded for result in results)
    newer = 1 if newer_first else 2
    assert warehouse.rows("select load_id, snapshot_date from meta.latest_load") == [
        (newer, dt.date(2027, 1, 15))
    ]
    assert warehouse.rows("select load_id, snapshot_date from meta.loads order by 1") == sorted(
        [(newer, dt.date(2027, 1, 15)), (3 - newer, dt.date(2026, 1, 15))]
    )
    for load_id, result in enumerate(results, 1):
        for table in TABLES:
            loaded = sum(f.loaded for f in result.files if f.table == table.name)
            count = f"select count(*) from raw.{table.name} where load_id = {load_id}"
            assert warehouse.scalar(count) == loaded, (load_id, table.name)


@contextmanager
def another_reader(warehouse: Warehouse) -> Iterator[None]:
    """Someone else (an analyst, a dashboard) reading the warehouse and keeping it open."""
    if warehouse.engine == "duckdb":
        with duckdb.connect(str(warehouse.settings.warehouse_path), read_only=True) as con:
            con.execute("select count(*) from raw.students").fetchall()
            yield
        return
    with psycopg.connect(warehouse.settings.warehouse) as conn:  # a transaction stays open
        conn.execute("select count(*) from raw.students").fetchall()
        yield


def test_a_reader_keeping_the_warehouse_open_gets_no_traceback(
    warehouse: Warehouse, tiny_export: GeneratedExport, tiny_2026_export: Path
):
    warehouse.ingest(tiny_export.path)
    before = warehouse.snapshot()

    with another_reader(warehouse):
        run = run_emis(warehouse, "ingest", str(tiny_2026_export), "--quiet")

    # Either the load goes through (PostgreSQL) or it stops with one line and changes nothing.
    assert "Traceback" not in run.err, run.err
    if run.code == 0:
        assert [row[0] for row in warehouse.snapshot()["loads"]] == [1, 2]
    else:
        assert run.code == 2 and run.err.count("\n") == 1, run.err
        assert "in use by another process" in run.err
        assert warehouse.snapshot() == before


# --- killed mid-load ----------------------------------------------------------------------------

MAX_ATTEMPTS = 3
POLL_SECONDS = 0.001
COPY_RAW_ACTIVE = (
    "select count(*) from pg_stat_activity where datname = current_database() "
    "and state = 'active' and query ilike 'copy raw.%'"
)
OTHER_SESSIONS = (
    "select count(*) from pg_stat_activity where datname = current_database() "
    "and pid <> pg_backend_pid()"
)


@dataclass
class IngestProcess:
    """`emis ingest` running in a process of its own; its stdout lines collected as they come."""

    process: subprocess.Popen
    lines: list[str] = field(default_factory=list)
    reader: threading.Thread = field(init=False)

    def __post_init__(self) -> None:
        self.reader = threading.Thread(target=self._read, daemon=True)
        self.reader.start()

    @classmethod
    def start(cls, export: Path, warehouse: Warehouse) -> IngestProcess:
        return cls(
            subprocess.Popen(
                [str(EMIS_BIN), "ingest", str(export)],
                env=os.environ | warehouse.env,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
            )
        )

    def _read(self) -> None:
        for line in self.process.stdout:
            self.lines.append(line.rstrip("\n"))

    def printed(self, prefix: str) -> bool:
        return any(line.startswith(prefix) for line in self.lines)

    def finish(self) -> str:
        """Wait for the end; returns stderr."""
        self.process.wait(timeout=120)
        self.reader.join(timeout=10)
        return self.process.stderr.read()


@contextmanager
def writing_started(warehouse: Warehouse) -> Iterator[Callable[[], bool]]:
    """A check that turns true once the load writes to the warehouse: DuckDB: the WAL file
    appears or the database file grows (rows go in file by file, inside the load's open
    transaction); PostgreSQL: a COPY into raw runs (its commit, once every file is read).
    """
    if warehouse.engine == "duckdb":
        path = warehouse.settings.warehouse_path
        wal = path.with_name(f"{path.name}.wal")
        size = path.stat().st_size
        yield lambda: wal.exists() or path.stat().st_size != size
        return
    with psycopg.connect(warehouse.settings.warehouse, autocommit=True) as conn:
        yield lambda: conn.execute(COPY_RAW_ACTIVE).fetchall()[0][0] > 0


def kill_mid_load(export: Path, warehouse: Warehouse, point: str) -> IngestProcess | None:
    """Run `emis ingest export` and SIGKILL it at ``point`` ("reading": once it has started
    reading grades.csv, "writing": once it writes to the warehouse). Returns the killed run, or
    None when the load finished before the point was seen (the caller tries again)."""
    run = IngestProcess.start(export, warehouse)
    if point == "reading":
        check = nullcontext(lambda: run.printed("  reading grades.csv"))
    else:
        check = writing_started(warehouse)
    with check as reached:
        deadline = time.monotonic() + 120
        while run.process.poll() is None and time.monotonic() < deadline:
            if reached():
                run.process.send_signal(signal.SIGKILL)
                break
            time.sleep(POLL_SECONDS)
        else:
            run.process.kill()
    stderr = run.finish()
    if run.process.returncode == 0:
        return None
    assert run.process.returncode == -signal.SIGKILL, stderr
    return run


def wait_for_no_other_sessions(warehouse: Warehouse, timeout: float = 30) -> None:
    """PostgreSQL: the killed client's server session ends (its transaction rolled back)."""
    if warehouse.engine != "postgres":
        return
    deadline = time.monotonic() + timeout
    while warehouse.scalar(OTHER_SESSIONS) > 0:
        assert time.monotonic() < deadline, "the killed load's session is still open"
        time.sleep(0.05)


@pytest.mark.slow
def test_a_killed_load_leaves_the_warehouse_as_it_was(
    warehouses: Warehouses, tiny_export: GeneratedExport, small_export: GeneratedExport
):
    warehouse = warehouses.new()
    warehouse.ingest(tiny_export.path)
    for point in ("reading", "writing"):
        # The writing of the small export takes 0.5-2 s and the poll runs every millisecond, so
        # the kill point is hit in practice. Should the load still finish first (a stalled
        # machine), it changed the warehouse: start over on a new one, a bounded number of times.
        for _ in range(MAX_ATTEMPTS):
            before = warehouse.snapshot()
            killed = kill_mid_load(small_export.path, warehouse, point)
            if killed is not None:
                break
            warehouse = warehouses.new()
            warehouse.ingest(tiny_export.path)
        else:
            pytest.fail(f"the load finished before the {point} kill point {MAX_ATTEMPTS} times")

        # It really died mid-load: it had started reading and had not reported a load.
        assert killed.printed("  reading organizations.csv"), killed.lines
        assert not killed.printed("load "), killed.lines
        if point == "reading":
            assert killed.printed("  reading grades.csv")
        elif warehouse.engine == "postgres":  # every file read: it died while committing
            assert killed.printed("  reading population.csv")
        wait_for_no_other_sessions(warehouse)
        assert warehouse.snapshot() == before, point

    result = warehouse.ingest(small_export.path)
    assert result.load_id == 2
    assert result_counts(result) == expected_counts(small_export)
    assert [row[0] for row in warehouse.snapshot()["loads"]] == [1, 2]
