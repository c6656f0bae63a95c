-- Grain: one row per education organization (latest export).
with source as (
    select * from {{ source('emis_raw', 'organizations') }}
),

latest_load as (
    select load_id from {{ source('emis_meta', 'latest_load') }}
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
    inner join latest_load on source.load_id = latest_load.load_id
)

select * from final
