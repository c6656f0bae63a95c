"""A daily publish carries the sign-off certificates' figures forward when the loads since
changed nothing in force on the census date, and they are the figures a full computation
gives (issue 19), on DuckDB and PostgreSQL.

The tiny export is loaded, built and checked, and its certificates computed. Then a day's
generated delta, with corrections that look as if they could matter but take effect after the
census date (a learner's sex, an organization's locality, a class's shift, a post's rate), is
loaded, built and checked: its certificates are carried, and must equal a full computation. A
second delta then delivers each change that does reach the census date; each must be named,
and carrying the figures across it would have been wrong.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from expectations.check import check
from ingestion.synthetic.delta import generate_delta
from signoff import certificate
from tests.integration.deliveries import READ, csv_rows, deliver, first_id, row_of
from warehouse.dbt_runner import build


def quiet_corrections(base: Path, census: dt.date) -> dict[str, str]:
    """Corrected records whose new versions start after the census date: none of the
    certificates' figures as of that date may move."""
    learner = first_id(
        base, "enrolments.csv", "student_id", f"try_cast(event_date as date) <= '{census}'"
    )
    organization = first_id(base, "organizations.csv", "org_id")
    class_id = first_id(base, "classes.csv", "class_id")
    post = first_id(base, "staff_assignments.csv", "assignment_id")
    return {
        "students.csv": f"""select * replace (case sex when 'M' then 'F' else 'M' end as sex)
            from {READ.format(base / "students.csv")} where student_id = '{learner}'""",
        "organizations.csv": f"""select * replace (
                case locality when 'urban' then 'rural' else 'urban' end as locality)
            from {READ.format(base / "organizations.csv")} where org_id = '{organization}'""",
        "classes.csv": f"""select * replace (case shift when '1' then '2' else '1' end as shift)
            from {READ.format(base / "classes.csv")} where class_id = '{class_id}'""",
        "staff_assignments.csv": f"""select * replace ('0.25' as rate)
            from {READ.format(base / "staff_assignments.csv")}
            where assignment_id = '{post}'""",
    }


# Each change that reaches the census date: the reasons it must be named by, and its rows.
def census_changes(base: Path, census: dt.date) -> list[tuple[list[str], list[tuple[str, str]]]]:
    on_census = f"try_cast(event_date as date) <= '{census}'"
    admitted = first_id(
        base, "enrolments.csv", "event_id", f"{on_census} and event_type = 'admission'"
    )
    moved = csv_rows(base / "enrolments.csv", f"select max(event_id) from t where {on_census}")[0][
        0
    ]
    after = census + dt.timedelta(days=200)
    event = "a movement event dated on or before the census date, or moved from it"
    new_post = "a new staff assignment"
    return [
        ([event], [row_of(base, "enrolments.csv", f"""'EVT9100000001' as event_id,
            'dropout' as event_type, '{census}' as event_date, null as class_id,
            'family' as reason""", f"where event_id = '{admitted}'")]),
        ([event], [row_of(base, "enrolments.csv", f"'{after}' as event_date",
                          f"where event_id = '{moved}'")]),
        (["an infrastructure survey dated on or before the census date"], [row_of(
            base, "infrastructure.csv", f"""'{census}' as survey_date,
            cast(cast(classrooms as integer) + 7 as varchar) as classrooms""",
            "order by org_id, survey_date limit 1")]),
        (["a new organization"], [row_of(base, "organizations.csv", "'ORG9100001' as org_id",
                                         "order by org_id limit 1")]),
        (["a new class"], [row_of(base, "classes.csv", "'CLS9100000001' as class_id",
                                  "order by class_id limit 1")]),
        ([new_post], [row_of(base, "staff_assignments.csv", "'ASG9100000001' as assignment_id",
                             "order by assignment_id limit 1")]),
        ([event, "a new learner named by a movement event on or before the census date"], [
            row_of(base, "students.csv", "'STU9100000001' as student_id",
                   "order by student_id limit 1"),
            row_of(base, "enrolments.csv",
                   "'EVT9100000002' as event_id, 'STU9100000001' as student_id",
                   f"where event_id = '{admitted}'"),
        ]),
        ([new_post, "a new staff member with an assignment"], [
            row_of(base, "staff.csv", "'STF9100000001' as staff_id", "order by staff_id limit 1"),
            row_of(base, "staff_assignments.csv",
                   "'ASG9100000002' as assignment_id, 'STF9100000001' as staff_id",
                   "order by assignment_id limit 1"),
        ]),
    ]  # fmt: skip


