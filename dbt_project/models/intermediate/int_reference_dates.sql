-- Grain: one row per academic year present in the movement events.
-- The census date (start-of-year figures) is configured by vars census_month / census_day.
with enrolment_events as (
    select * from {{ ref('stg_emis__enrolment_events') }}
),

academic_years as (
    select distinct enrolment_events.academic_year
    from enrolment_events
),

final as (
    select
        academic_years.academic_year,
        cast(left(academic_years.academic_year, 4) as integer) as start_year,
        make_date(
            cast(left(academic_years.academic_year, 4) as integer),
            {{ var('census_month') }},
            {{ var('census_day') }}
        ) as census_date,
        make_date(cast(left(academic_years.academic_year, 4) as integer) + 1, 1, 1)
            as january_first_date
    from academic_years
)

select * from final
