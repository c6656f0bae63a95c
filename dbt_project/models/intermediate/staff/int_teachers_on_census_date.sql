-- Grain: one row per academic year x organization x teacher holding a teaching post there on
-- the census date. A person holding any current teaching post counts once as a teacher
-- (is_headcount = 1 on exactly one row per year), at their primary teaching post, or, when
-- none of their teaching posts is primary (a director who also teaches), at the teaching post
-- with the largest rate (macro teacher_placement_order). FTE sums the rates of the teaching
-- posts at each organization; administrative posts add neither a head nor FTE.
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
        assignments.assignment_id,
        assignments.staff_id,
        assignments.organization_id,
        assignments.fte_rate,
        row_number() over (
            partition by organizations.academic_year, assignments.staff_id
            order by {{ teacher_placement_order('assignments') }}
        ) as placement_rank
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
        max(case when placement_rank = 1 then 1 else 0 end) as is_headcount,
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
