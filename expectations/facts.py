"""Per-record facts the suites judge: one SQL query per suite, the same text on both engines.

Each query reads the staging views of the latest load (``emis build`` creates them) and the
reference seeds, and returns one row per record: ``record_id`` (the EMIS id a district
specialist looks the record up by), ``org_id`` (whose record it is), then one column per fact
a rule bounds. SQL does the joins and windows (national registers are too big to join in
pandas); Great Expectations then judges the facts (``rules.py``). A fact is NULL where its
rule does not apply, so the record is not counted as checked by that rule.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from emis.reference import school_days
from ingestion.contract import GENERAL_SCHOOL_TYPES, SCHOOL_LEVELS, TABLES_BY_NAME
from warehouse.schema import column_type

STAGING_VIEWS = {
    "organizations": "staging.stg_emis__organizations",
    "students": "staging.stg_emis__students",
    "enrolments": "staging.stg_emis__enrolment_events",
    "staff": "staging.stg_emis__staff",
    "staff_assignments": "staging.stg_emis__staff_assignments",
    "classes": "staging.stg_emis__classes",
}
# Contract columns that staging renames (dbt_project/models/staging/emis/*.sql).
STAGING_NAMES = {
    ("organizations", "org_id"): "organization_id",
    ("organizations", "org_type"): "organization_type",
    ("organizations", "status"): "organization_status",
    ("enrolments", "org_id"): "organization_id",
    ("enrolments", "reason"): "exit_reason",
    ("staff_assignments", "org_id"): "organization_id",
    ("staff_assignments", "rate"): "fte_rate",
    ("classes", "org_id"): "organization_id",
    ("classes", "letter"): "class_letter",
    ("classes", "language"): "language_of_instruction",
}
SCHOOLS = "(" + ", ".join(f"'{level}'" for level in SCHOOL_LEVELS) + ")"
GENERAL_SCHOOLS = "(" + ", ".join(f"'{kind}'" for kind in GENERAL_SCHOOL_TYPES) + ")"
# Required beyond the contract, because the figures need them: (column, when it applies), the
# condition over the record's alias {t}.
CONDITIONAL_FIELDS = {
    "organizations": (
        ("closed_date", "{t}.organization_status = 'closed'"),
        # capacity utilisation and shift indicators of general schools
        ("design_capacity", "{t}.organization_status = 'active' "
                            f"and {{t}}.organization_type in {GENERAL_SCHOOLS}"),
        ("shifts", "{t}.organization_status = 'active' "
                   f"and {{t}}.organization_type in {GENERAL_SCHOOLS}"),
    ),
    "enrolments": (
        ("grade", f"{{t}}.level in {SCHOOLS}"),
        ("exit_reason", "{t}.event_type in ('transfer_out', 'dropout')"),
    ),
    # class size, shift and language indicators of schools
    "classes": (
        ("grade", f"{{t}}.level in {SCHOOLS}"),
        ("shift", f"{{t}}.level in {SCHOOLS}"),
        ("language_of_instruction", f"{{t}}.level in {SCHOOLS}"),
    ),
}  # fmt: skip
ENROLLED_EFFECTS = "('enter', 'continue', 'resume')"  # seed event_types: effects that leave one in
# Each learner's state on each year's census date, defined once in dbt (the last movement
# event up to the date leaves them enrolled in that year): ranking every event here again took
# a national check 12.9 s on PostgreSQL.
CENSUS_DATE_LEARNERS = "intermediate.int_learner_status_on_census_date"
# And on the snapshot date of the latest export: ranking all 4.6 million events here again to
# count each class's pupils took a national daily check 1.7 s.
SNAPSHOT_DATE_LEARNERS = "intermediate.int_learner_state_on_snapshot_date"


@dataclass(frozen=True)
class CheckContext:
    """What the checks need to know of the warehouse: the latest load and the SQL dialect."""

    load_id: int
    snapshot_date: dt.date
    academic_year: str  # YYYY-YYYY, the export's current academic year
    dialect: str  # duckdb | postgres
    observation_keys: tuple[str, ...] = ()  # key columns of marts_open.observations

    @property
    def start_year(self) -> int:
        return int(self.academic_year[:4])

    @property
    def previous_year(self) -> str:
        return f"{self.start_year - 1}-{self.start_year}"

    @property
    def double(self) -> str:
        return column_type("double", self.dialect)


def date_sql(day: dt.date) -> str:
    return f"date '{day.isoformat()}'"


def text_sql(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def required_fields(register: str) -> list[tuple[str, str | None]]:
    """(staging column, condition or None) of every field a record of ``register`` must have:
    the contract's required columns (presence flags for personal ones) and the figures' own."""
    table = TABLES_BY_NAME[register]
    fields: list[tuple[str, str | None]] = []
    for column in table.columns:
        if not column.required or column.name in table.key:
            continue
        name = STAGING_NAMES.get((register, column.name), column.name)
        fields.append((f"has_{name}" if column.personal else name, None))
    return fields + list(CONDITIONAL_FIELDS.get(register, ()))


def missing_fields_sql(register: str, alias: str) -> str:
    """How many required fields a record lacks (0 when complete), as a bigint: Great
    Expectations compares a column of DuckDB's 32-bit integers with its bounds one value at a
    time in Python, and only 64-bit integers and floats in one vectorized step."""
    terms = []
    for name, condition in required_fields(register):
        absent = (
            f"not coalesce({alias}.{name}, false)"
            if name.startswith("has_")
            else f"{alias}.{name} is null"
        )
        if condition:
            absent = f"({condition.format(t=alias)}) and {absent}"
        terms.append(f"case when {absent} then 1 else 0 end")
    return "cast(" + " + ".join(terms) + " as bigint)"


def _last_events_sql(ctx: CheckContext, learners: str | None = None) -> str:
    """CTEs ``last_events`` (each learner's state on the snapshot date: their last event on
    or before it) and ``enrolled`` (those it leaves enrolled in the current academic year).
    Only the ``learners`` (SQL of student ids) if given."""
    only = f"where states.student_id in ({learners})" if learners else ""
    return f"""
    last_events as (
        select * from {SNAPSHOT_DATE_LEARNERS} as states {only}
    ),

    enrolled as (
        select * from last_events
        where effect in {ENROLLED_EFFECTS} and academic_year = {text_sql(ctx.academic_year)}
    )"""


def age_on_january_first_sql(birth_date: str, year: int) -> str:
    """Age in completed years on 1 January of ``year`` (the warehouse's age convention)."""
    month_day = (
        f"cast(extract(month from {birth_date}) as integer) * 100 "
        f"+ cast(extract(day from {birth_date}) as integer)"
    )
    return (
        f"({year} - cast(extract(year from {birth_date}) as integer) "
        f"- case when {month_day} > 101 then 1 else 0 end)"
    )


# Age tolerated around the official age of a grade (seed official_school_ages): early entry by up
# to two years, over-age (late entry, repetition) by up to four. Evening and correspondence
# schools teach adults, so over-age is not bounded there.
AGE_BELOW_OFFICIAL = 2
AGE_ABOVE_OFFICIAL = 4
ADULT_SCHOOL_TYPES = ("evening", "correspondence")


def students_sql(ctx: CheckContext, learners: str | None = None) -> str:
    """One row per learner: required fields, PIN validity, and for learners enrolled on the
    snapshot date: registration order among records with their PIN, class, age for grade.

    Only the ``learners`` (SQL of student ids) if given: they must include every learner who
    shares a PIN with one of them, or their registration order would be another.

    The staging view of learners is read once, each learner's state joined to it once: its
    three readings (the record, the registrations, the pupils) took a national check 1 s."""
    age = age_on_january_first_sql("learners.birth_date", ctx.start_year + 1)
    adults = "(" + ", ".join(f"'{kind}'" for kind in ADULT_SCHOOL_TYPES) + ")"
    only = f"where student_id in ({learners})" if learners else ""
    only_students = f"where students.student_id in ({learners})" if learners else ""
    return f"""
    with first_events as (
        select student_id, min(event_date) as first_event_date
        from {STAGING_VIEWS["enrolments"]}
        {only}
        group by student_id
    ),

    learners as (
        select
            students.*,
            states.organization_id,
            states.class_id,
            states.level,
            states.grade,
            states.effect in {ENROLLED_EFFECTS}
                and states.academic_year = {text_sql(ctx.academic_year)} as is_enrolled,
            first_events.first_event_date
        from {STAGING_VIEWS["students"]} as students
        -- the states filtered before the join: it scanned all 2.27 million for a day's few
        left join (select * from {SNAPSHOT_DATE_LEARNERS} {only}) as states
            on students.student_id = states.student_id
        left join first_events on students.student_id = first_events.student_id
        {only_students}
    ),

    judged as (
        select
            learners.*,
            -- The record entered in the EMIS first (earliest event) is the person's own;
            -- others with the same PIN enrolled at the same time are second registrations.
            coalesce(learners.is_enrolled, false)
                and learners.pin_pseudonym is not null
                and learners.first_event_date is not null as is_registered,
            -- a pupil: enrolled at a level with an official school age
            case when learners.is_enrolled then school_ages.level end is not null as is_pupil,
            {age} - (school_ages.entry_age + learners.grade - school_ages.first_grade)
                as age_gap,
            organizations.organization_type
        from learners
        left join reference.official_school_ages as school_ages
            on learners.is_enrolled and learners.level = school_ages.level
        left join {STAGING_VIEWS["organizations"]} as organizations
            on learners.is_enrolled and learners.organization_id = organizations.organization_id
    )

    select
        student_id as record_id,
        organization_id as org_id,
        {missing_fields_sql("students", "judged")} as missing_required_fields,
        is_pin_format_valid as pin_format_ok,
        case when is_pin_format_valid then is_pin_sex_consistent end as pin_sex_ok,
        case when is_pin_format_valid then is_pin_birth_date_consistent end
            as pin_birth_date_ok,
        case
            when is_registered then row_number() over (
                partition by is_registered, pin_pseudonym
                order by first_event_date, student_id
            )
        end as registration_order,
        case when is_pupil then class_id is not null end as has_class,
        case
            when not is_pupil then null
            when organization_type in {adults} then least(age_gap, 0)
            else age_gap
        end as age_gap
    from judged
    """


def enrolments_sql(ctx: CheckContext) -> str:
    """One row per movement event: required fields and days from the event to its entry."""
    return f"""
    select
        events.event_id as record_id,
        events.organization_id as org_id,
        {missing_fields_sql("enrolments", "events")} as missing_required_fields,
        cast(events.recorded_at as date) - events.event_date as recording_lag_days
    from {STAGING_VIEWS["enrolments"]} as events
    """


def organizations_sql(ctx: CheckContext) -> str:
    """One row per organization: required fields, days since its record last changed (active
    ones), and the z-score of its year-on-year change in census-day enrolment among
    organizations of its type (learners as the warehouse counts them on a census date)."""
    return f"""
    with enrolment as (
        select academic_year as census_year, organization_id, count(*) as learners
        from {CENSUS_DATE_LEARNERS}
        where academic_year in ({text_sql(ctx.academic_year)}, {text_sql(ctx.previous_year)})
        group by academic_year, organization_id
    ),

    changes as (
        select
            this_year.organization_id,
            organizations.organization_type,
            ln(cast(this_year.learners as {ctx.double}) / last_year.learners) as enrolment_change
        from enrolment as this_year
        inner join enrolment as last_year
            on this_year.organization_id = last_year.organization_id
        inner join {STAGING_VIEWS["organizations"]} as organizations
            on this_year.organization_id = organizations.organization_id
        where this_year.census_year = {text_sql(ctx.academic_year)}
            and last_year.census_year = {text_sql(ctx.previous_year)}
    ),

    scores as (
        select
            organization_id,
            (enrolment_change - avg(enrolment_change) over (partition by organization_type))
            / nullif(stddev_samp(enrolment_change) over (partition by organization_type), 0)
                as enrolment_change_z
        from changes
    )

    select
        organizations.organization_id as record_id,
        organizations.organization_id as org_id,
        {missing_fields_sql("organizations", "organizations")} as missing_required_fields,
        case
            when organizations.organization_status = 'active'
                then {date_sql(ctx.snapshot_date)} - cast(organizations.updated_at as date)
        end as days_since_update,
        scores.enrolment_change_z
    from {STAGING_VIEWS["organizations"]} as organizations
    left join scores on organizations.organization_id = scores.organization_id
    """


def year_school_days(academic_year: str) -> list[dt.date]:
    """The teaching days of a year (school calendar seed); none if the seed lacks the year."""
    try:
        days = school_days(academic_year)
    except ValueError:
        return []
    return [dt.date.fromisoformat(str(day)) for day in days]


def school_days_sql(days: list[dt.date]) -> str:
    """``days`` as an inline table ``school_days(school_date)``."""
    if not days:
        return "(select cast(null as date) as school_date where 1 = 0) as school_days"
    rows = ", ".join(f"({date_sql(day)})" for day in days)
    return f"(values {rows}) as school_days (school_date)"


def classes_sql(ctx: CheckContext) -> str:
    """One row per class of the current year: required fields; for school classes, pupils
    enrolled on the snapshot date and teaching days on which attendance was not taken."""
    snapshot = date_sql(ctx.snapshot_date)
    days = [day for day in year_school_days(ctx.academic_year) if day < ctx.snapshot_date]
    first_day = date_sql(days[0]) if days else snapshot
    return f"""
    with {_last_events_sql(ctx)},

    classes as (
        select * from {STAGING_VIEWS["classes"]}
        where academic_year = {text_sql(ctx.academic_year)}
    ),

    class_pupils as (
        select class_id, count(*) as pupils
        from enrolled
        where level in {SCHOOLS} and class_id is not null
        group by class_id
    ),

    first_placements as (
        select class_id, min(event_date) as first_event_date
        from {STAGING_VIEWS["enrolments"]}
        where class_id is not null
        group by class_id
    ),

    -- A class expects attendance from its first placed learner (not before the year or the
    -- organization opened) to the day before the snapshot (or the organization's closing).
    spans as (
        select
            classes.class_id,
            greatest(
                {first_day}, coalesce(organizations.opened_date, {first_day}),
                first_placements.first_event_date
            ) as start_date,
            least({snapshot}, coalesce(organizations.closed_date, {snapshot})) as end_date
        from classes
        inner join first_placements on classes.class_id = first_placements.class_id
        inner join {STAGING_VIEWS["organizations"]} as organizations
            on classes.organization_id = organizations.organization_id
        where classes.level in {SCHOOLS}
    ),

    expected as (
        select spans.class_id, count(*) as expected_days
        from spans
        inner join {school_days_sql(days)}
            on school_days.school_date >= spans.start_date
            and school_days.school_date < spans.end_date
        group by spans.class_id
    ),

    -- The staging marks are one per class and day (their key): counted, not made distinct
    -- (nationally 1.7 s as a distinct count, 0.6 s counted).
    marked as (
        select spans.class_id, count(*) as marked_days
        from spans
        inner join staging.stg_emis__attendance_marks as marks
            on spans.class_id = marks.class_id
            and marks.attendance_date >= spans.start_date
            and marks.attendance_date < spans.end_date
        inner join {school_days_sql(days)}
            on marks.attendance_date = school_days.school_date
        group by spans.class_id
    )

    select
        classes.class_id as record_id,
        classes.organization_id as org_id,
        {missing_fields_sql("classes", "classes")} as missing_required_fields,
        case when classes.level in {SCHOOLS} then coalesce(class_pupils.pupils, 0) end
            as pupils,
        case
            when spans.class_id is not null
                then coalesce(expected.expected_days, 0) - coalesce(marked.marked_days, 0)
        end as unmarked_school_days
    from classes
    left join class_pupils on classes.class_id = class_pupils.class_id
    left join spans on classes.class_id = spans.class_id
    left join expected on classes.class_id = expected.class_id
    left join marked on classes.class_id = marked.class_id
    """


def staff_sql(ctx: CheckContext) -> str:
    """One row per employee: required fields and the FTE of their current teaching posts."""
    snapshot = date_sql(ctx.snapshot_date)
    return f"""
    with assignments as (
        select
            *,
            start_date <= {snapshot} and (end_date is null or end_date > {snapshot})
                as is_current
        from {STAGING_VIEWS["staff_assignments"]}
    ),

    teaching as (
        select staff_id, sum(fte_rate) as teaching_fte
        from assignments
        where is_current and staff_category = 'teaching'
        group by staff_id
    ),

    -- An employee belongs to the organization of their current main job (else the latest).
    home_organizations as (
        select
            staff_id,
            organization_id,
            row_number() over (
                partition by staff_id
                order by
                    case when is_current then 0 else 1 end,
                    case when is_primary_job then 0 else 1 end,
                    start_date desc,
                    assignment_id desc
            ) as preference
        from assignments
    )

    select
        staff.staff_id as record_id,
        home_organizations.organization_id as org_id,
        {missing_fields_sql("staff", "staff")} as missing_required_fields,
        teaching.teaching_fte
    from {STAGING_VIEWS["staff"]} as staff
    left join teaching on staff.staff_id = teaching.staff_id
    left join home_organizations
        on staff.staff_id = home_organizations.staff_id and home_organizations.preference = 1
    """


def staff_assignments_sql(ctx: CheckContext) -> str:
    """One row per assignment: required fields and days it runs past its organization's
    closing (0 at an open organization)."""
    snapshot = date_sql(ctx.snapshot_date)
    return f"""
    select
        assignments.assignment_id as record_id,
        assignments.organization_id as org_id,
        {missing_fields_sql("staff_assignments", "assignments")} as missing_required_fields,
        case
            when organizations.organization_status = 'closed'
                and organizations.closed_date is not null
                then greatest(
                    least(coalesce(assignments.end_date, {snapshot}), {snapshot})
                    - organizations.closed_date,
                    0
                )
            else 0
        end as days_after_closing
    from {STAGING_VIEWS["staff_assignments"]} as assignments
    left join {STAGING_VIEWS["organizations"]} as organizations
        on assignments.organization_id = organizations.organization_id
    """


def observation_key_sql(keys: tuple[str, ...], alias: str) -> str:
    """An observation's key as one text: its key columns joined by '|'."""
    parts = [f"coalesce(cast({alias}.{key} as varchar), '')" for key in keys]
    return " || '|' || ".join(parts)


def observations_sql(ctx: CheckContext) -> str:
    """One row per open observation: its additive parts, counts and shares. A residual's
    numerator (population minus enrolment, the rest of a reconstructed cohort) may be negative
    below national level, so only other numerators are bounded."""
    return f"""
    select
        {observation_key_sql(ctx.observation_keys, "observations")} as record_id,
        cast(null as varchar) as org_id,
        case
            when not indicators.is_residual then cast(observations.numerator as {ctx.double})
        end as numerator,
        cast(observations.denominator as {ctx.double}) as denominator,
        case
            when observations.unit in ('count', 'fte')
                then cast(observations.value as {ctx.double})
        end as count_value,
        case when indicators.is_share then cast(observations.value as {ctx.double}) end
            as share_value
    from marts_open.observations as observations
    left join reference.indicators as indicators
        on observations.indicator_id = indicators.indicator_id
    """


# Columns of marts_open.observations that are measures or notes, not part of its key.
OBSERVATION_MEASURES = (
    "numerator",
    "denominator",
    "value",
    "unit",
    "symbol",
    "footnote",
    "population_year",
)
