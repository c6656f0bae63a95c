-- Grain: one row per academic year x district x sex x level (primary, basic) x source (a
-- pupil of the level's last grade who is not repeating it, or a population count of the
-- theoretical age of that grade): the parts of the gross intake ratio to the last grade (UIS).
with learners as (
    select * from {{ ref('int_learners_on_census_date') }}
),

school_ages as (
    select * from {{ ref('official_school_ages') }}
),

population as (
    select * from {{ ref('int_population_on_january_first') }}
),

last_grade_entrants as (
    select
        learners.academic_year,
        learners.census_date,
        learners.district_code,
        learners.oblast_code,
        learners.sex,
        learners.level,
        1 as entrants,
        0 as population
    from learners
    inner join school_ages
        on
            learners.level = school_ages.level
            and learners.grade = school_ages.last_grade
    where learners.last_event_type <> 'repetition' and school_ages.level in ('primary', 'basic')
),

population_of_last_grade_age as (
    select
        population.academic_year,
        population.census_date,
        population.district_code,
        population.oblast_code,
        population.sex,
        school_ages.level,
        0 as entrants,
        population.population_count as population
    from population
    inner join school_ages
        on population.age = school_ages.entry_age + school_ages.duration_years - 1
    where school_ages.level in ('primary', 'basic')
),

final as (
    select * from last_grade_entrants
    union all
    select * from population_of_last_grade_age
)

select * from final
