-- Grain: one row per academic year x organization x teacher holding a teaching post there on
-- the census date. Headcount counts a teacher once, at the organization of their primary
-- job; FTE sums the rates of all their teaching posts (a second job adds FTE, not a head).
with assignments as (
    select * from {{ ref('stg_emis__staff_assignments') }}
),

staff_positions as (
    select * from {{ ref('staff_positions') }}
),

staff as (
    select * from {{ ref('stg_emis__staff') }}
),

organizations as (
    select * from {{ ref('int_organizations_on_census_date') }}
),

teaching_posts as (
    select
        organizations.academic_year,
        assignments.staff_id,
        assignments.organization_id,
        assignments.is_primary_job,
        assignments.fte_rate
    from assignments
    inner join staff_positions on assignments.position = staff_positions.position
    inner join organizations on assignments.organization_id = organizations.organization_id
    where
        staff_positions.is_teacher
        and assignments.start_date <= organizations.census_date
        and (assignments.end_date is null or assignments.end_date > organizations.census_date)
),

per_organization as (
    select
        academic_year,
        staff_id,
        organization_id,
        max(case when is_primary_job then 1 else 0 end) as is_headcount,
        sum(fte_rate) as fte
    from teaching_posts
    group by academic_year, staff_id, organization_id
),

final as (
    select
        per_organization.academic_year,
        per_organization.organization_id,
        per_organization.staff_id,
        organizations.district_code,
        organizations.oblast_code,
        organizations.organization_type,
        organizations.sector,
        organizations.is_general_school,
        organizations.ownership,
        organizations.locality,
        staff.sex,
        staff.education_level,
        staff.has_pedagogical_training,
        per_organization.is_headcount,
        per_organization.fte,
        organizations.census_date
    from per_organization
    inner join organizations
        on
            per_organization.organization_id = organizations.organization_id
            and per_organization.academic_year = organizations.academic_year
    inner join staff on per_organization.staff_id = staff.staff_id
)

select * from final
