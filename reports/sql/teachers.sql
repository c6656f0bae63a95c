-- Persons holding a teaching post on the reporting date, as the teachers indicator counts
-- them (dbt: int_teachers_on_census_date, macro teacher_placement_order; raw SQL cannot call
-- the macro, so the order is written out here): each person once, at their primary teaching
-- post, or, when none of their teaching posts is primary, at the teaching post with the
-- largest rate (ties: earliest start, then assignment id). The post is chosen among all
-- operating organizations, so a teacher placed outside the form's scope is not counted in
-- it. FTE sums the rates of the teaching posts at each organization. Measures: teachers, fte.
teaching_posts as (
    select
        assignments.staff_id,
        assignments.org_id as organization_id,
        assignments.rate,
        row_number() over (
            partition by assignments.staff_id
            order by
                case when assignments.is_primary_job then 0 else 1 end,
                assignments.rate desc,
                assignments.start_date,
                assignments.assignment_id
        ) as placement_rank
    from assignment_versions as assignments
    inner join reference.staff_positions as staff_positions
        on assignments.position = staff_positions.position
    inner join organization_versions as employers on assignments.org_id = employers.org_id
    where
        staff_positions.is_teacher
        and assignments.start_date <= :as_of
        and (assignments.end_date is null or assignments.end_date > :as_of)
        and (employers.opened_date is null or employers.opened_date <= :as_of)
        and (employers.status = 'active' or employers.closed_date > :as_of)
),

per_organization as (
    select
        teaching_posts.staff_id,
        teaching_posts.organization_id,
        max(case when teaching_posts.placement_rank = 1 then 1 else 0 end) as teachers,
        sum(teaching_posts.rate) as fte
    from teaching_posts
    inner join organizations on teaching_posts.organization_id = organizations.organization_id
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
