-- Grain: one row per academic year x organization operating on that year's census date
-- (opened on or before it, and active or closed after it).
with organizations as (
    select * from {{ ref('stg_emis__organizations') }}
),

organization_types as (
    select * from {{ ref('organization_types') }}
),

reference_dates as (
    select * from {{ ref('int_reference_dates') }}
),

territories as (
    select * from {{ ref('territories') }}
),

final as (
    select
        reference_dates.academic_year,
        reference_dates.start_year,
        organizations.organization_id,
        organizations.district_code,
        territories.oblast_code,
        organizations.organization_type,
        organization_types.sector,
        organization_types.is_general_school,
        organizations.ownership,
        organizations.locality,
        organizations.languages,
        -- Statistics count a school teaching in several languages as "mixed" (смешанная).
        case
            when organizations.languages like '%;%' then 'mixed'
            else organizations.languages
        end as language_of_instruction,
        organizations.shifts,
        organizations.design_capacity,
        reference_dates.census_date
    from organizations
    cross join reference_dates
    inner join organization_types
        on organizations.organization_type = organization_types.organization_type
    inner join territories on organizations.district_code = territories.district_code
    where {{ is_operating_on('organizations', 'reference_dates.census_date') }}
)

select * from final
