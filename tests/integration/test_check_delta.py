"""The daily check validates again only what a delta touched, and finds exactly what a full
check finds (issue 19), on DuckDB and PostgreSQL.

The tiny export (plus a movement event dated the day after its snapshot, entered in advance) is
loaded, built and checked; then a day's generated delta, with corrections chosen from that
check's issues, is loaded, built incrementally and checked incrementally; the same warehouse
is then checked in full. Both checks' issues of the new load must be the same rows (but their
time). The corrections are the awkward cases: an issue fixed (an event's entry date, a learner's
sex), a record newly broken (the same), a learner who leaves (by the event entered in advance,
which nothing in the delta names), a movement event moved to another learner, an organization
whose new type changes its pupils' age issues, and issues of untouched records carried forward.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from expectations.check import check
from ingestion.contract import SCHOOL_LEVELS
from ingestion.synthetic.delta import generate_delta
from tests.integration.conftest import ACADEMIC_YEAR, copy_export, sql_list
from tests.integration.deliveries import READ, csv_rows, deliver, rewrite
from warehouse.dbt_runner import build

ISSUES = (
    "select org_id, register, record_id, rule, severity from quality.dq_issues where load_id = {}"
)
AHEAD = "EVT9000000001"  # the event entered in advance: a dropout the day after the snapshot


@pytest.fixture(scope="module")
def day(tiny_export, tmp_path_factory) -> Path:
    """A day's delta after the tiny export, as generated."""
    return generate_delta(tiny_export.path, 1, tmp_path_factory.mktemp("day") / "d", 7).path


def delivered_learners(delta: Path) -> set[str]:
    """The learners a delta delivers, or names in a movement event."""
    learners = set()
    for name in ("students.csv", "enrolments.csv"):
        if (delta / name).exists():
            learners |= {row[0] for row in csv_rows(delta / name, "select student_id from t")}
    return learners


@pytest.fixture(scope="module")
def base_export(tiny_export, day, tmp_path_factory) -> tuple[Path, dict[str, str]]:
    """The tiny export with two learners the day's delta does not name:

    - one whose age is implausible for the grade drops out the day after the snapshot, by an
      event entered in advance;
    - one at a general school made eight years older: over-age for the grade (until the
      school becomes an evening school).
    """
    out = copy_export(tiny_export, tmp_path_factory.mktemp("check-delta") / "base")
    busy = sql_list(delivered_learners(day))
    ahead = csv_rows(
        out / "defects.csv",
        "select min(record_id) from t where defect_kind = 'age_grade_mismatch' "
        f"and record_id not in {busy}",
    )[0][0]
    day_after = tiny_export.snapshot_date + dt.timedelta(days=1)
    deliver(
        out,
        "enrolments.csv",
        f"""
        select '{AHEAD}' as event_id, student_id, org_id, 'dropout' as event_type,
            '{day_after}' as event_date, academic_year, level, grade, null as class_id,
            study_form, 'family' as reason, '{tiny_export.snapshot_date}T09:00:00Z' as recorded_at
        from {READ.format(out / "enrolments.csv")}
        where student_id = '{ahead}'
        order by try_cast(event_date as date) desc, event_id desc
        limit 1
        """,
        out,
    )
    older = csv_rows(
        out / "enrolments.csv",
        f"""
        with last_events as (
            select t.*, row_number() over (
                partition by student_id
                order by try_cast(event_date as date) desc, event_id desc
            ) as recency
            from t where try_cast(event_date as date) <= date '{tiny_export.snapshot_date}'
        )
        select min(last_events.student_id)
        from last_events
        inner join {READ.format(out / "organizations.csv")} as organizations
            on last_events.org_id = organizations.org_id
        where recency = 1 and academic_year = '{ACADEMIC_YEAR}'
            and event_type in ('admission', 'transfer_in', 'promotion', 'repetition')
            and level in {sql_list(SCHOOL_LEVELS)} and class_id is not null
            and organizations.org_type in ('school', 'gymnasium', 'lyceum')
            and student_id not in {busy}
            and student_id not in (select record_id from {READ.format(out / "defects.csv")})
        """,
    )[0][0]
    rewrite(
        out,
        "students.csv",
        "select * replace (case when student_id = "
        f"'{older}' then cast(cast(try_cast(birth_date as date) - interval 8 year as date) "
        "as varchar) "
        "else birth_date end as birth_date) from t",
    )
    return out, {"ahead": ahead, "older": older}


