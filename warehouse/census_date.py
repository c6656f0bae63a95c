"""Whether an incremental build must rebuild the census-date models, or may keep them.

The models tagged ``census_date`` (``dbt_project``) hold the state of the registers on each
year's census date, and the population estimates beside it: the learners and their status,
the organizations, teachers and facilities, the enrolment ratio, intake, flow and cohort
parts, the school classes and the school profiles. A day's loads dated after the latest census
date change none of their rows unless they deliver one of the things ``CHANGES_SQL`` lists, so
a daily build keeps them as they are (about 10 s of a national daily build) and rebuilds what
reads the days (attendance, marks, monitoring, ``observations``).

The test is conservative: it names a register whose every delivery rebuilds the models (an
organization, class, staff member, post, survey or population estimate: they change seldom)
and, for the registers that change daily, what in a movement event or a learner record the
models read. A load that sorts before the last built one rebuilds them too. Kept across a
build, the incremental models among them (the learners' census-date status and attributes)
skip that build's loads, which changed none of their rows; the next build that runs them
takes the loads after it. ``tests/integration/test_census_models_kept.py`` delivers each
listed change and compares with a warehouse built in full.
"""

from __future__ import annotations

from emis.settings import Settings

CENSUS_DATE_MODELS = "tag:census_date"

# The registers the census-date models read but the movement events and the learners.
REBUILDING_REGISTERS = (
    ("organizations", "an organization delivered"),
    ("classes", "a class delivered"),
    ("staff", "a staff member delivered"),
    ("staff_assignments", "a staff assignment delivered"),
    ("infrastructure", "an infrastructure survey delivered"),
    ("population", "a population estimate delivered"),
)
# What the learners' census-date rows read of a learner record (int_learners_on_census_date).
LEARNER_COLUMNS = ("sex", "disability", "birth_date")

# {new}: the new loads as an SQL list; {earlier}: the other current loads. Rows: (order, reason).
# A large table is read filtered by the few delivered keys (`in`), not probed for each of them
# (`exists` per delivered row): 0.1-0.2 s a clause nationally, not 0.7-1.6 s.
CHANGES_SQL = """
with census as (
    select max(census_date) as latest_census_date from intermediate.int_reference_dates
),

delivered_events as (
    select * from raw.enrolments where load_id in {new}
),

delivered_learners as (
    select * from raw.students where load_id in {new}
)

{registers}
select 7, 'a movement event dated on or before a census date'
where exists (
    select 1 from delivered_events cross join census
    where delivered_events.event_date <= census.latest_census_date
)
union all
select 8, 'a movement event corrected from a census date, a repetition or another year'
where exists (
    select 1 from raw.enrolments as earlier
    inner join delivered_events on earlier.event_id = delivered_events.event_id
    cross join census
    where earlier.load_id in {earlier}
        and earlier.event_id in (select event_id from delivered_events)
        and (
            earlier.event_date <= census.latest_census_date
            or earlier.event_type = 'repetition'
            or earlier.academic_year is distinct from delivered_events.academic_year
        )
)
union all
select 9, 'a repetition event'
where exists (select 1 from delivered_events where event_type = 'repetition')
union all
select 10, 'a movement event of an academic year not built yet'
where exists (
    select 1 from delivered_events
    where not exists (
        select 1 from intermediate.int_reference_dates as built
        where built.academic_year = delivered_events.academic_year
    )
)
union all
select 11, 'a learner''s sex, disability or birth date corrected'
where exists (
    select 1 from raw.students as earlier
    inner join delivered_learners on earlier.student_id = delivered_learners.student_id
    where earlier.load_id in {earlier}
        and earlier.student_id in (select student_id from delivered_learners)
        and ({learner_changed})
)
union all
select 12, 'a new learner with a movement event on or before a census date'
where exists (
    select 1 from raw.enrolments as events cross join census
    where events.event_date <= census.latest_census_date
        and events.student_id in (
            select student_id from delivered_learners
            where student_id not in (
                select earlier.student_id from raw.students as earlier
                where earlier.load_id in {earlier}
                    and earlier.student_id in (select student_id from delivered_learners)
                    and earlier.student_id is not null  -- a null would make `not in` unknown
            )
        )
)
order by 1
"""


def changes_sql(new: list[int], earlier: list[int]) -> str:
    """``CHANGES_SQL`` for the ``new`` loads, after the ``earlier`` current ones."""
    registers = "".join(
        f"select {order}, '{reason}'\n"
        f"where exists (select 1 from raw.{table} where load_id in {_listed(new)})\n"
        "union all\n"
        for order, (table, reason) in enumerate(REBUILDING_REGISTERS, 1)
    )
    learner_changed = " or ".join(
        f"delivered_learners.{column} is distinct from earlier.{column}"
        for column in LEARNER_COLUMNS
    )
    return CHANGES_SQL.format(
        new=_listed(new),
        earlier=_listed(earlier),
        registers=registers,
        learner_changed=learner_changed,
    )


def rebuild_because(settings: Settings) -> str | None:
    """Why an incremental build must rebuild the census-date models, or None: the loads
    since the last build change none of their rows."""
    from warehouse.read import query

    loads = query(
        settings, "select load_id, load_sequence from meta.current_loads order by load_sequence"
    )
    built = query(settings, "select max(built_through_load_id) from meta.builds")[0][0]
    sequence = dict(loads)
    if built not in sequence:
        return f"load {built}, the last built, is no longer among the current loads"
    new = [load_id for load_id, _ in loads if load_id > built]
    if any(sequence[load_id] < sequence[built] for load_id in new):
        return f"a load that sorts before load {built}, the last built"
    if not new:
        return None
    earlier = [load_id for load_id, _ in loads if load_id not in new]
    reasons = [reason for _, reason in query(settings, changes_sql(new, earlier))]
    return "; ".join(reasons) or None


def _listed(load_ids: list[int]) -> str:
    return "(" + ", ".join(str(load_id) for load_id in load_ids) + ")" if load_ids else "(null)"
