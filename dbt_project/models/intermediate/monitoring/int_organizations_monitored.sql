-- Grain: one row per organization operating on the latest export's snapshot date (opened on
-- or before it, not closed by then): the organizations district offices answer for.
with organizations as (
    select * from {{ ref('stg_emis__organizations') }}
),

organization_types as (
    select * from {{ ref('organization_types') }}
),

territories as (
    select * from {{ ref('territories') }}
),

latest_export as (
    select * from {{ ref('int_latest_export') }}
),

final as (
    select
        organizations.organization_id,
        -- An organization's official name is public (not personal data): heads know schools
        -- by name.
        organizations.name_ru as organization_name_ru,
        organizations.name_ky as organization_name_ky,
        organizations.district_code,
        territories.oblast_code,
        organizations.organization_type,
        organization_types.sector,
        organization_types.is_general_school,
        organizations.opened_date,
        organizations.closed_date,
        organizations.updated_at,
        latest_export.academic_year,
        latest_export.snapshot_date
    from organizations
    cross join latest_export
    inner join organization_types
        on organizations.organization_type = organization_types.organization_type
    inner join territories on organizations.district_code = territories.district_code
    where {{ is_operating_on('organizations', 'latest_export.snapshot_date') }}
)

select * from final