def issue_rows(warehouse, load_id: int) -> set[tuple]:
    return set(warehouse.rows(ISSUES.format(load_id)))


def flagged(issues: set[tuple], rule: str) -> set[str]:
    return {record_id for _, _, record_id, rule_id, _ in issues if rule_id == rule}


# Touched keys are listed in the fact query up to a limit and selected by their query beyond
# it (a national delta can touch more): both ways are compared with a full check.
@pytest.mark.parametrize("listed", [True, False], ids=["keys listed", "keys queried"])
def test_the_daily_check_finds_what_a_full_check_finds(
    warehouses, base_export, day, tmp_path, listed, monkeypatch
):
    import expectations.run

    if not listed:
        monkeypatch.setattr(expectations.run, "MAX_LISTED_KEYS", 0)
    base, planted = base_export
    warehouse = warehouses.new()
    settings = warehouse.settings
    warehouse.ingest(base)
    assert build(settings).success
    first = check(settings, refresh_monitoring=False)
    assert first.delta is None and first.full_because
    before = issue_rows(warehouse, first.context.load_id)
    ages = flagged(before, "age_implausible_for_grade")
    assert planted["ahead"] in ages and planted["older"] in ages

    delta = copy_export(day, tmp_path / "delta")
    corrections = corrections_for(before, base, delta, planted)
    for name, rows_sql in corrections.items():
        deliver(delta, name, rows_sql, base)
    loaded = warehouse.ingest(delta)
    assert sum(f.quarantined for f in loaded.files) == 0
    assert build(settings, incremental=True).success

    daily = check(settings, refresh_monitoring=False)
    assert daily.delta is not None, daily.full_because
    assert daily.context.load_id == loaded.load_id
    incremental = issue_rows(warehouse, loaded.load_id)
    full = check(settings, refresh_monitoring=False, full=True)
    assert full.delta is None
    assert issue_rows(warehouse, loaded.load_id) == incremental
    again = check(settings, refresh_monitoring=False)  # nothing delivered since: all carried
    assert again.delta is not None and again.delta.new_loads == ()
    assert issue_rows(warehouse, loaded.load_id) == incremental

    # The record rules validated a few learners and events again, and took over the rest.
    learners = warehouse.scalar("select count(*) from staging.stg_emis__students")
    validated = {o.rule.rule_id: o.checked for o in daily.outcomes}
    assert 0 < validated["pin_format_invalid"] < learners / 2
    carried = {o.rule.rule_id: o.carried for o in daily.outcomes}
    assert carried["pin_format_invalid"] > 0 and carried["enrolment_recorded_late"] > 0
    # By PIN: the learners sharing one with a touched learner, validated again.
    assert validated["learner_enrolled_twice"] < learners / 2

    # Each awkward case did what it was chosen for.
    chosen = corrections.chosen
    late = flagged(incremental, "enrolment_recorded_late")
    assert chosen["late_fixed"] not in late and chosen["late_new"] in late
    sex = flagged(incremental, "pin_sex_mismatch")
    assert chosen["sex_fixed"] not in sex and chosen["sex_new"] in sex
    ages = flagged(incremental, "age_implausible_for_grade")
    assert planted["ahead"] not in ages  # left the day after the first snapshot
    assert planted["older"] not in ages  # the school's new type: an evening school
    moved = chosen["moved_from"]
    assert moved in flagged(before, "learner_without_class")
    assert moved not in flagged(incremental, "learner_without_class")
    twice = flagged(incremental, "learner_enrolled_twice")
    assert len(twice & {chosen["pin_taker"], chosen["pin_holder"]}) == 1
    assert chosen["pin_holder"] not in corrections.delivered
    untouched = flagged(before, "pin_format_invalid") - corrections.delivered
    assert untouched and untouched <= flagged(incremental, "pin_format_invalid")


