-- Learners enrolled on the reporting date at the form's organizations, and the classes (or
-- groups) they are in: one row per learner (measure learners) and one per class with at least
-- one of them (measure classes), from one pass over the movement events. A class row has the
-- class's level, grade, language, shift and type; a class missing from the classes register
-- still counts, with its learners' level and grade. ISCED 2011 level and programme: seed
-- isced_levels.
repeaters as (
    -- Kept in their grade this academic year (a repetition event up to the date), even if
    -- they moved school afterwards.
    select distinct events.student_id
    from staging.stg_emis__enrolment_events as events
    where
        events.event_type = 'repetition'
        and events.academic_year = :academic_year
        and events.event_date <= :as_of
),

learners as (
    select
        enrolled.organization_id,
        enrolled.level,
        enrolled.grade,
        enrolled.class_id,
        students.sex,
        case when students.disability <> 'none' then 1 else 0 end as has_disability,
        case when repeaters.student_id is null then 0 else 1 end as is_repeater,
        case when enrolled.class_id is null then 0 else 1 end as has_class,
        classes.language,
        classes.shift,
        classes.class_type,
        enrolled.study_form,
        case when students.citizenship <> 'KGZ' then 1 else 0 end as is_foreign,
        students.age,
        students.age_at_year_end,
        isced.isced_programme as isced,
        isced.isced_level,
        -- The event that left them enrolled: an admission this year makes a new entrant.
        enrolled.event_type as last_event_type
    from enrolled
    inner join organizations on enrolled.organization_id = organizations.organization_id
    inner join student_versions as students on enrolled.student_id = students.student_id
    left join class_versions as classes on enrolled.class_id = classes.class_id
    left join repeaters on enrolled.student_id = repeaters.student_id
    left join reference.isced_levels as isced
        on
            enrolled.level = isced.level
            and enrolled.grade between isced.first_grade and isced.last_grade
),

classes_with_learners as (
    select
        learners.organization_id,
        learners.class_id,
        min(learners.level) as level,
        min(learners.grade) as grade
    from learners
    where learners.class_id is not null
    group by learners.organization_id, learners.class_id
),

facts as (
    select
        learners.organization_id,
        learners.level,
        learners.grade,
        learners.sex,
        learners.has_disability,
        learners.is_repeater,
        learners.has_class,
        learners.language,
        learners.shift,
        learners.class_type,
        learners.study_form,
        learners.is_foreign,
        learners.age,
        learners.age_at_year_end,
        learners.isced,
        learners.isced_level,
        learners.last_event_type,
        1 as learners,
        0 as classes
    from learners

    union all

    select
        classes_with_learners.organization_id,
        coalesce(classes.level, classes_with_learners.level) as level,
        coalesce(classes.grade, classes_with_learners.grade) as grade,
        null as sex,
        null as has_disability,
        null as is_repeater,
        1 as has_class,
        classes.language,
        classes.shift,
        classes.class_type,
        null as study_form,
        null as is_foreign,
        null as age,
        null as age_at_year_end,
        null as isced,
        null as isced_level,
        null as last_event_type,
        0 as learners,
        1 as classes
    from classes_with_learners
    left join class_versions as classes on classes_with_learners.class_id = classes.class_id
)
