-- Grain: one row per academic year x district x sex x reference level (primary, basic,
-- secondary) x source (a learner, or a population count): the additive parts of the gross,
-- net and adjusted net enrolment ratios (UIS). Ages are completed years on 1 January of the
-- school year's second calendar year, for learners and population alike (population.csv
-- counts ages on 1 January); official age bands come from seed official_school_ages.
with learners as (
    select * from {{ ref('int_learners_on_census_date') }}
),

school_ages as (
    select * from {{ ref('official_school_ages') }}
),

population as (
    select * from {{ ref('int_population_on_january_first') }}
),

learner_levels as (
    select
        learners.*,
        own_level.isced_level as own_isced_level
    from learners
    inner join school_ages as own_level on learners.level = own_level.level
),

learner_parts as (
    -- A learner counts for their own level (GER, and NER if of its official age), and for
    -- every level whose official age they have while enrolled at it or above (ANER).
    select
        learner_levels.academic_year,
        learner_levels.census_date,
        learner_levels.district_code,
        learner_levels.oblast_code,
        learner_levels.sex,
        school_ages.level,
        case when learner_levels.level = school_ages.level then 1 else 0 end
            as enrolled_at_level,
        case
            when
                learner_levels.level = school_ages.level
                and learner_levels.age_on_january_first between school_ages.entry_age
                and school_ages.entry_age + school_ages.duration_years - 1
                then 1
            else 0
        end as of_official_age_at_level,
        case
            when
                learner_levels.own_isced_level >= school_ages.isced_level
                and learner_levels.age_on_january_first between school_ages.entry_age
                and school_ages.entry_age + school_ages.duration_years - 1
                then 1
            else 0
        end as of_official_age_at_or_above,
        0 as population
    from learner_levels
    inner join school_ages
        on
            learner_levels.level = school_ages.level
            or (
                learner_levels.own_isced_level > school_ages.isced_level
                and learner_levels.age_on_january_first between school_ages.entry_age
                and school_ages.entry_age + school_ages.duration_years - 1
            )
),

population_parts as (
    select
        population.academic_year,
        population.census_date,
        population.district_code,
        population.oblast_code,
        population.sex,
        school_ages.level,
        0 as enrolled_at_level,
        0 as of_official_age_at_level,
        0 as of_official_age_at_or_above,
        population.population_count as population
    from population
    inner join school_ages
        on
            population.age between school_ages.entry_age
            and school_ages.entry_age + school_ages.duration_years - 1
),

final as (
    select * from learner_parts
    union all
    select * from population_parts
)

select * from final
