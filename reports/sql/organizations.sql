-- The form's organizations, one row each, with their design capacity (places).
-- Measures: organizations, design_capacity.
facts as (
    select
        organizations.organization_id,
        organizations.organization_type,
        organizations.sector,
        organizations.ownership,
        organizations.locality,
        organizations.org_language,
        organizations.org_shifts,
        organizations.district_code,
        organizations.oblast_code,
        1 as organizations,
        coalesce(organizations.design_capacity, 0) as design_capacity
    from organizations
)
