-- Grain: one row per academic year t x district x level x grade x sex x outcome: how many
-- pupils of a school level enrolled on census day t are, on census day t+1 (true cohort,
-- followed pupil by pupil through the movement events), promoted (a higher grade), repeated
-- (the same grade), graduated, dropped out, or left otherwise (emigrated, moved to another
-- kind of education, or no record). Years without a next year in the data have no rows.
-- Counted here rather than kept pupil by pupil: observations only sums them.
with learners as (
    select * from {{ ref('int_learners_on_census_date') }}
),

status as (
    select * from {{ ref('int_learner_status_on_census_date') }}
),

reference_dates as (
    select * from {{ ref('int_reference_dates') }}
),

events as (
    select * from {{ ref('stg_emis__enrolment_events') }}
),

pupils as (
    select
        learners.*,
        next_year.academic_year as next_academic_year,
        next_year.census_date as next_census_date
    from learners
    inner join reference_dates as this_year on learners.academic_year = this_year.academic_year
    inner join reference_dates as next_year on this_year.start_year + 1 = next_year.start_year
    where learners.level in ('primary', 'basic', 'secondary')
),

exits_between as (
    select
        pupils.academic_year,
        pupils.student_id,
        events.event_type,
        row_number() over (
            partition by pupils.academic_year, pupils.student_id
            order by events.event_date desc, events.event_id desc
        ) as recency
    from pupils
    inner join events
        on
            pupils.student_id = events.student_id
            and pupils.census_date < events.event_date
            and pupils.next_census_date >= events.event_date
    where events.event_type in ('graduation', 'dropout', 'transfer_out')
),

outcomes as (
    select
        pupils.academic_year,
        pupils.census_date,
        pupils.district_code,
        pupils.oblast_code,
        pupils.level,
        pupils.grade,
        pupils.sex,
        case
            when next_status.grade > pupils.grade then 'promoted'
            when next_status.grade = pupils.grade then 'repeated'
            when exits_between.event_type = 'graduation' then 'graduated'
            when exits_between.event_type = 'dropout' then 'dropped_out'
            else 'left'
        end as outcome
    from pupils
    left join status as next_status
        on
            pupils.student_id = next_status.student_id
            and pupils.next_academic_year = next_status.academic_year
            and next_status.level in ('primary', 'basic', 'secondary')
    left join exits_between
        on
            pupils.academic_year = exits_between.academic_year
            and pupils.student_id = exits_between.student_id
            and exits_between.recency = 1
),

final as (
    select
        academic_year,
        census_date,
        district_code,
        oblast_code,
        level,
        grade,
        sex,
        outcome,
        count(*) as pupils
    from outcomes
    group by
        academic_year,
        census_date,
        district_code,
        oblast_code,
        level,
        grade,
        sex,
        outcome
)

select * from final
