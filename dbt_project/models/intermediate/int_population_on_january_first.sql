-- Grain: one row per academic year x district x sex x single year of age: the population on
-- 1 January of the school year's second calendar year (population.csv counts ages then), or,
-- while that year is not loaded, the latest earlier year's (int_population_years; the
-- observations built on it say which year in population_year and a footnote).
with population as (
    select * from {{ ref('stg_emis__population_estimates') }}
),

reference_dates as (
    select * from {{ ref('int_reference_dates') }}
),

population_years as (
    select * from {{ ref('int_population_years') }}
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
        population.population_year,
        reference_dates.census_date
    from population
    inner join population_years
        on population.population_year = population_years.population_year
    inner join reference_dates
        on population_years.academic_year = reference_dates.academic_year
    inner join territories on population.district_code = territories.district_code
)

select * from final
