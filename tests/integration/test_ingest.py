"""`emis ingest` on the tiny export, on DuckDB and PostgreSQL: every row loaded or quarantined.

The quarantine must be exactly the ingestion-stage defects the generator planted (defects.csv),
each with the rule it breaks; every file reconciles (declared = read = loaded + quarantined,
declared = manifest); the CLI prints that reconciliation and logs every attempt.
"""

from __future__ import annotations

import json
import re

from ingestion.contract import TABLES
from tests.integration.conftest import (
    GeneratedExport,
    Warehouse,
    copy_export,
    expected_counts,
    planted_quarantine,
    result_counts,
    run_emis,
)


def test_every_row_is_loaded_or_quarantined(warehouse: Warehouse, tiny_export: GeneratedExport):
    result = warehouse.ingest(tiny_export.path)

    assert not result.already_loaded and result.load_id == 1
    expected = expected_counts(tiny_export)
    assert result_counts(result) == expected
    for summary in result.files:
        assert summary.declared == summary.read == summary.loaded + summary.quarantined
    files = warehouse.load_files(1)
    assert {
        name: (row["rows_declared"], row["rows_loaded"], row["rows_quarantined"])
        for name, row in files.items()
    } == expected
    assert all(row["rows_read"] == row["rows_declared"] for row in files.values())
    assert warehouse.rows(
        "select load_id, rows_declared, rows_loaded, rows_quarantined from meta.loads"
    ) == [(1, *(sum(column) for column in zip(*expected.values(), strict=True)))]
    raw_counts = {
        f"{table.name}.csv": warehouse.scalar(f"select count(*) from raw.{table.name}")
        for table in TABLES
    }
    assert raw_counts == {name: loaded for name, (_, loaded, _) in expected.items()}


def test_the_quarantine_is_exactly_the_planted_defects(
    warehouse: Warehouse, tiny_export: GeneratedExport
):
    warehouse.ingest(tiny_export.path)

    assert warehouse.quarantine(1) == planted_quarantine(tiny_export)
    # Each quarantine row points at the line of the file that holds the record.
    for file_name, line_number, record_id in warehouse.rows(
        "select file_name, line_number, record_id from meta.quarantine"
    ):
        lines = tiny_export.file(file_name).read_text(encoding="utf-8").splitlines()
        assert lines[line_number - 1].startswith(f"{record_id},")


def test_both_engines_hold_the_same_raw_rows(
    warehouse: Warehouse, baseline: Warehouse, tiny_export: GeneratedExport
):
    warehouse.ingest(tiny_export.path)

    for table in TABLES:
        assert warehouse.raw_rows(table.name, 1) == baseline.raw_rows(table.name, 1), table.name


def test_the_cli_prints_the_reconciliation(warehouse: Warehouse, tiny_export: GeneratedExport):
    run = run_emis(warehouse, "ingest", str(tiny_export.path))

    assert run.code == 0, run.err
    assert run.err == ""
    lines = run.out.splitlines()
    names = list(tiny_export.manifest["files"])
    reading = [line for line in lines if line.startswith("  reading ")]
    assert sorted(reading) == sorted(f"  reading {name} ..." for name in names)
    assert re.fullmatch(r"file\s+declared\s+loaded\s+quarantined\s+seconds", lines[len(reading)])
    printed = {}
    for line in lines:
        match = re.fullmatch(r"(\S+)\s+([\d,]+)\s+([\d,]+)\s+([\d,]+)\s+(\d+\.\d)", line)
        if match:
            name, *counts, _seconds = match.groups()
            printed[name] = tuple(int(count.replace(",", "")) for count in counts)
    expected = expected_counts(tiny_export)
    totals = tuple(sum(column) for column in zip(*expected.values(), strict=True))
    assert printed == expected | {"total": totals}
    assert sorted(printed) == sorted([*names, "total"])
    assert lines[-1].startswith(f"load 1: {totals[1]:,} rows loaded, {totals[2]:,} quarantined")


def test_every_attempt_is_logged(
    warehouse: Warehouse, tiny_export: GeneratedExport, tmp_path, emis_cli
):
    broken = copy_export(tiny_export, tmp_path / "broken")
    (broken / "manifest.json").unlink()

    assert emis_cli(warehouse, "ingest", str(broken), "--quiet").code == 2
    assert emis_cli(warehouse, "ingest", str(tiny_export.path), "--quiet").code == 0
    assert emis_cli(warehouse, "ingest", str(tiny_export.path), "--quiet").code == 0

    log = warehouse.settings.home / "logs" / "ingest.jsonl"
    entries = [json.loads(line) for line in log.read_text(encoding="utf-8").splitlines()]
    assert [(entry["export"], entry["status"]) for entry in entries] == [
        (str(broken), "failed"),
        (str(tiny_export.path), "loaded"),
        (str(tiny_export.path), "already_loaded"),
    ]
    assert entries[0]["error"] == "manifest.json: missing: every export carries one"
    assert entries[1]["load_id"] == entries[2]["load_id"] == 1
    assert all(re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+00:00", e["at"]) for e in entries)
