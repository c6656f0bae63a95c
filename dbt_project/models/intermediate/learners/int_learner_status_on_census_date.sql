-- Grain: one row per academic year x learner enrolled on that year's census date.
-- A learner's state on a date is the result of their events up to that date: the last event
-- on or before the census date (same-day events in the order of seed event_types) must leave
-- them enrolled (effect enter, continue or resume) and place them in that academic year.
-- Learners on academic leave on the census date are not counted.
-- Each event holds from its date until the date of the event after it, so the last event on
-- or before a census date is the one whose next event comes after it (or none does): one
-- window over the events, not one per census date.
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

events_with_next as (
    select
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
        lag(enrolment_events.event_date) over (
            partition by enrolment_events.student_id
            order by {{ latest_event_first() }}
        ) as next_event_date
    from enrolment_events
    inner join event_types on enrolment_events.event_type = event_types.event_type
),

final as (
    select
        reference_dates.academic_year,
        reference_dates.start_year,
        reference_dates.census_date,
        reference_dates.january_first_date,
        events_with_next.student_id,
        events_with_next.organization_id,
        events_with_next.level,
        events_with_next.grade,
        events_with_next.class_id,
        events_with_next.study_form,
        events_with_next.event_type as last_event_type,
        events_with_next.event_date as last_event_date
    from events_with_next
    inner join reference_dates
        on
            events_with_next.academic_year = reference_dates.academic_year
            and events_with_next.event_date <= reference_dates.census_date
            and (
                events_with_next.next_event_date is null
                or events_with_next.next_event_date > reference_dates.census_date
            )
    where events_with_next.effect in ('enter', 'continue', 'resume')
)

select * from final
