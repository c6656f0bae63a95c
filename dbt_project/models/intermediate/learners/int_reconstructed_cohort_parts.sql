-- Grain: one row per academic year t x district x level x grade g x sex: the pupils counted
-- for the UIS reconstructed-cohort flow rates of grade g, for grades followed by another
-- grade of the same level (the last grade of a level ends in graduation or transition, which
-- transition_rate measures). The method uses stocks only, as a census without individual
-- records would:
--   enrolled   E(g, t)      pupils of grade g on census day t;
--   promoted   E(g+1, t+1) - R(g+1, t+1): non-repeaters of grade g+1 on census day t+1;
--   repeated   R(g, t+1)    repeaters of grade g on census day t+1.
-- promotion = promoted / enrolled, repetition = repeated / enrolled, dropout = the rest.
-- Each stock is placed where it was counted, so at district level transfers show up as flows
-- (a negative dropout is possible there, as in the UIS method). A repeater is a pupil whose
-- year began with a repetition event.
with learners as (
    select * from {{ ref('int_learners_on_census_date') }}
),

reference_dates as (
    select * from {{ ref('int_reference_dates') }}
),

enrolment_events as (
    select * from {{ ref('stg_emis__enrolment_events') }}
),

school_ages as (
    select * from {{ ref('official_school_ages') }}
),

repeaters as (
    select distinct
        enrolment_events.academic_year,
        enrolment_events.student_id
    from enrolment_events
    where enrolment_events.event_type = 'repetition'
),

year_pairs as (
    select
        this_year.academic_year,
        this_year.census_date,
        next_year.academic_year as next_academic_year
    from reference_dates as this_year
    inner join reference_dates as next_year on this_year.start_year + 1 = next_year.start_year
),

pupils as (
    select
        learners.academic_year,
        learners.student_id,
        learners.district_code,
        learners.oblast_code,
        learners.level,
        learners.grade,
        learners.sex,
        case when repeaters.student_id is null then 0 else 1 end as is_repeater
    from learners
    left join repeaters
        on
            learners.academic_year = repeaters.academic_year
            and learners.student_id = repeaters.student_id
    where learners.level in ('primary', 'basic', 'secondary')
),

enrolled as (
    select
        year_pairs.academic_year,
        year_pairs.census_date,
        pupils.student_id,
        pupils.district_code,
        pupils.oblast_code,
        pupils.level,
        pupils.grade,
        pupils.sex,
        1 as enrolled,
        0 as promoted,
        0 as repeated
    from pupils
    inner join year_pairs on pupils.academic_year = year_pairs.academic_year
),

promoted as (
    -- Non-repeaters of grade g+1 next year, credited to grade g and its level this year.
    select
        year_pairs.academic_year,
        year_pairs.census_date,
        pupils.student_id,
        pupils.district_code,
        pupils.oblast_code,
        previous_grade.level,
        pupils.grade - 1 as grade,
        pupils.sex,
        0 as enrolled,
        1 - pupils.is_repeater as promoted,
        0 as repeated
    from pupils
    inner join year_pairs on pupils.academic_year = year_pairs.next_academic_year
    inner join school_ages as previous_grade
        on pupils.grade - 1 between previous_grade.first_grade and previous_grade.last_grade
),

repeated as (
    select
        year_pairs.academic_year,
        year_pairs.census_date,
        pupils.student_id,
        pupils.district_code,
        pupils.oblast_code,
        pupils.level,
        pupils.grade,
        pupils.sex,
        0 as enrolled,
        0 as promoted,
        pupils.is_repeater as repeated
    from pupils
    inner join year_pairs on pupils.academic_year = year_pairs.next_academic_year
),

contributions as (
    select * from enrolled
    union all
    select * from promoted
    union all
    select * from repeated
),

final as (
    -- Summed here rather than kept pupil by pupil: observations only sums them.
    select
        contributions.academic_year,
        contributions.census_date,
        contributions.district_code,
        contributions.oblast_code,
        contributions.level,
        contributions.grade,
        contributions.sex,
        cast(sum(contributions.enrolled) as bigint) as enrolled,
        cast(sum(contributions.promoted) as bigint) as promoted,
        cast(sum(contributions.repeated) as bigint) as repeated
    from contributions
    inner join school_ages as this_level
        on
            contributions.level = this_level.level
            and contributions.grade < this_level.last_grade
    where contributions.enrolled + contributions.promoted + contributions.repeated > 0
    group by
        contributions.academic_year,
        contributions.census_date,
        contributions.district_code,
        contributions.oblast_code,
        contributions.level,
        contributions.grade,
        contributions.sex
)

select * from final
