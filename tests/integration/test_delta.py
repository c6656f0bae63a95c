"""A day's delta export on top of a full one (issue: daily incremental refresh): loaded and
built incrementally, it gives the same warehouse as a full export holding the same data, built
from scratch; delivered twice, it changes nothing; only the months it touches are rebuilt."""

from __future__ import annotations

import datetime as dt
import json
import shutil
from pathlib import Path

import duckdb
import pytest

from ingestion.contract import MANIFEST_FILE
from ingestion.manifest import read_manifest, sha256_of
from ingestion.synthetic.delta import generate_delta
from reports import extract
from reports.extract import write_form_inputs
from tests.integration.deliveries import READ, csv_rows, deliver, first_id, merged_export
from warehouse.dbt_runner import build

COMPARED = {
    "marts_open.observations": "indicator_id, academic_year, reference_date, territory_code, "
    "sex, level, grade, locality, ownership, language, org_type, disability, setting, subject",
    "marts_monitoring.monitoring_organizations": "organization_id",
    "intermediate.int_learner_status_on_census_date": "academic_year, student_id",
    "intermediate.int_learners_on_census_date": "academic_year, student_id",
    "intermediate.int_marks_by_term": "academic_year, class_id, subject, term, sex",
    "intermediate.int_learner_state_on_snapshot_date": "student_id",
}
ATTENDANCE = "intermediate.int_learner_attendance_by_month"


@pytest.fixture(scope="module")
def delta_export(tiny_export, tmp_path_factory) -> Path:
    return generate_delta(tiny_export.path, 1, tmp_path_factory.mktemp("delta") / "d", 7).path


@pytest.fixture(scope="module")
def corrected_delta(tiny_export, delta_export, tmp_path_factory) -> Path:
    """The day's delta plus corrections that change learners' census-date state: events
    before the census date moved past it or to another learner, learners' sex and birth date
    amended, quarter marks changed between failing and passing."""
    out = tmp_path_factory.mktemp("corrected") / "d"
    shutil.copytree(delta_export, out)
    read = "read_csv('{}', all_varchar = true, header = true)"
    base, delta = tiny_export.path, delta_export
    delta_students = (
        f"select student_id from {read.format(delta / 'students.csv')}"
        if (delta / "students.csv").exists()
        else "select null"
    )
    delta_marks = (
        f"select student_id, class_id, subject, term from {read.format(delta / 'grades.csv')}"
        if (delta / "grades.csv").exists()
        else "select '', '', '', '' where false"
    )
    # a learner with marks only in classes the day's marks leave alone: their corrected sex
    # alone moves those classes' counts
    marked_apart = f"""
        select min(student_id) from {read.format(base / "grades.csv")}
        where class_id not in (select class_id from ({delta_marks}))
        and student_id not in ({delta_students})
    """
    corrections = {
        "enrolments.csv": f"""
            with early as (
                select *, row_number() over (order by event_id) as n
                from {read.format(base / "enrolments.csv")}
                where academic_year = '2025-2026' and event_date <= '2025-09-15'
            )
            select * replace (
                case when n = 1 then '2025-09-20' else event_date end as event_date,
                case when n = 2 then (select min(student_id) from early) else student_id end
                    as student_id
            )
            from early where n <= 2
        """,
        "students.csv": f"""
            select * replace (
                case sex when 'F' then 'M' else 'F' end as sex,
                cast(cast(birth_date as date) - interval 400 day as date) as birth_date
            )
            from {read.format(base / "students.csv")}
            where (
                student_id in (
                    select student_id from {read.format(base / "enrolments.csv")}
                    where academic_year = '2025-2026'
                    order by event_id limit 3 offset 10
                )
                or student_id in ({marked_apart})
            )
            and student_id not in ({delta_students})
        """,
        "grades.csv": f"""
            select * replace (case mark when '2' then '5' else '2' end as mark)
            from {read.format(base / "grades.csv")}
            where (student_id, class_id, subject, term) not in ({delta_marks})
            order by student_id desc, class_id, subject, term
            limit 4
        """,
    }
    manifest = json.loads((out / MANIFEST_FILE).read_text(encoding="utf-8"))
    with duckdb.connect() as con:
        for name, corrected in corrections.items():
            described = con.execute(f"describe select * from {read.format(base / name)}")
            columns = ", ".join(row[0] for row in described.fetchall())
            rows = f"select {columns} from ({corrected})"
            if (delta / name).exists():  # a day's delta may carry no file of a table
                rows = f"select {columns} from {read.format(delta / name)} union all {rows}"
            con.execute(f"copy ({rows}) to '{out / name}' (header)")
            count = con.execute(f"select count(*) from {read.format(out / name)}").fetchall()[0][0]
            before = manifest["files"].get(name, {}).get("rows", 0)
            assert count > before, name
            manifest["files"][name] = {"rows": count, "sha256": sha256_of(out / name)}
    (out / MANIFEST_FILE).write_text(json.dumps(manifest), encoding="utf-8")
    return out


