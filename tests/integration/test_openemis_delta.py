"""Incremental extraction from OpenEMIS (issue 14, point 4): the database changes the way the
EMIS changes it in a day (a transfer, a withdrawal, a corrected mark, a new absence), a delta
is extracted, and the warehouse built incrementally from full + delta equals the warehouse
built from scratch from a full extraction of the changed database. A deletion cannot travel
in a delta: the extraction says so and writes a full export instead."""

from __future__ import annotations

import json
from pathlib import Path

import duckdb
import pytest

from ingestion.openemis.extract import extract
from ingestion.openemis.source import parse_dsn
from tests.integration.conftest import Warehouses
from tests.integration.test_delta import ATTENDANCE, COMPARED, contents
from tests.integration.test_openemis import new_database
from warehouse.dbt_runner import build

pytestmark = [pytest.mark.mariadb, pytest.mark.slow]


def execute(server, dsn: str, *statements: str) -> None:
    conn = server.connect(database=parse_dsn(dsn).database)
    with conn.cursor() as cur:
        for statement in statements:
            cur.execute(statement)
    conn.commit()
    conn.close()


def one(server, dsn: str, query: str) -> tuple:
    conn = server.connect(database=parse_dsn(dsn).database)
    with conn.cursor() as cur:
        cur.execute(query)
        row = cur.fetchone()
    conn.close()
    return row


def a_days_changes(server, dsn: str, day: str) -> dict[str, str]:
    """A transfer, a withdrawal, a corrected mark and a new absence, dated ``day``."""
    current = "(SELECT id FROM student_statuses WHERE code = 'CURRENT')"
    pupils = (
        "SELECT s.id, s.student_id, s.institution_id, s.education_grade_id, s.academic_period_id "
        f"FROM institution_students s WHERE s.student_status_id = {current} AND s.end_date IS NULL "
        "AND s.academic_period_id = (SELECT max(id) FROM academic_periods) "
        "AND s.student_id IN (SELECT student_id FROM institution_class_students) ORDER BY s.id"
    )
    moved = one(server, dsn, pupils + " LIMIT 1")
    dropped = one(server, dsn, pupils + " LIMIT 1 OFFSET 7")
    other = one(
        server, dsn, f"SELECT id FROM institutions WHERE id <> {moved[2]} ORDER BY id LIMIT 1"
    )[0]
    mark = one(
        server,
        dsn,
        "SELECT student_id, education_subject_id, assessment_period_id, academic_period_id, "
        "institution_classes_id, marks FROM assessment_item_results ORDER BY id LIMIT 1",
    )
    absent = one(
        server,
        dsn,
        "SELECT cs.student_id, m.institution_class_id, m.academic_period_id, m.date "
        "FROM student_attendance_marked_records m JOIN institution_class_students cs "
        "ON cs.institution_class_id = m.institution_class_id WHERE m.period = 1 AND NOT EXISTS "
        "(SELECT 1 FROM institution_student_absence_details a WHERE a.student_id = cs.student_id "
        "AND a.date = m.date) ORDER BY m.date DESC, cs.student_id LIMIT 1",
    )
    now = "UTC_TIMESTAMP()"
    execute(
        server,
        dsn,
        # the transfer: the old stint closed, an approved request, a stint at the new school
        "UPDATE institution_students SET student_status_id = (SELECT id FROM student_statuses "
        f"WHERE code = 'TRANSFERRED'), end_date = '{day}', modified = {now} "
        f"WHERE id = '{moved[0]}'",
        "INSERT INTO institution_student_transfers (student_id, institution_id, "
        "previous_institution_id, status_id, requested_date, student_transfer_reason_id, created) "
        f"SELECT {moved[1]}, {other}, {moved[2]}, 1, '{day}', id, {now} "
        "FROM student_transfer_reasons WHERE national_code = 'MOVED_IN_COUNTRY'",
        "INSERT INTO institution_students VALUES (UUID(), "
        f"{moved[1]}, {other}, {moved[3]}, {moved[4]}, {current}, '{day}', NULL, '{moved[0]}', "
        f"{now}, {now})",
        # the withdrawal
        "UPDATE institution_students SET student_status_id = (SELECT id FROM student_statuses "
        f"WHERE code = 'WITHDRAWN'), end_date = '{day}', modified = {now} "
        f"WHERE id = '{dropped[0]}'",
        "INSERT INTO institution_student_withdraw (student_id, institution_id, status_id, "
        "effective_date, student_withdraw_reason_id, created) "
        f"SELECT {dropped[1]}, {dropped[2]}, 1, '{day}', id, {now} "
        "FROM student_withdraw_reasons WHERE national_code = 'FAMILY'",
        # the corrected mark: a new result row; the latest entered stands
        "INSERT INTO assessment_item_results (student_id, education_subject_id, "
        "assessment_period_id, academic_period_id, institution_classes_id, marks, created) "
        f"VALUES ({mark[0]}, {mark[1]}, {mark[2]}, {mark[3]}, {mark[4]}, "
        f"{2 if mark[5] > 2 else 5}, {now})",
        # a whole day's absence, every marked period
        "INSERT INTO institution_student_absence_details (student_id, institution_class_id, "
        "academic_period_id, date, period, absence_type_id, created) "
        f"SELECT {absent[0]}, {absent[1]}, {absent[2]}, '{absent[3]}', period, 2, {now} "
        f"FROM student_attendance_marked_records WHERE institution_class_id = {absent[1]} "
        f"AND date = '{absent[3]}'",
    )
    return {"absent_student": absent[0], "absent_date": str(absent[3])}


