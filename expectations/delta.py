"""What a daily check may skip: the records the loads since the last check touched.

A check records itself in ``quality.check_runs`` (``store.py``). The next check is incremental
when that earlier check judged the same state the warehouse still builds on: a load among the
current loads (no full export since), the same academic year, a snapshot date not later, both
checks made on a warehouse built through their load, and the same rules and fact code
(``rules_fingerprint``). Then each suite's record rules (``rules.py``) are validated again only on
the fact rows its ``touched`` query names, the earlier check's issues of those rules on the
other rows are carried forward, and the whole rules are validated on every row. The result is
the one a full check gives: ``tests/integration/test_check_delta.py`` compares them.

A delta never ends a record (``docs/warehouse.md``), so a record of an earlier check is still
there; a staging row's ``load_id`` names the load that delivered its current version.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from emis import fingerprint
from expectations.facts import STAGING_VIEWS, CheckContext, date_sql
from ingestion.contract import TABLES_BY_NAME

# What decides a record rule's outcome besides the data: the rules and fact queries, the
# contract's required fields, the staging models and the reference seeds they join.
FINGERPRINTED = (
    "expectations/facts.py",
    "expectations/rules.py",
    "expectations/delta.py",
    "ingestion/contract.py",
    "dbt_project/dbt_project.yml",
    "dbt_project/models/staging",
    "dbt_project/macros",
    "dbt_project/seeds",
)


@dataclass(frozen=True)
class Delta:
    """The loads a check takes in beyond the earlier check it builds on."""

    since_load_id: int  # the load the earlier check judged
    since_snapshot: dt.date  # its snapshot date
    new_loads: tuple[int, ...]  # the current loads after it, the checked one last


@dataclass(frozen=True)
class EarlierCheck:
    """A row of quality.check_runs, with the load's place among the current loads."""

    load_id: int
    rules_fingerprint: str
    snapshot_date: dt.date
    academic_year: str
    built_through_load_id: int | None
    load_sequence: int


def rules_fingerprint() -> str:
    """A digest of the code and seeds the record rules' outcomes depend on."""
    return fingerprint.of_files(FINGERPRINTED)


def incremental_basis(
    ctx: CheckContext,
    earlier: EarlierCheck | None,
    later_loads: list[int],
    built_through: int | None,
    fingerprint: str,
) -> Delta | str:
    """The delta to check incrementally, or why the check must be full. ``later_loads``: the
    current loads after the earlier check's, in order; ``built_through``: the load the latest
    whole build went through."""
    if earlier is None:
        return "no earlier check among the current loads"
    if earlier.rules_fingerprint != fingerprint:
        return "the rules or the fact queries changed since the earlier check"
    if earlier.academic_year != ctx.academic_year:
        return "a new academic year"
    if earlier.snapshot_date > ctx.snapshot_date:
        return "the snapshot date went back"
    if earlier.built_through_load_id != earlier.load_id:
        return "the earlier check ran on a warehouse not built through its load"
    if built_through != ctx.load_id:
        return f"the warehouse is not built through load {ctx.load_id}"
    if (later_loads[-1] if later_loads else earlier.load_id) != ctx.load_id:
        return "the checked load is not the last of the current loads"
    return Delta(earlier.load_id, earlier.snapshot_date, tuple(later_loads))


def loads_sql(delta: Delta) -> str:
    """The new loads as an SQL list (matching nothing when there are none)."""
    if not delta.new_loads:
        return "(cast(null as bigint))"
    return "(" + ", ".join(str(load_id) for load_id in delta.new_loads) + ")"


def delivered_sql(register: str, delta: Delta) -> str:
    """Keys of the register's records whose current version a new load delivered.

    Read from the raw rows, not the staging view (which picks every record's current version
    first): the new loads are every current load after the earlier check's, all deltas, so a
    record one of them delivered has its current version from one of them.
    """
    (key,) = TABLES_BY_NAME[register].key  # the contract's name: staging may rename it
    return f"select {key} from raw.{register} where load_id in {loads_sql(delta)}"


def delivered(register: str):
    """The touched query of a suite whose record rules read their record's own row: the
    records the new loads delivered."""

    def touched(ctx: CheckContext, delta: Delta) -> str:
        return delivered_sql(register, delta)

    return touched


def students_touched(ctx: CheckContext, delta: Delta) -> str:
    """A learner's fact row reads the learner's record, the last of their movement events on
    the snapshot date (organization, level, grade, class), the type of that organization, and
    for the registration order the first events and enrolment of every learner with their PIN:

    - a delivered learner record;
    - a learner named by a delivered event, in its current version or an earlier one (a
      correction may move an event to another learner);
    - a learner with an event after the earlier snapshot date, up to this one (their last
      event on the snapshot date may be another);
    - a learner with an event at a delivered organization (its type may have changed);
    - every learner any version of whose record has a PIN that any version of one of those
      has (more than the current PINs need: judging a record again gives the same issues,
      and the raw rows are read in less than half the staging view's time).
    """
    events = STAGING_VIEWS["enrolments"]
    return f"""
        with touched as (
            {delivered_sql("students", delta)}
            union
            select raw_events.student_id
            from raw.enrolments as raw_events
            where raw_events.event_id in ({delivered_sql("enrolments", delta)})
            union
            select student_id from {events}
            where event_date > {date_sql(delta.since_snapshot)}
                and event_date <= {date_sql(ctx.snapshot_date)}
            union
            select student_id from {events}
            where organization_id in ({delivered_sql("organizations", delta)})
        ),

        pins as (
            select pin_pseudonym from raw.students
            where student_id in (select student_id from touched)
        )

        select student_id from touched
        union
        select student_id from raw.students
        where pin_pseudonym in (select pin_pseudonym from pins)
    """
