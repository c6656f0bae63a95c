-- Persons holding a teaching post at the form's organizations on the reporting date (as the
-- teachers indicator counts them): headcount once, at the organization of their primary job;
-- FTE sums the rates of all their teaching posts there. Measures: teachers, fte.
teaching_posts as (
    select
        assignments.staff_id,
        assignments.org_id as organization_id,
        assignments.is_primary_job,
        assignments.rate
    from assignment_versions as assignments
    inner join reference.staff_positions as staff_positions
        on assignments.position = staff_positions.position
    inner join organizations on assignments.org_id = organizations.organization_id
    where
        staff_positions.is_teacher
        and assignments.start_date <= :as_of
        and (assignments.end_date is null or assignments.end_date > :as_of)
),

per_organization as (
    select
        teaching_posts.staff_id,
        teaching_posts.organization_id,
        max(case when teaching_posts.is_primary_job then 1 else 0 end) as teachers,
        sum(teaching_posts.rate) as fte
    from teaching_posts
    group by teaching_posts.staff_id, teaching_posts.organization_id
),

facts as (
    select
        per_organization.organization_id,
        staff.sex,
        staff.education_level,
        staff.qualification_category,
        staff.teaching_experience_years as experience,
        case when staff.has_pedagogical_training then 1 else 0 end as has_pedagogical_training,
        staff.age,
        per_organization.teachers,
        per_organization.fte
    from per_organization
    inner join staff_versions as staff on per_organization.staff_id = staff.staff_id
)