def rows_of(path: Path) -> int:
    with duckdb.connect(str(path), read_only=True) as con:
        return sum(con.execute(f"select count(*) from {name}").fetchall()[0][0]
                   for name in extract.FORM_INPUTS)  # fmt: skip


def same_tables(path: Path, other: Path) -> bool:
    """Two form-inputs files hold the same rows (in any order) in every table."""
    with duckdb.connect() as con:
        con.execute(f"attach '{path}' as one (read_only)")
        con.execute(f"attach '{other}' as other (read_only)")
        for name in extract.FORM_INPUTS:
            for a, b in (("one", "other"), ("other", "one")):
                extra = f"select * from {a}.{name} except all select * from {b}.{name}"
                assert con.execute(f"select count(*) from ({extra})").fetchall() == [(0,)], name
    return True


def contents(warehouse, table: str, order: str) -> list[tuple]:
    return [
        tuple(map(str, row)) for row in warehouse.rows(f"select * from {table} order by {order}")
    ]


@pytest.mark.parametrize("corrections", [False, True], ids=["day", "day-and-corrections"])
def test_a_delta_built_incrementally_equals_a_full_rebuild(
    warehouses, tiny_export, delta_export, corrected_delta, corrections, tmp_path
):
    if corrections:
        delta_export = corrected_delta
    daily = warehouses.new()
    assert not daily.ingest(tiny_export.path).already_loaded
    assert build(daily.settings).success
    before = write_form_inputs(daily.settings, tmp_path / "before.duckdb")
    basis = extract.basis(daily.settings)
    result = daily.ingest(delta_export)
    assert not result.already_loaded and result.files
    assert all(file.quarantined == 0 for file in result.files), result.files
    built = build(daily.settings, incremental=True)
    assert built.success
    # The day's events fall after the census date: the census-date models are kept. The
    # corrections move events before it and amend learners' sex and birth date.
    assert built.census_date_kept is not corrections, built.census_date_rebuilt_because
    # The staging keys' tests hold by construction on DuckDB's views; the data's tests run.
    tested = {node.name for node in built.nodes if node.resource_type == "test"}
    key_tests = {name for name in tested if name.startswith(("unique_stg_", "not_null_stg_"))}
    assert len(key_tests) == (12 if daily.engine == "postgres" else 0), key_tests
    assert any(name.startswith("relationships_stg_") for name in tested), tested

    full = warehouses.new()
    full.ingest(merged_export(tiny_export.path, delta_export, tmp_path / "merged"))
    assert build(full.settings).success

    for table, order in COMPARED.items():
        assert contents(daily, table, order) == contents(full, table, order), table
    # The forms' inputs of the day before, their records the delta delivers replaced, are
    # those copied after it.
    loads = extract.loads_to_carry(daily.settings, basis, extract.basis(daily.settings))
    assert loads == (result.load_id,)
    carried = tmp_path / "carried.duckdb"
    written = extract.carry_form_inputs(daily.settings, carried, before, loads)
    assert 0 < written < rows_of(before)
    assert same_tables(carried, write_form_inputs(daily.settings, tmp_path / "after.duckdb"))
    columns = "academic_year, student_id, month_start_date, days_marked, days_absent, sex"
    attendance = f"select {columns} from {ATTENDANCE} order by student_id, month_start_date"
    assert daily.rows(attendance) == full.rows(attendance)

    if corrections:  # events before the census date: every month is rebuilt
        return
    # Only the months the delta touched were rebuilt (January's attendance, the departures).
    rebuilt = dict(
        daily.rows(
            f"select built_through_load_id, count(distinct month_start_date) from {ATTENDANCE} "
            "group by 1"
        )
    )
    assert rebuilt.get(1, 0) >= 3 and rebuilt.get(2, 0) >= 1, rebuilt


