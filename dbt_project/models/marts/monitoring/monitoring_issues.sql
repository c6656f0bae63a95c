-- Grain: one row per record of the latest export that fails a quality rule (emis check),
-- with its organization's district and oblast: the list a district office sends each school
-- to fix. EMIS record ids only; no names.
with dq_issues as (
    select * from {{ source('emis_quality', 'dq_issues') }}
),

latest_export as (
    select * from {{ ref('int_latest_export') }}
),

organizations as (
    select * from {{ ref('stg_emis__organizations') }}
),

territories as (
    select * from {{ ref('territories') }}
),

final as (
    select
        dq_issues.org_id as organization_id,
        organizations.name_ru as organization_name_ru,
        dq_issues.register,
        dq_issues.record_id,
        dq_issues.rule as rule_id,
        organizations.district_code,
        territories.oblast_code,
        dq_issues.severity,
        dq_issues.detected_at
    from dq_issues
    inner join latest_export on dq_issues.load_id = latest_export.load_id
    left join organizations on dq_issues.org_id = organizations.organization_id
    left join territories on organizations.district_code = territories.district_code
)

select * from final
