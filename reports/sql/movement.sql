-- Movement events at the form's organizations in the reporting period (:period_start to the
-- reporting date, both included): admissions, transfers, graduations, dropouts, academic
-- leave. One row per event, with its level's ISCED 2011 level (seed isced_levels). Measure:
-- events.
facts as (
    select
        events.organization_id,
        events.event_type,
        events.exit_reason,
        events.level,
        events.grade,
        events.study_form,
        students.sex,
        case when students.disability <> 'none' then 1 else 0 end as has_disability,
        case when students.citizenship <> 'KGZ' then 1 else 0 end as is_foreign,
        isced.isced_programme as isced,
        isced.isced_level,
        1 as events
    from staging.stg_emis__enrolment_events as events
    inner join organizations on events.organization_id = organizations.organization_id
    inner join student_versions as students on events.student_id = students.student_id
    left join reference.isced_levels as isced
        on
            events.level = isced.level
            and events.grade between isced.first_grade and isced.last_grade
    where events.event_date >= :period_start and events.event_date <= :as_of
)
