-- Grain: one row per movement event of the latest export's academic year: how many days
-- after the event it was entered in the EMIS (recorded_at - event_date).
with enrolment_events as (
    select * from {{ ref('stg_emis__enrolment_events') }}
),

latest_export as (
    select * from {{ ref('int_latest_export') }}
),

final as (
    select
        enrolment_events.event_id,
        enrolment_events.organization_id,
        {{ days_between('enrolment_events.event_date', 'enrolment_events.recorded_at') }}
            as entry_lag_days
    from enrolment_events
    inner join latest_export on enrolment_events.academic_year = latest_export.academic_year
)

select * from final
