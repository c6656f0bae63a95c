-- Children who left a school (dropout or transfer out of grades 1-11) in the reporting period,
-- one row each (their last such exit, at that school), aged 7-17 on the reporting date, and
-- whether they are enrolled anywhere on the date. Measure: children.
exits as (
    select
        events.student_id,
        events.organization_id,
        events.exit_reason,
        row_number() over (
            partition by events.student_id
            order by events.event_date desc, event_types.order_in_day desc, events.event_id desc
        ) as recency
    from staging.stg_emis__enrolment_events as events
    inner join reference.event_types as event_types
        on events.event_type = event_types.event_type
    where
        events.event_type in ('dropout', 'transfer_out')
        and events.level in ('primary', 'basic', 'secondary')
        and events.event_date >= :period_start
        and events.event_date <= :as_of
),

leavers as (
    select
        exits.organization_id,
        exits.exit_reason,
        students.sex,
        case when enrolled.student_id is null then 0 else 1 end as is_enrolled,
        students.age
    from exits
    inner join organizations on exits.organization_id = organizations.organization_id
    inner join student_versions as students on exits.student_id = students.student_id
    left join enrolled on exits.student_id = enrolled.student_id
    where exits.recency = 1
),

facts as (
    select
        leavers.organization_id,
        leavers.exit_reason,
        leavers.sex,
        leavers.is_enrolled,
        leavers.age,
        1 as children
    from leavers
    where leavers.age between 7 and 17
)
