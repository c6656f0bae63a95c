-- Grain: one row per education organization
-- (current rows: the latest full export and the deltas after it).
{{ config(unique_key=['organization_id']) }}
with source as (
    {{ current_rows('organizations', ['org_id']) }}
),

final as (
    select
        source.org_id as organization_id,
        source.name_ru,
        source.name_ky,
        source.org_type as organization_type,
        source.ownership,
        source.district_code,
        source.locality,
        source.languages,
        source.status as organization_status,
        source.opened_date,
        source.closed_date,
        source.design_capacity,
        source.shifts,
        source.updated_at,
        source.load_id
    from source
)

select * from final
