-- Posts held at the form's organizations on the reporting date. Each person is counted once
-- per organization, under their main post there (the primary job first, then the higher
-- category); a person whose job there is not their primary one is an external part-timer.
-- Measures: staff (persons, under their main post), fte (rates of every post).
posts as (
    select
        assignments.org_id as organization_id,
        assignments.staff_id,
        assignments.position,
        staff_positions.staff_category,
        assignments.is_primary_job,
        assignments.rate,
        row_number() over (
            partition by assignments.org_id, assignments.staff_id
            order by
                case when assignments.is_primary_job then 0 else 1 end,
                case staff_positions.staff_category
                    when 'administrative' then 1
                    when 'teaching' then 2
                    when 'teaching_support' then 3
                    else 4
                end,
                assignments.assignment_id
        ) as post_rank,
        max(case when assignments.is_primary_job then 1 else 0 end) over (
            partition by assignments.org_id, assignments.staff_id
        ) as has_primary_job_here
    from assignment_versions as assignments
    inner join reference.staff_positions as staff_positions
        on assignments.position = staff_positions.position
    inner join organizations on assignments.org_id = organizations.organization_id
    where
        assignments.start_date <= :as_of
        and (assignments.end_date is null or assignments.end_date > :as_of)
),

facts as (
    select
        posts.organization_id,
        posts.staff_category,
        posts.position,
        staff.sex,
        staff.education_level,
        1 - posts.has_primary_job_here as is_external,
        case when posts.post_rank = 1 then 1 else 0 end as staff,
        posts.rate as fte
    from posts
    inner join staff_versions as staff on posts.staff_id = staff.staff_id
)
