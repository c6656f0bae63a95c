-- Grain: one row per academic year x class of a school level with pupils on the census date:
-- its size and shift, for class-size and shift indicators.
with learners as (
    select * from {{ ref('int_learners_on_census_date') }}
),

class_sizes as (
    select
        academic_year,
        class_id,
        min(organization_id) as organization_id,
        min(district_code) as district_code,
        min(oblast_code) as oblast_code,
        min(locality) as locality,
        min(ownership) as ownership,
        min(level) as level,
        min(shift) as shift,
        min(census_date) as census_date,
        count(*) as pupils
    from learners
    where level in ('primary', 'basic', 'secondary') and class_id is not null
    group by academic_year, class_id
),

final as (
    select
        academic_year,
        class_id,
        organization_id,
        district_code,
        oblast_code,
        locality,
        ownership,
        level,
        shift,
        pupils,
        case when pupils > 30 then 1 else 0 end as is_large,
        census_date
    from class_sizes
)

select * from final
