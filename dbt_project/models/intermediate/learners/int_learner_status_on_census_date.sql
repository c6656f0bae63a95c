-- Grain: one row per academic year x learner enrolled on that year's census date.
-- A learner's state on a date is the result of their events up to that date: the last event
-- on or before the census date (same-day events in the order of seed event_types) must leave
-- them enrolled (effect enter, continue or resume) and place them in that academic year.
-- Learners on academic leave on the census date are not counted.
-- Incremental: a delta recomputes only the learners it touches, all their rows deleted first
-- (a corrected event may leave a learner enrolled on no census date).
{{ config(
    materialized='incremental',
    incremental_strategy='append',
    pre_hook="{{ emis.delete_learners(emis.learners_touched_since_last_build()) }}",
) }}
with enrolment_events as (
    select * from {{ ref('stg_emis__enrolment_events') }}
    {% if is_incremental() -%}
        where student_id in ({{ learners_touched_since_last_build() }})
    {%- endif %}
),

event_types as (
    select * from {{ ref('event_types') }}
),

reference_dates as (
    select * from {{ ref('int_reference_dates') }}
),

events_before_census as (
    select
        reference_dates.academic_year as census_academic_year,
        reference_dates.start_year,
        reference_dates.census_date,
        reference_dates.january_first_date,
        enrolment_events.event_id,
        enrolment_events.student_id,
        enrolment_events.organization_id,
        enrolment_events.event_type,
        enrolment_events.event_date,
        enrolment_events.academic_year,
        enrolment_events.level,
        enrolment_events.grade,
        enrolment_events.class_id,
        enrolment_events.study_form,
        event_types.effect,
        row_number() over (
            partition by reference_dates.academic_year, enrolment_events.student_id
            order by {{ latest_event_first() }}
        ) as recency_rank
    from enrolment_events
    inner join event_types on enrolment_events.event_type = event_types.event_type
    cross join reference_dates
    where enrolment_events.event_date <= reference_dates.census_date
),

final as (
    select
        census_academic_year as academic_year,
        start_year,
        census_date,
        january_first_date,
        student_id,
        organization_id,
        level,
        grade,
        class_id,
        study_form,
        event_type as last_event_type,
        event_date as last_event_date
    from events_before_census
    where
        recency_rank = 1
        and effect in ('enter', 'continue', 'resume')
        and academic_year = census_academic_year
)

select * from final
