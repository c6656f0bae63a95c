-- Grain: one row per class of a school level in the latest export's academic year: the
-- school days on which attendance should have been taken before the snapshot date, on how
-- many it was, and on how many it was marked the same day. A class is expected from its first
-- pupil's movement event (or the first school day) while its organization is open.
with classes as (
    select * from {{ ref('stg_emis__classes') }}
),

enrolment_events as (
    select * from {{ ref('stg_emis__enrolment_events') }}
),

attendance_marks as (
    select * from {{ ref('stg_emis__attendance_marks') }}
),

school_days as (
    select * from {{ ref('int_school_days') }}
),

organizations as (
    select * from {{ ref('int_organizations_monitored') }}
),

class_starts as (
    select
        enrolment_events.class_id,
        min(enrolment_events.event_date) as first_event_date
    from enrolment_events
    where enrolment_events.class_id is not null
    group by enrolment_events.class_id
),

expected_days as (
    select
        classes.class_id,
        classes.organization_id,
        school_days.school_date
    from classes
    inner join organizations on classes.organization_id = organizations.organization_id
    inner join class_starts on classes.class_id = class_starts.class_id
    inner join school_days
        on
            classes.academic_year = school_days.academic_year
            and class_starts.first_event_date <= school_days.school_date
            and organizations.snapshot_date > school_days.school_date
            and (
                organizations.opened_date is null
                or organizations.opened_date <= school_days.school_date
            )
            and (
                organizations.closed_date is null
                or organizations.closed_date > school_days.school_date
            )
    where
        classes.academic_year = organizations.academic_year
        and classes.level in ('primary', 'basic', 'secondary')
),

final as (
    select
        expected_days.class_id,
        expected_days.organization_id,
        count(*) as class_days_expected,
        count(attendance_marks.class_id) as class_days_marked,
        sum(
            case
                when cast(attendance_marks.marked_at as date) <= expected_days.school_date
                    then 1
                else 0
            end
        ) as class_days_marked_on_time
    from expected_days
    -- The marks are one per class and day already (the staging key; ingestion quarantines a
    -- repeated key). Grouping them again held a hash table of every mark beside the join's:
    -- alone near DuckDB's 2 GB limit, and out of memory beside another model.
    left join attendance_marks
        on
            expected_days.class_id = attendance_marks.class_id
            and expected_days.school_date = attendance_marks.attendance_date
    group by expected_days.class_id, expected_days.organization_id
)

select * from final
