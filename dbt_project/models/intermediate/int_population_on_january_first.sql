-- Grain: one row per academic year x district x sex x single year of age: the population on
-- 1 January of the school year's second calendar year (population.csv counts ages then).
with population as (
    select * from {{ ref('stg_emis__population_estimates') }}
),

reference_dates as (
    select * from {{ ref('int_reference_dates') }}
),

territories as (
    select * from {{ ref('territories') }}
),

final as (
    select
        reference_dates.academic_year,
        population.district_code,
        territories.oblast_code,
        population.sex,
        population.age,
        population.population_count,
        reference_dates.census_date
    from population
    inner join reference_dates
        on population.population_year = reference_dates.start_year + 1
    inner join territories on population.district_code = territories.district_code
)

select * from final