# What the certificates read but the seeds: the staging models (tables on PostgreSQL) and the
# register histories.
CERTIFIED_INPUTS = "staging snapshots"


def figures(documents: list[dict]) -> list[dict]:
    """The certificates but their quality issues and load: what is carried forward."""
    return [{**d, "quality": None, certificate.PINNED_FIELD: None} for d in documents]


def load(warehouse, export: Path, select: str | None = None) -> int:
    """Ingest ``export``, build incrementally (only ``select``, if given) and check."""
    loaded = warehouse.ingest(export)
    assert sum(f.quarantined for f in loaded.files) == 0, warehouse.rows(
        f"select * from meta.quarantine where load_id = {loaded.load_id}"
    )
    assert build(warehouse.settings, select, incremental=True).success
    if select is None:
        check(warehouse.settings, refresh_monitoring=False)
    return loaded.load_id


def certified(warehouses, tiny_export):
    """A new warehouse holding the tiny export, built and checked, and its certificates."""
    warehouse = warehouses.new()
    warehouse.ingest(tiny_export.path)
    assert build(warehouse.settings).success
    check(warehouse.settings, refresh_monitoring=False)
    return warehouse, certificate.update(warehouse.settings)


def test_certificates_are_carried_only_while_nothing_on_the_census_date_changed(
    warehouses, tiny_export, tmp_path
):
    warehouse, first = certified(warehouses, tiny_export)
    settings = warehouse.settings
    assert first.recomputed_because == "no earlier certificates"
    census = dt.date.fromisoformat(first.basis.census_date)
    assert census < tiny_export.snapshot_date

    # A day that changes nothing in force on the census date: carried, and right.
    one = generate_delta(tiny_export.path, 1, tmp_path / "day-1", 7).path
    for name, rows_sql in quiet_corrections(tiny_export.path, census).items():
        deliver(one, name, rows_sql, tiny_export.path)
    load_id = load(warehouse, one)
    earlier = certificate.Earlier(first.basis, first.certificates)
    daily = certificate.update(settings, earlier=earlier)
    assert daily.recomputed_because is None
    assert daily.basis.load_id == load_id
    full = certificate.update(settings)
    assert daily.certificates == full.certificates
    assert all(d[certificate.PINNED_FIELD] == load_id for d in daily.certificates)

    # Each later load reaches the census date: it is named, and the figures moved, so
    # carrying them across it would have been wrong.
    before = daily
    for days_after, (reasons, rows) in enumerate(census_changes(tiny_export.path, census), 2):
        delta = generate_delta(tiny_export.path, days_after, tmp_path / f"day-{days_after}", 7)
        for name, rows_sql in rows:
            deliver(delta.path, name, rows_sql, tiny_export.path)
        load(warehouse, delta.path, select=CERTIFIED_INPUTS)
        after = certificate.update(
            settings, earlier=certificate.Earlier(before.basis, before.certificates)
        )
        assert after.recomputed_because is not None, reasons
        assert after.recomputed_because.split("; ") == reasons
        assert figures(after.certificates) != figures(before.certificates), reasons
        before = after


def test_earlier_certificates_are_not_carried_to_another_census_date_or_code(
    warehouses, tiny_export
):
    warehouse, first = certified(warehouses, tiny_export)
    settings = warehouse.settings
    basis = first.basis
    elsewhere = certificate.Basis(basis.load_id, "2024-09-15", basis.code)
    other_code = certificate.Basis(basis.load_id, basis.census_date, "another")
    gone = certificate.Basis(basis.load_id + 10, basis.census_date, basis.code)
    for earlier, reason in (
        (elsewhere, "the census date is"),
        (other_code, "the forms, their fact queries or the reference data changed"),
        (gone, f"load {basis.load_id + 10} is no longer among the current loads"),
    ):
        computed = certificate.update(
            settings, earlier=certificate.Earlier(earlier, first.certificates)
        )
        assert computed.recomputed_because.startswith(reason)
        assert computed.certificates == first.certificates