def rows(path: Path, table: str) -> list[tuple]:
    return duckdb.sql(
        f"SELECT * FROM read_csv('{path / (table + '.csv')}', all_varchar = true, header = true)"
    ).fetchall()


def test_a_delta_built_incrementally_equals_a_full_rebuild(
    mariadb_server, tiny_export, tmp_path, request, pseudonym_key_file
):
    dsn, _ = new_database(mariadb_server, tiny_export.path)
    as_of = tiny_export.snapshot_date
    first = tmp_path / "full-0"
    extract(dsn, as_of, first, progress=False)

    a_days_changes(mariadb_server, dsn, (as_of.replace(day=as_of.day - 1)).isoformat())
    delta = tmp_path / "delta-1"
    result = extract(dsn, as_of, delta, since=first, progress=False)
    manifest = json.loads((delta / "manifest.json").read_text())
    assert result.kind == "delta" and manifest["kind"] == "delta"
    events = {row[3] for row in rows(delta, "enrolments")}
    assert {"transfer_out", "transfer_in", "dropout"} <= events, events
    assert len(rows(delta, "grades")) == 1
    assert len(rows(delta, "students")) == 0  # nobody's record changed
    # the delta is small: the day's events and rows, not the registers again
    assert sum(result.rows.values()) < 0.2 * sum(
        json.loads((first / "manifest.json").read_text())["files"][f]["rows"] for f in result.rows
    )

    again = tmp_path / "full-1"
    extract(dsn, as_of, again, progress=False)

    warehouses = Warehouses("duckdb", request, tmp_path, pseudonym_key_file)
    daily = warehouses.new()
    daily.ingest(first)
    assert build(daily.settings).success
    loaded = daily.ingest(delta)
    assert all(file.quarantined == 0 for file in loaded.files), loaded.files
    assert build(daily.settings, incremental=True).success

    full = warehouses.new()
    full.ingest(again)
    assert build(full.settings).success
    for table, order in COMPARED.items():
        assert contents(daily, table, order) == contents(full, table, order), table
    columns = "academic_year, student_id, month_start_date, days_marked, days_absent, sex"
    attendance = f"select {columns} from {ATTENDANCE} order by student_id, month_start_date"
    assert daily.rows(attendance) == full.rows(attendance)


def test_a_deletion_turns_the_delta_into_a_full_extraction(mariadb_server, tiny_export, tmp_path):
    dsn, _ = new_database(mariadb_server, tiny_export.path)
    as_of = tiny_export.snapshot_date
    first = tmp_path / "full-0"
    before = extract(dsn, as_of, first, progress=False)
    student, day = one(
        mariadb_server,
        dsn,
        "SELECT student_id, date FROM institution_student_absence_details "
        "WHERE absence_type_id = 1 ORDER BY id LIMIT 1",
    )
    execute(
        mariadb_server,
        dsn,
        "INSERT INTO deleted_records (reference_table, reference_key, data, deleted_date, created) "
        "SELECT 'institution_student_absence_details', id, JSON_OBJECT('student_id', student_id, "
        "'date', date), UTC_TIMESTAMP(), UTC_TIMESTAMP() FROM institution_student_absence_details "
        f"WHERE student_id = {student} AND date = '{day}'",
        f"DELETE FROM institution_student_absence_details WHERE student_id = {student} "
        f"AND date = '{day}'",
    )
    result = extract(dsn, as_of, tmp_path / "next", since=first, progress=False)
    assert result.kind == "full"
    assert any(
        "cannot retract" in w and "institution_student_absence_details" in w
        for w in result.warnings
    ), result.warnings
    assert "kind" not in json.loads((tmp_path / "next" / "manifest.json").read_text())
    assert result.rows["absences.csv"] == before.rows["absences.csv"] - 1