class Corrections(dict):
    """File name -> SQL of the rows to add to the delta; ``chosen`` names the records."""

    chosen: dict[str, str]
    delivered: set[str]  # the learners the delta delivers or names


def corrections_for(before: set[tuple], base: Path, delta: Path, planted: dict[str, str]):
    """Corrections the day's delta carries besides its own rows, on records it does not name:
    chosen from the first check's issues."""
    events, students = base / "enrolments.csv", base / "students.csv"
    busy_ids = delivered_learners(delta) | set(planted.values())
    busy = sql_list(busy_ids)

    def first_event(where: str) -> str:
        return csv_rows(
            events,
            f"select min(event_id) from t where student_id not in {busy} "
            f"and try_cast(event_date as date) is not null and {where}",
        )[0][0]

    late = flagged(before, "enrolment_recorded_late")
    late_fixed = first_event(f"event_id in {sql_list(late)}")
    late_new = first_event(
        f"event_id not in {sql_list(late)} and cast(event_date as date) < date '2025-12-01'"
    )
    sex_fixed = min(flagged(before, "pin_sex_mismatch") - busy_ids)
    pin_issues = {
        record
        for rule in ("pin_format_invalid", "pin_sex_mismatch", "pin_birth_date_mismatch")
        for record in flagged(before, rule)
    }
    sex_new = csv_rows(
        students,
        f"select min(student_id) from t where student_id not in {busy} "
        f"and student_id not in {sql_list(pin_issues)} and pin is not null",
    )[0][0]
    school = next(
        org_id
        for org_id, _, record_id, rule, _ in before
        if record_id == planted["older"] and rule == "age_implausible_for_grade"
    )
    # A learner without a class loses their last event to another learner.
    moved_from = min(flagged(before, "learner_without_class") - busy_ids)
    # A learner takes the PIN of another, enrolled too: one of them is registered twice.
    pin_taker, pin_holder = (
        row[0]
        for row in csv_rows(
            students,
            f"""
            select student_id from t
            where pin is not null and student_id not in {busy}
                and student_id not in {sql_list(pin_issues | {sex_new, moved_from})}
                and student_id in (
                    select student_id from {READ.format(events)}
                    where academic_year = '{ACADEMIC_YEAR}'
                        and event_type in ('admission', 'transfer_in', 'promotion')
                        and student_id not in (
                            select student_id from {READ.format(events)}
                            where event_type in ('transfer_out', 'dropout', 'graduation')
                        )
                )
            order by student_id limit 2 offset 5
            """,
        )
    )
    moved_event = csv_rows(
        events,
        f"select event_id from t where student_id = '{moved_from}' "
        "order by try_cast(event_date as date) desc nulls last, event_id desc limit 1",
    )[0][0]

    corrections = Corrections(
        {
            "enrolments.csv": f"""
                select * replace (
                    case event_id
                        when '{late_fixed}' then event_date || 'T12:00:00Z'
                        else cast(cast(event_date as date) + 30 as varchar) || 'T12:00:00Z'
                    end as recorded_at
                )
                from {READ.format(events)}
                where event_id in ('{late_fixed}', '{late_new}')
                union all
                select * replace ('{sex_new}' as student_id)
                from {READ.format(events)} where event_id = '{moved_event}'
            """,
            "students.csv": f"""
                select * replace (case sex when 'F' then 'M' else 'F' end as sex)
                from {READ.format(students)}
                where student_id in ('{sex_fixed}', '{sex_new}')
                union all
                select * replace ((select pin from {READ.format(students)}
                                   where student_id = '{pin_holder}') as pin)
                from {READ.format(students)} where student_id = '{pin_taker}'
            """,
            "organizations.csv": f"""
                select * replace ('evening' as org_type)
                from {READ.format(base / "organizations.csv")} where org_id = '{school}'
            """,
        }
    )
    corrections.delivered = busy_ids | {sex_fixed, sex_new, moved_from, pin_taker}
    corrections.chosen = {
        "late_fixed": late_fixed, "late_new": late_new, "sex_fixed": sex_fixed,
        "sex_new": sex_new, "moved_from": moved_from, "pin_taker": pin_taker,
        "pin_holder": pin_holder,
    }  # fmt: skip
    return corrections
