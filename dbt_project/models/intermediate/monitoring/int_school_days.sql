-- Grain: one row per academic year x school day: Monday to Friday inside a term of the
-- school calendar (seed school_calendar).
with school_calendar as (
    select * from {{ ref('school_calendar') }}
),

days as (
    {{ dbt.date_spine('day', "cast('2015-09-01' as date)", "cast('2036-01-01' as date)") }}
),

final as (
    select distinct
        school_calendar.academic_year,
        cast(days.date_day as date) as school_date
    from days
    inner join school_calendar
        on
            cast(days.date_day as date) >= school_calendar.start_date
            and cast(days.date_day as date) <= school_calendar.end_date
    -- extract(dow): 0 = Sunday, 6 = Saturday on both engines
    where extract(dow from days.date_day) between 1 and 5
)

select * from final
