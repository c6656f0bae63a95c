-- Grain: one row per learner x month of the academic year in which their class took
-- attendance: school days marked while the learner was in the class, and days absent
-- (excused or unexcused; lateness is attendance). A learner is followed in the class they had
-- on the census date, until they leave or go on leave. Days are counted per class and month
-- first, and per learner only for the few who left: a learner x day join would be ~120 million
-- rows at national scale.
-- Incremental: a delta export recomputes only the months it touches (whole months replaced,
-- never counts added, so a re-delivered day cannot count twice); `emis build` without
-- --incremental rebuilds everything.
-- depends_on: {{ ref('stg_emis__students') }}
-- depends_on: {{ ref('stg_emis__organizations') }}
{{ config(
    materialized='incremental',
    incremental_strategy='delete+insert',
    unique_key='month_start_date',
    pre_hook="{{ emis.hash_build_sides('as written') }}",
    post_hook="{{ emis.hash_build_sides('estimated') }}",
) }}
{% set new_loads = loads_since_last_build() %}
{#- An incremental run looks the affected months up first: the model's query then reads only
    the marks and absences from the first of them on (a constant bound the database applies
    while scanning, instead of every day of the year read and then filtered). -#}
{% set affected_months_sql %}
with class_months as (
    select distinct cast({{ dbt.date_trunc('month', 'marks.attendance_date') }} as date)
        as month_start_date
    from {{ ref('stg_emis__attendance_marks') }} as marks
),

events as (
    select * from {{ ref('stg_emis__enrolment_events') }}
),

current_loads as (
    select * from {{ source('emis_meta', 'current_loads') }}
)

-- Months with attendance or absences delivered since the last build; every month from a
-- movement event on; all months when a new full export, an event before the census date, a
-- learner's corrected sex or a corrected organization changes the whole year.
select cast({{ dbt.date_trunc('month', 'marks.attendance_date') }} as date) as month_start_date
from {{ ref('stg_emis__attendance_marks') }} as marks
where marks.load_id in {{ new_loads }}
union
select cast({{ dbt.date_trunc('month', 'absences.absence_date') }} as date)
from {{ ref('stg_emis__absences') }} as absences
where absences.load_id in {{ new_loads }}
union
-- compared with the earliest month only: a join with every event would pair each class
-- month with each of a day's hundreds of events
select class_months.month_start_date
from class_months
where class_months.month_start_date >= (
    select min(cast({{ dbt.date_trunc('month', 'events.event_date') }} as date))
    from events
    where events.load_id in {{ new_loads }}
)
union
select class_months.month_start_date
from class_months
where exists (
    select 1 from current_loads
    where
        current_loads.is_base
        and current_loads.load_id in {{ new_loads }}
)
or exists (
    select 1 from events
    -- one census date per year: joining every pupil would repeat each event millions of times
    inner join (
        select distinct
            learners.academic_year,
            learners.census_date
        from {{ ref('int_learners_on_census_date') }} as learners
        where
            learners.level in ('primary', 'basic', 'secondary')
            and learners.class_id is not null
    ) as census_dates on events.academic_year = census_dates.academic_year
    where
        events.load_id in {{ new_loads }}
        and events.event_date <= census_dates.census_date
)
or exists (
    select 1 from {{ ref('stg_emis__students') }} as students
    inner join {{ this }} as built on students.student_id = built.student_id
    where
        students.load_id in {{ new_loads }}
        and students.sex <> built.sex
)
or exists (
    select 1 from {{ ref('stg_emis__organizations') }} as organizations
    where organizations.load_id in {{ new_loads }}
)
{% endset %}
{%- set months = affected_months(affected_months_sql) if is_incremental() else none -%}
with learners as (
    select * from {{ ref('int_learners_on_census_date') }}
),

attendance_marks as (
    select * from {{ ref('stg_emis__attendance_marks') }}
    {%- if months is not none %}
    where attendance_date >= {{ months.first }}
    {%- endif %}
),

absences as (
    select * from {{ ref('stg_emis__absences') }}
    {%- if months is not none %}
    where absence_date >= {{ months.first }}
    {%- endif %}
),

events as (
    select * from {{ ref('stg_emis__enrolment_events') }}
),

event_types as (
    select * from {{ ref('event_types') }}
),

current_loads as (
    select * from {{ source('emis_meta', 'current_loads') }}
),


pupils as (
    select * from learners
    where level in ('primary', 'basic', 'secondary') and class_id is not null
),

class_days as (
    select
        class_id,
        attendance_date,
        cast({{ dbt.date_trunc('month', 'attendance_date') }} as date) as month_start_date
    from attendance_marks
),

class_months as (
    select
        class_id,
        month_start_date,
        count(*) as days_marked
    from class_days
    group by class_id, month_start_date
),

departures as (
    select
        pupils.academic_year,
        pupils.student_id,
        pupils.class_id,
        min(events.event_date) as departure_date
    from pupils
    inner join events
        on
            pupils.student_id = events.student_id
            and pupils.academic_year = events.academic_year
            and pupils.census_date < events.event_date
    inner join event_types on events.event_type = event_types.event_type
    where event_types.effect in ('leave', 'pause')
    group by pupils.academic_year, pupils.student_id, pupils.class_id
),

days_after_departure as (
    select
        departures.academic_year,
        departures.student_id,
        class_days.month_start_date,
        count(*) as days_gone
    from departures
    inner join class_days
        on
            departures.class_id = class_days.class_id
            and departures.departure_date <= class_days.attendance_date
    group by departures.academic_year, departures.student_id, class_days.month_start_date
),

absent_months as (
    select
        absences.student_id,
        absences.class_id,
        cast({{ dbt.date_trunc('month', 'absences.absence_date') }} as date) as month_start_date,
        count(*) as days_absent
    from absences
    where absences.absence_type in ('excused', 'unexcused')
    group by
        absences.student_id,
        absences.class_id,
        cast({{ dbt.date_trunc('month', 'absences.absence_date') }} as date)
),

final as (
    select
        pupils.academic_year,
        pupils.student_id,
        pupils.district_code,
        pupils.oblast_code,
        pupils.sex,
        pupils.level,
        pupils.locality,
        class_months.month_start_date,
        class_months.days_marked - coalesce(days_after_departure.days_gone, 0) as days_marked,
        coalesce(absent_months.days_absent, 0) as days_absent,
        (select max(current_loads.load_id) from current_loads) as built_through_load_id
    from pupils
    -- the affected months chosen before the join: after it, they filtered every month's rows
    inner join (
        select class_months.*
        from class_months
        {%- if months is not none %}
        where class_months.month_start_date in {{ months.listed }}
        {%- endif %}
    ) as class_months on pupils.class_id = class_months.class_id
    left join days_after_departure
        on
            pupils.academic_year = days_after_departure.academic_year
            and pupils.student_id = days_after_departure.student_id
            and class_months.month_start_date = days_after_departure.month_start_date
    left join absent_months
        on
            pupils.student_id = absent_months.student_id
            and pupils.class_id = absent_months.class_id
            and class_months.month_start_date = absent_months.month_start_date
    where
        class_months.days_marked - coalesce(days_after_departure.days_gone, 0) > 0
)

{#- DuckDB keeps a month's rows together in the table's row groups, so that a daily build's
    replaced month is whole row groups deleted: scattered over every row group, the deleted
    rows made the next checkpoint rewrite the table (about 3 s of a national daily build).
    One month's rows, appended, are together without a sort (0.1-0.5 s nationally). #}
select * from final
{% if target.type == 'duckdb' and (months is none or months.count > 1) -%}
    order by month_start_date
{%- endif %}