def test_the_same_delta_twice_changes_nothing(warehouses, tiny_export, delta_export):
    daily = warehouses.new()
    daily.ingest(tiny_export.path)
    daily.ingest(delta_export)
    assert build(daily.settings, incremental=True).success
    before = contents(daily, "marts_open.observations", COMPARED["marts_open.observations"])
    again = daily.ingest(delta_export)
    assert again.already_loaded
    assert build(daily.settings, incremental=True).success
    after = contents(daily, "marts_open.observations", COMPARED["marts_open.observations"])
    assert after == before
    assert daily.scalar("select count(*) from meta.loads") == 2


def test_history_after_a_delta_keeps_records_the_delta_does_not_carry(
    warehouses, tiny_export, delta_export
):
    daily = warehouses.new()
    daily.ingest(tiny_export.path)
    daily.ingest(delta_export)
    assert build(daily.settings).success
    corrected = {
        row[0] for row in daily.rows("select student_id from raw.students where load_id = 2")
    }
    assert corrected
    versions = daily.rows(
        "select student_id, count(*), count(valid_to_date) from snapshots.snp_emis__students "
        "group by student_id"
    )
    for student_id, count, ended in versions:
        if student_id in corrected:
            assert (count, ended) == (2, 1), student_id
        else:
            assert (count, ended) == (1, 0), student_id
    assert (
        daily.scalar(
            "select count(*) from snapshots.snp_emis__organizations where valid_to_date is not null"
        )
        == 0
    )


HISTORIES = {
    f"snapshots.snp_emis__{name}": f"{key}, version_number"
    for name, key in (
        ("students", "student_id"), ("organizations", "org_id"), ("classes", "class_id"),
        ("staff", "staff_id"), ("staff_assignments", "assignment_id"),
    )
}  # fmt: skip


def test_histories_built_incrementally_equal_histories_rebuilt_from_the_same_loads(
    warehouses, tiny_export, corrected_delta
):
    daily = warehouses.new()
    daily.ingest(tiny_export.path)
    assert build(daily.settings).success
    daily.ingest(corrected_delta)
    assert build(daily.settings, incremental=True).success
    builds = daily.rows("select built_through_load_id, build_kind from meta.builds order by 1")
    assert [tuple(row) for row in builds] == [(1, "full"), (2, "incremental")]
    # its tests of the histories read the records the day delivered, whose versions it redid
    assert all("delivered.load_id in" in sql for sql in history_tests(daily.settings))
    incremental = {table: contents(daily, table, order) for table, order in HISTORIES.items()}
    assert build(daily.settings).success  # everything again from the same two loads
    assert not any("delivered" in sql for sql in history_tests(daily.settings))
    for table, order in HISTORIES.items():
        assert contents(daily, table, order) == incremental[table], table
    # the amended learners have a second version, the others one
    versions = daily.rows(
        "select max(version_number), count(*) from snapshots.snp_emis__students "
        "group by student_id order by 1"
    )
    assert {row[0] for row in versions} == {1, 2}


def history_tests(settings) -> list[str]:
    """The SQL the last build ran for the histories' tests (two per register)."""
    compiled = settings.home / "dbt" / "target" / "run" / "emis" / "models" / "snapshots"
    tests = compiled / "_snapshots__models.yml"  # dbt shortens long names with a hash
    found = [path.read_text() for path in tests.glob("emis_*.sql")]
    assert len(found) == 10, found
    return found


def built_by_another_project(warehouse) -> None:
    """The latest build as an earlier version of the dbt project would have recorded it."""
    warehouse.write("update meta.builds set project_fingerprint = 'an earlier dbt project'")


