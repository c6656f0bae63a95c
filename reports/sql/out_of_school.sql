-- Children known to the registers who are not enrolled on the reporting date: their last
-- event left them out (or on leave), or their last enrolment is of an earlier academic year.
-- One row per child, placed at the organization of their last event, with the reason that
-- event gives. Those who completed secondary, vocational or higher education are not counted.
-- Measure: children.
not_enrolled as (
    select
        learner_status.*,
        case
            when learner_status.effect = 'pause' then 'academic_leave'
            when learner_status.effect in ('enter', 'continue', 'resume') then 'not_reenrolled'
            when learner_status.event_type = 'graduation' and learner_status.level = 'basic'
                then 'basic_completed'
            when learner_status.event_type = 'graduation' and learner_status.level = 'preschool'
                then 'preschool_completed'
            when learner_status.event_type = 'graduation' then 'completed'
            when learner_status.exit_reason = 'moved_in_country' then 'not_arrived'
            when
                learner_status.exit_reason in (
                    'health', 'family', 'work', 'expelled', 'moved_abroad', 'death'
                )
                then learner_status.exit_reason
            else 'unknown'
        end as reason
    from learner_status
    where
        learner_status.effect in ('leave', 'pause')
        or learner_status.academic_year < :academic_year
),

children as (
    select
        not_enrolled.organization_id,
        not_enrolled.reason,
        not_enrolled.level,
        not_enrolled.grade,
        students.sex,
        students.age
    from not_enrolled
    inner join organizations on not_enrolled.organization_id = organizations.organization_id
    inner join student_versions as students on not_enrolled.student_id = students.student_id
    where not_enrolled.reason <> 'completed'
),

facts as (
    select
        children.organization_id,
        children.reason,
        children.level,
        children.grade,
        children.sex,
        children.age,
        1 as children
    from children
    where children.age between 7 and 17
)
