-- Grain: one row per employment of an employee in a position at an organization.
{{ config(unique_key=['assignment_id']) }}
with source as (
    {{ current_rows('staff_assignments', ['assignment_id']) }}
),

final as (
    select
        source.assignment_id,
        source.staff_id,
        source.org_id as organization_id,
        source.position,
        source.staff_category,
        source.rate as fte_rate,
        source.start_date,
        source.end_date,
        source.is_primary_job,
        source.recorded_at,
        source.load_id
    from source
)

select * from final