def test_a_delta_after_a_change_of_the_dbt_project_is_built_in_full(
    warehouses, tiny_export, delta_export
):
    daily = warehouses.new()
    daily.ingest(tiny_export.path)
    assert build(daily.settings).success
    built_by_another_project(daily)
    earlier = extract.basis(daily.settings)  # a release's form inputs then
    daily.ingest(delta_export)

    changed = build(daily.settings, incremental=True)
    assert changed.success and changed.kind == "full"
    assert changed.full_because == "the dbt project changed since the latest build"
    # nor are those form inputs carried: the rows of every record may differ
    assert extract.loads_to_carry(daily.settings, earlier, extract.basis(daily.settings)) is None
    # built again by the same project: the next delta is incremental
    again = build(daily.settings, incremental=True)
    assert again.success and (again.kind, again.full_because) == ("incremental", None)
    kinds = daily.rows("select build_kind from meta.builds order by finished_at")
    assert [kind for (kind,) in kinds] == ["full", "full", "incremental"]


@pytest.fixture(scope="module")
def transfer_ahead(tiny_export, delta_export, tmp_path_factory) -> tuple[Path, str, str, str]:
    """The base export with a transfer entered ahead of its date: a learner the day's delta
    leaves alone moves to another school on the day after the snapshot date (the leaving and
    the arrival both recorded the day before the snapshot). (export, learner, from, to)"""
    out = tmp_path_factory.mktemp("ahead") / "base"
    shutil.copytree(tiny_export.path, out)
    snapshot = read_manifest(out).snapshot_date
    day, recorded = snapshot + dt.timedelta(days=1), f"{snapshot - dt.timedelta(days=1)}T09:00:00Z"
    touched = "select '' where false"
    for name in ("enrolments.csv", "students.csv"):
        if (delta_export / name).exists():
            touched += f" union select student_id from {READ.format(delta_export / name)}"
    chosen = csv_rows(
        out / "enrolments.csv",
        f"""
        select student_id, min(org_id) from t
        where academic_year = '2025-2026' and student_id not in ({touched})
        group by student_id
        having count(*) = 1 and min(level) = 'basic'
            and min(event_type) in ('admission', 'promotion')
        order by student_id limit 1
        """,
    )
    learner, old = chosen[0]
    new = first_id(out, "enrolments.csv", "org_id", f"level = 'basic' and org_id <> '{old}'")
    events = f"""
        select * replace (
            'EVT99999999' || n as event_id, '{day}' as event_date,
            '{recorded}' as recorded_at, case when n = 1 then '{old}' else '{new}' end as org_id,
            case when n = 1 then 'transfer_out' else 'transfer_in' end as event_type,
            case when n = 1 then 'moved_in_country' end as reason,
            cast(null as varchar) as class_id
        )
        from (
            select events.*, copies.n
            from {READ.format(tiny_export.path / "enrolments.csv")} as events
            cross join (values (1), (2)) as copies (n)
            where events.student_id = '{learner}' and events.academic_year = '2025-2026'
        )
    """
    deliver(out, "enrolments.csv", events, tiny_export.path)
    return out, learner, old, new


def test_an_event_dated_ahead_takes_effect_when_the_snapshot_date_reaches_it(
    warehouses, transfer_ahead, delta_export, tmp_path
):
    """No load touches the learner again, yet the day's export stands past the transfer's
    date: the incremental build places them in their new school, as a full build does."""
    base, learner, old, new = transfer_ahead
    state = (
        "select organization_id, event_type from intermediate.int_learner_state_on_snapshot_date "
        f"where student_id = '{learner}'"
    )
    daily = warehouses.new()
    daily.ingest(base)
    assert build(daily.settings).success
    assert [organization for organization, _ in daily.rows(state)] == [old]
    daily.ingest(delta_export)
    assert build(daily.settings, incremental=True).success
    assert [tuple(row) for row in daily.rows(state)] == [(new, "transfer_in")]

    full = warehouses.new()
    full.ingest(merged_export(base, delta_export, tmp_path / "merged"))
    assert build(full.settings).success
    for table in ("intermediate.int_learner_state_on_snapshot_date",
                  "marts_monitoring.monitoring_organizations"):  # fmt: skip
        assert contents(daily, table, COMPARED[table]) == contents(full, table, COMPARED[table])
