"""The OpenEMIS connector against a real MariaDB server (issue 14).

The synthetic ``tiny`` export is written into OpenEMIS Core tables by the reverse generator
and extracted back: the export must come back equal after canonical sorting, except the
columns docs/openemis.md lists as lossy and the rows OpenEMIS cannot hold (the reverse
generator names them; all are planted defects or academic leave).
"""

from __future__ import annotations

import datetime as dt
import json
import uuid
from pathlib import Path

import duckdb
import pytest

from ingestion.contract import TABLES_BY_NAME
from ingestion.openemis.extract import LOSSY_COLUMNS, extract
from ingestion.openemis.reverse import create_schema, write_openemis
from tests.mariadb import ThrowawayMariaDB

pytestmark = pytest.mark.mariadb

# Ids OpenEMIS renames: the contract's CLS0000278 is institution_classes.id 278.
NUMERIC_IDS = {"class_id", "assignment_id"}
REGISTERS = (
    "organizations",
    "students",
    "staff",
    "classes",
    "staff_assignments",
    "infrastructure",
    "grades",
    "attendance_marks",
    "absences",
)


def new_database(server: ThrowawayMariaDB, export: Path):
    """A database of the test's own on the session server, filled from ``export``."""
    name = f"openemis_{uuid.uuid4().hex[:8]}"
    conn = server.connect(local_infile=True)
    conn.cursor().execute(f"CREATE DATABASE {name}")
    conn.select_db(name)
    create_schema(conn)
    result = write_openemis(export, conn)
    conn.close()
    return server.dsn(name), result


@pytest.fixture(scope="module")
def openemis_tiny(mariadb_server, tiny_export):
    return new_database(mariadb_server, tiny_export.path)


@pytest.fixture(scope="module")
def extracted(openemis_tiny, tiny_export, tmp_path_factory) -> Path:
    dsn, _ = openemis_tiny
    out = tmp_path_factory.mktemp("extract") / "export"
    extract(dsn, tiny_export.snapshot_date, out, progress=False)
    return out


def canonical(con, path: Path, table: str, drop: set[str], skipped: set[str]) -> list[tuple]:
    """The file's rows as sorted tuples of normalized text, without ``drop`` columns."""
    spec = TABLES_BY_NAME[table]
    key = spec.key[0]
    selected = []
    for column in spec.columns:
        if column.name in drop:
            continue
        name = f'"{column.name}"'
        if column.name in NUMERIC_IDS:
            selected.append(f"try_cast(regexp_extract({name}, '(\\d+)$', 1) AS BIGINT)::VARCHAR")
        elif column.type in ("decimal", "int"):
            selected.append(f"try_cast({name} AS DOUBLE)::VARCHAR")
        elif column.type == "bool":
            selected.append(f"lower({name})")
        else:
            selected.append(name)
    rows = con.sql(
        f"SELECT {', '.join(selected)} FROM read_csv('{path / (table + '.csv')}', "
        f"all_varchar = true, header = true) WHERE {key} NOT IN (SELECT unnest(?::VARCHAR[]))",
        params=[sorted(skipped)],
    ).fetchall()
    return sorted(rows, key=lambda row: tuple("" if v is None else str(v) for v in row))


def test_the_round_trip_gives_the_export_back(openemis_tiny, tiny_export, extracted):
    _, written = openemis_tiny
    # What the reverse generator could not write is planted defects and academic leave only.
    defects = tiny_export.path / "defects.csv"
    planted = set(
        duckdb.sql(f"SELECT record_id FROM read_csv('{defects}', all_varchar = true)").fetchall()
    )
    for skipped in written.skipped:
        assert (skipped.record_id,) in planted or "academic leave" in skipped.reason, skipped
    assert written.rows["institution_students"] > 0

    con = duckdb.connect()
    skipped_ids = {s.record_id for s in written.skipped}
    for table in REGISTERS:
        drop = set(LOSSY_COLUMNS.get(table, {}))
        generated = canonical(con, tiny_export.path, table, drop, skipped_ids)
        back = canonical(con, extracted, table, drop, skipped_ids)
        assert len(back) == len(generated), table
        differing = [pair for pair in zip(generated, back, strict=True) if pair[0] != pair[1]]
        assert not differing, f"{table}: {len(differing)} rows differ, e.g. {differing[:2]}"


def test_events_come_back_from_stints(openemis_tiny, tiny_export, extracted):
    """Events, without their ids: learners with an event OpenEMIS could not hold aside."""
    _, written = openemis_tiny
    events = "read_csv('{}/enrolments.csv', all_varchar = true, header = true)"
    skipped = sorted(
        {s.record_id for s in written.skipped + written.altered if s.file == "enrolments.csv"}
    )
    columns = (
        "student_id, org_id, event_type, event_date, academic_year, level, grade, "
        "try_cast(regexp_extract(class_id, '(\\d+)$', 1) AS BIGINT), reason, recorded_at, "
        "CASE WHEN event_type IN ('admission', 'transfer_in', 'promotion', 'repetition') "
        "THEN study_form END"
    )
    query = (
        f"SELECT {columns} FROM {{}} WHERE student_id NOT IN (SELECT student_id FROM "
        f"{events.format(tiny_export.path)} WHERE event_id IN (SELECT unnest(?::VARCHAR[])))"
    )
    con = duckdb.connect()
    generated = con.sql(query.format(events.format(tiny_export.path)), params=[skipped])
    back = con.sql(query.format(events.format(extracted)), params=[skipped])
    missing = generated.except_(back).fetchall()
    extra = back.except_(generated).fetchall()
    assert not missing and not extra, (missing[:3], extra[:3])
    assert generated.count("*").fetchall()[0][0] > 7000
    kinds = {row[0] for row in back.project("event_type").distinct().fetchall()}
    assert {
        "admission",
        "promotion",
        "transfer_in",
        "transfer_out",
        "graduation",
        "dropout",
    } <= kinds


def test_the_export_is_a_full_one_with_a_watermark(extracted, tiny_export):
    manifest = json.loads((extracted / "manifest.json").read_text())
    assert "kind" not in manifest
    assert manifest["snapshot_date"] == tiny_export.snapshot_date.isoformat()
    assert manifest["academic_year"] == "2025-2026"
    assert dt.datetime.fromisoformat(manifest["openemis"]["watermark"])
    assert "root@" in manifest["source"] and "password" not in manifest["source"]


@pytest.mark.slow
def test_emis_run_from_openemis_extracts_then_runs_the_pipeline(
    openemis_tiny, tiny_export, tmp_path, request, pseudonym_key_file, emis_cli
):
    from tests.integration.conftest import Warehouses

    dsn, _ = openemis_tiny
    warehouse = Warehouses("duckdb", request, tmp_path, pseudonym_key_file).new()
    run = emis_cli(
        warehouse, "run", "--from-openemis", dsn, "--as-of", tiny_export.snapshot_date.isoformat(),
        "--accept-blocking", "test: the synthetic export's planted defects",
    )  # fmt: skip
    assert run.code == 0, run.err
    assert "0/4 extract everything from OpenEMIS" in run.out and "is current" in run.out
    extracts = list((warehouse.settings.home / "extracts" / "openemis").iterdir())
    assert len(extracts) == 1 and (extracts[0] / "manifest.json").exists()
    assert warehouse.scalar("select count(*) from raw.enrolments") > 7000
