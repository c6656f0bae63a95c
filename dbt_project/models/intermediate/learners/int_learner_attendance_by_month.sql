-- Grain: one row per learner x month of the current academic year in which their class took
-- attendance: school days marked while the learner was in the class, and days absent
-- (excused or unexcused; lateness is attendance). A learner is followed in the class they had
-- on the census date, from the start of the school year until they leave or go on leave.
with learners as (
    select * from {{ ref('int_learners_on_census_date') }}
),

events as (
    select * from {{ ref('stg_emis__enrolment_events') }}
),

event_types as (
    select * from {{ ref('event_types') }}
),

departures as (
    select
        learners.academic_year,
        learners.student_id,
        min(events.event_date) as departure_date
    from learners
    inner join events
        on
            learners.student_id = events.student_id
            and learners.academic_year = events.academic_year
            and learners.census_date < events.event_date
    inner join event_types on events.event_type = event_types.event_type
    where event_types.effect in ('leave', 'pause')
    group by learners.academic_year, learners.student_id
),

attendance_marks as (
    select * from {{ ref('stg_emis__attendance_marks') }}
),

absences as (
    select * from {{ ref('stg_emis__absences') }}
),

marked_days as (
    select
        learners.academic_year,
        learners.student_id,
        learners.district_code,
        learners.oblast_code,
        learners.sex,
        learners.level,
        learners.locality,
        attendance_marks.attendance_date,
        cast({{ dbt.date_trunc('month', 'attendance_marks.attendance_date') }} as date)
            as month_start_date
    from learners
    inner join attendance_marks on learners.class_id = attendance_marks.class_id
    left join departures
        on
            learners.academic_year = departures.academic_year
            and learners.student_id = departures.student_id
    where
        learners.level in ('primary', 'basic', 'secondary')
        and attendance_marks.attendance_date >= make_date(learners.start_year, 9, 1)
        and (
            departures.departure_date is null
            or attendance_marks.attendance_date < departures.departure_date
        )
),

absent_days as (
    select
        student_id,
        absence_date
    from absences
    where absence_type in ('excused', 'unexcused')
),

final as (
    select
        marked_days.academic_year,
        marked_days.student_id,
        marked_days.district_code,
        marked_days.oblast_code,
        marked_days.sex,
        marked_days.level,
        marked_days.locality,
        marked_days.month_start_date,
        count(*) as days_marked,
        count(absent_days.student_id) as days_absent,
        max(marked_days.attendance_date) as last_marked_date
    from marked_days
    left join absent_days
        on
            marked_days.student_id = absent_days.student_id
            and marked_days.attendance_date = absent_days.absence_date
    group by
        marked_days.academic_year,
        marked_days.student_id,
        marked_days.district_code,
        marked_days.oblast_code,
        marked_days.sex,
        marked_days.level,
        marked_days.locality,
        marked_days.month_start_date
)

select * from final
