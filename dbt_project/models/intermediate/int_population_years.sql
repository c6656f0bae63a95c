-- Grain: one row per academic year: the population estimates its enrolment ratios use. The
-- definition asks for 1 January of the school year's second calendar year; at census time
-- the statistics committee has usually published only the year before, so the latest year
-- loaded at or before the one asked for stands in (null when there is none). Loading the
-- newer year revises the ratios at the next build.
with reference_dates as (
    select * from {{ ref('int_reference_dates') }}
),

population as (
    select * from {{ ref('stg_emis__population_estimates') }}
),

loaded_years as (
    select distinct population.population_year
    from population
),

final as (
    select
        reference_dates.academic_year,
        reference_dates.start_year + 1 as population_year_wanted,
        max(loaded_years.population_year) as population_year
    from reference_dates
    left join loaded_years
        on loaded_years.population_year <= reference_dates.start_year + 1
    group by reference_dates.academic_year, reference_dates.start_year
)

select * from final
