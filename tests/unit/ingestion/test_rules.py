"""Each contract rule catches what it should and lets good values through."""

import datetime as dt

import duckdb
import pytest

from ingestion.contract import ENROLMENTS, ORGANIZATIONS, Column, Table
from ingestion.rules import rules_for, typed_sql

SNAPSHOT = dt.date(2026, 1, 15)
GOOD_EVENT = {
    "event_id": "EVT1", "student_id": "STU1", "org_id": "ORG1", "event_type": "admission",
    "event_date": "2025-09-01", "academic_year": "2025-2026", "level": "primary", "grade": "1",
    "class_id": None, "study_form": "full_time", "reason": None,
    "recorded_at": "2025-09-02T08:00:00Z",
}  # fmt: skip


def broken_rules(table: Table, row: dict) -> set[tuple[str, str]]:
    """(column, rule) pairs the row breaks."""
    columns = ", ".join(f"$v{i}::varchar as {c.name}" for i, c in enumerate(table.columns))
    params = {f"v{i}": row.get(c.name) for i, c in enumerate(table.columns)}
    with duckdb.connect() as con:
        con.execute(f"create temp table staged as select {columns}", params)
        return {
            (rule.column, rule.rule)
            for rule in rules_for(table, SNAPSHOT)
            if con.execute(f"select coalesce(({rule.fails}), false) from staged").fetchall()[0][0]
        }


def test_a_good_event_breaks_nothing():
    assert broken_rules(ENROLMENTS, GOOD_EVENT) == set()


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        ({"event_date": "2025-02-30"}, ("event_date", "type")),
        ({"event_date": "01.09.2025"}, None),  # DD.MM.YYYY is accepted too
        ({"event_date": "1890-01-01"}, ("event_date", "range")),
        ({"study_form": "part_time"}, ("study_form", "code")),
        ({"academic_year": None}, ("academic_year", "required")),
        ({"academic_year": "2025-2027"}, ("academic_year", "format")),
        ({"grade": None}, ("grade", "conditional_required")),
        ({"grade": "12"}, ("grade", "range")),
        ({"grade": "one"}, ("grade", "type")),
        ({"event_type": "dropout"}, ("reason", "conditional_required")),
        ({"recorded_at": "yesterday"}, ("recorded_at", "type")),
        ({"recorded_at": "2025-09-02 08:00:00+06:00"}, None),
    ],
)
def test_event_rules(change, expected):
    broken = broken_rules(ENROLMENTS, GOOD_EVENT | change)
    assert broken == ({expected} if expected else set())


@pytest.mark.parametrize(
    ("text", "utc"),
    [
        ("2025-09-02T08:00:00Z", "2025-09-02 08:00:00"),
        ("2025-09-02 08:00:00+06:00", "2025-09-02 02:00:00"),
        ("2025-09-02T08:00:00", "2025-09-02 08:00:00"),  # no offset: UTC, as ingestion sets
        ("2025-09-02T08:00:00.5-03:30", "2025-09-02 11:30:00.5"),
        ("2025-09-02T08:00:00 Asia/Bishkek", "2025-09-02 02:00:00"),
        ("2025-01-01T03:00:00+05", "2024-12-31 22:00:00"),  # the day and year change
        ("infinity", "infinity"),
        ("-infinity", "-infinity"),
        ("yesterday", None),
        ("2025-02-30T08:00:00Z", None),
    ],
)
def test_a_timestamp_is_stored_as_its_utc_time(text, utc):
    with duckdb.connect() as con:
        con.execute("set TimeZone = 'UTC'")
        con.execute(
            "create temp table staged as select $text::varchar as recorded_at", {"text": text}
        )
        expression = typed_sql(Column("recorded_at", "timestamp"))
        assert con.execute(f"select ({expression})::varchar from staged").fetchall() == [(utc,)]


def test_organization_code_lists_and_districts():
    org = {
        "org_id": "ORG1", "name_ru": "Школа", "org_type": "school", "ownership": "state",
        "district_code": "41707215", "locality": "rural", "languages": "ky; ru",
        "status": "active", "updated_at": "2025-01-01T00:00:00Z",
    }  # fmt: skip
    assert broken_rules(ORGANIZATIONS, org) == set()
    assert broken_rules(ORGANIZATIONS, org | {"languages": "ky;fr"}) == {("languages", "code")}
    assert broken_rules(ORGANIZATIONS, org | {"district_code": "99999999"}) == {
        ("district_code", "code")
    }
    assert broken_rules(ORGANIZATIONS, org | {"status": "closed"}) == {
        ("closed_date", "conditional_required")
    }
