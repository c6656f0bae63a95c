-- Grain: one row per academic year x organization operating on the census date x measure x
-- grade x sex: a school's public report card (pupils by grade and sex, teachers by sex, the
-- SDG 4.a.1 facilities). Counts of persons here are small: the release applies disclosure
-- control to them (threshold and secondary suppression within each school's table) before
-- anything is published; facilities describe the building, not people.
{% set facilities = ['has_electricity', 'has_internet', 'has_computers', 'is_adapted',
                     'has_drinking_water', 'has_single_sex_toilets', 'has_handwashing'] %}
with organizations as (
    select * from {{ ref('int_organizations_on_census_date') }}
),

names as (
    select * from {{ ref('stg_emis__organizations') }}
),

learners as (
    select * from {{ ref('int_learners_on_census_date') }}
),

teachers as (
    select * from {{ ref('int_teachers_on_census_date') }}
),

facilities as (
    select * from {{ ref('int_school_facilities') }}
),

pupils as (
    select
        learners.academic_year,
        learners.organization_id,
        'learners' as measure,
        learners.level,
        cast(learners.grade as varchar) as grade,
        learners.sex,
        count(*) as value
    from learners
    group by
        learners.academic_year,
        learners.organization_id,
        learners.level,
        learners.grade,
        learners.sex
),

teaching_staff as (
    select
        teachers.academic_year,
        teachers.organization_id,
        'teachers' as measure,
        '_Z' as level,
        '_Z' as grade,
        teachers.sex,
        count(*) as value
    from teachers
    where teachers.is_headcount = 1
    group by teachers.academic_year, teachers.organization_id, teachers.sex
),

buildings as (
    {% for facility in facilities %}
        select
            facilities.academic_year,
            facilities.organization_id,
            '{{ facility }}' as measure,
            '_Z' as level,
            '_Z' as grade,
            '_Z' as sex,
            case when facilities.{{ facility }} then 1 else 0 end as value
        from facilities
        where facilities.{{ facility }} is not null
        {% if not loop.last %}union all{% endif %}
    {% endfor %}
),

measures as (
    select * from pupils
    union all
    select * from teaching_staff
    union all
    select * from buildings
),

final as (
    select
        measures.academic_year,
        measures.organization_id,
        names.name_ru as organization_name_ru,
        names.name_ky as organization_name_ky,
        organizations.district_code,
        organizations.oblast_code,
        organizations.organization_type,
        organizations.ownership,
        organizations.locality,
        organizations.languages,
        measures.measure,
        measures.level,
        measures.grade,
        measures.sex,
        cast(measures.value as bigint) as value,
        organizations.census_date as reference_date
    from measures
    inner join organizations
        on
            measures.academic_year = organizations.academic_year
            and measures.organization_id = organizations.organization_id
    inner join names on measures.organization_id = names.organization_id
)

select * from final
