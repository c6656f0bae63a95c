-- Grain: one row per organization operating on the latest export's snapshot date: how
-- complete, timely, attendance-reporting, valid and fresh its EMIS data are, each part with
-- its counts beside it, a composite score (the mean of the parts it has) and its rank in the
-- district. District heads read it to see which school is behind, and on what.
with organizations as (
    select * from {{ ref('int_organizations_monitored') }}
),

register_records as (
    select * from {{ ref('int_register_records') }}
),

entry_lags as (
    select * from {{ ref('int_entry_lags') }}
),

attendance_reporting as (
    select * from {{ ref('int_attendance_reporting_by_class') }}
),

infrastructure_surveys as (
    select * from {{ ref('stg_emis__infrastructure_surveys') }}
),

dq_issues as (
    select * from {{ source('emis_quality', 'dq_issues') }}
),

latest_export as (
    select * from {{ ref('int_latest_export') }}
),

records as (
    select
        register_records.organization_id,
        cast(sum(register_records.records) as bigint) as records,
        cast(sum(register_records.fields_expected) as bigint) as fields_expected,
        cast(sum(register_records.fields_filled) as bigint) as fields_filled,
        sum(
            case
                when register_records.register = 'enrolments' then register_records.records
                else 0
            end
        ) as enrolments_records,
        sum(
            case
                when register_records.register = 'staff_assignments' then register_records.records
                else 0
            end
        ) as staff_assignments_records,
        sum(
            case
                when register_records.register = 'classes' then register_records.records
                else 0
            end
        ) as classes_records,
        max(register_records.last_changed_at) as last_changed_at
    from register_records
    group by register_records.organization_id
),

surveys as (
    -- This school year's infrastructure survey (from 1 September to the snapshot date).
    select
        infrastructure_surveys.organization_id,
        count(*) as infrastructure_records
    from infrastructure_surveys
    cross join latest_export
    where
        infrastructure_surveys.survey_date
        >= make_date(cast(left(latest_export.academic_year, 4) as integer), 9, 1)
        and infrastructure_surveys.survey_date <= latest_export.snapshot_date
    group by infrastructure_surveys.organization_id
),

timeliness as (
    select
        entry_lags.organization_id,
        count(*) as events_recorded,
        cast(sum(case when entry_lags.entry_lag_days <= 7 then 1 else 0 end) as bigint)
            as events_within_7_days,
        percentile_cont(0.5) within group (order by entry_lags.entry_lag_days)
            as entry_lag_median_days,
        percentile_cont(0.9) within group (order by entry_lags.entry_lag_days)
            as entry_lag_p90_days
    from entry_lags
    group by entry_lags.organization_id
),

attendance as (
    select
        attendance_reporting.organization_id,
        cast(sum(attendance_reporting.class_days_expected) as bigint) as class_days_expected,
        cast(sum(attendance_reporting.class_days_marked) as bigint) as class_days_marked,
        cast(sum(attendance_reporting.class_days_marked_on_time) as bigint)
            as class_days_marked_on_time
    from attendance_reporting
    group by attendance_reporting.organization_id
),

blocking_issues as (
    select
        dq_issues.org_id as organization_id,
        count(distinct dq_issues.register || ':' || dq_issues.record_id) as records_blocked
    from dq_issues
    inner join latest_export on dq_issues.load_id = latest_export.load_id
    where dq_issues.severity = 'blocking'
    group by dq_issues.org_id
),

parts as (
    select
        organizations.organization_id,
        organizations.organization_name_ru,
        organizations.organization_name_ky,
        organizations.district_code,
        organizations.oblast_code,
        organizations.organization_type,
        coalesce(records.records, 0) as records,
        coalesce(records.fields_expected, 0) as fields_expected,
        coalesce(records.fields_filled, 0) as fields_filled,
        -- Registers expected of every organization: movement events and staff assignments;
        -- classes (groups) of preschools, schools, vocational lyceums and colleges; this
        -- year's infrastructure survey of preschools and schools.
        1 as is_enrolments_expected,
        case when coalesce(records.enrolments_records, 0) > 0 then 1 else 0 end
            as has_enrolments,
        1 as is_staff_assignments_expected,
        case when coalesce(records.staff_assignments_records, 0) > 0 then 1 else 0 end
            as has_staff_assignments,
        case
            when organizations.sector in ('preschool', 'school', 'vocational', 'college') then 1
            else 0
        end as is_classes_expected,
        case when coalesce(records.classes_records, 0) > 0 then 1 else 0 end as has_classes,
        case
            when organizations.sector in ('preschool', 'school') then 1 else 0
        end as is_infrastructure_expected,
        case when coalesce(surveys.infrastructure_records, 0) > 0 then 1 else 0 end
            as has_infrastructure,
        coalesce(timeliness.events_recorded, 0) as events_recorded,
        coalesce(timeliness.events_within_7_days, 0) as events_within_7_days,
        timeliness.entry_lag_median_days,
        timeliness.entry_lag_p90_days,
        coalesce(attendance.class_days_expected, 0) as class_days_expected,
        coalesce(attendance.class_days_marked, 0) as class_days_marked,
        coalesce(attendance.class_days_marked_on_time, 0) as class_days_marked_on_time,
        least(coalesce(blocking_issues.records_blocked, 0), coalesce(records.records, 0))
            as records_blocked,
        {{ days_between('records.last_changed_at', 'organizations.snapshot_date') }}
            as days_since_update,
        organizations.snapshot_date
    from organizations
    left join records on organizations.organization_id = records.organization_id
    left join surveys on organizations.organization_id = surveys.organization_id
    left join timeliness on organizations.organization_id = timeliness.organization_id
    left join attendance on organizations.organization_id = attendance.organization_id
    left join blocking_issues on organizations.organization_id = blocking_issues.organization_id
),

rates as (
    select
        parts.*,
        parts.is_enrolments_expected
        + parts.is_staff_assignments_expected
        + parts.is_classes_expected
        + parts.is_infrastructure_expected as registers_expected,
        parts.is_enrolments_expected * parts.has_enrolments
        + parts.is_staff_assignments_expected * parts.has_staff_assignments
        + parts.is_classes_expected * parts.has_classes
        + parts.is_infrastructure_expected * parts.has_infrastructure as registers_present,
        100.0 * parts.fields_filled / nullif(parts.fields_expected, 0) as fields_filled_pct,
        100.0 * parts.events_within_7_days / nullif(parts.events_recorded, 0)
            as entered_within_7_days_pct,
        100.0 * parts.class_days_marked / nullif(parts.class_days_expected, 0)
            as attendance_reporting_rate,
        100.0 * parts.class_days_marked_on_time / nullif(parts.class_days_expected, 0)
            as attendance_on_time_rate,
        100.0 * (parts.records - parts.records_blocked) / nullif(parts.records, 0)
            as validity_pct,
        -- Fresh within 30 days of the snapshot, stale (0) after a year, linear between.
        case
            when parts.days_since_update is null then 0
            when parts.days_since_update <= 30 then 100.0
            when parts.days_since_update >= 365 then 0.0
            else 100.0 * (365 - parts.days_since_update) / (365 - 30)
        end as freshness_score
    from parts
),

completeness as (
    select
        rates.*,
        100.0 * rates.registers_present / nullif(rates.registers_expected, 0)
            as registers_present_pct,
        (
            coalesce(rates.fields_filled_pct, 0)
            + 100.0 * rates.registers_present / nullif(rates.registers_expected, 0)
        ) / 2 as completeness_pct
    from rates
),

scored as (
    -- The composite score is the mean of the parts an organization has (one without classes
    -- has no attendance part), each 0-100.
    select
        completeness.*,
        (
            coalesce(completeness.completeness_pct, 0)
            + coalesce(completeness.entered_within_7_days_pct, 0)
            + coalesce(completeness.attendance_reporting_rate, 0)
            + coalesce(completeness.validity_pct, 0)
            + completeness.freshness_score
        ) / (
            1
            + case when completeness.completeness_pct is null then 0 else 1 end
            + case when completeness.entered_within_7_days_pct is null then 0 else 1 end
            + case when completeness.attendance_reporting_rate is null then 0 else 1 end
            + case when completeness.validity_pct is null then 0 else 1 end
        ) as score
    from completeness
),

final as (
    select
        scored.organization_id,
        scored.organization_name_ru,
        scored.organization_name_ky,
        scored.district_code,
        scored.oblast_code,
        scored.organization_type,
        {{ rounded_score('scored.score') }} as score,
        rank() over (partition by scored.district_code order by scored.score desc)
            as rank_in_district,
        {{ rounded_score('scored.completeness_pct') }}
            as completeness_pct,
        {{ rounded_score('scored.fields_filled_pct') }}
            as fields_filled_pct,
        scored.fields_filled,
        scored.fields_expected,
        scored.registers_present,
        scored.registers_expected,
        scored.has_enrolments,
        scored.has_staff_assignments,
        scored.has_classes,
        scored.has_infrastructure,
        {{ rounded_score('scored.entered_within_7_days_pct') }}
            as entered_within_7_days_pct,
        scored.events_within_7_days,
        scored.events_recorded,
        cast(scored.entry_lag_median_days as numeric(8, 1)) as entry_lag_median_days,
        cast(scored.entry_lag_p90_days as numeric(8, 1)) as entry_lag_p90_days,
        {{ rounded_score('scored.attendance_reporting_rate') }}
            as attendance_reporting_rate,
        {{ rounded_score('scored.attendance_on_time_rate') }}
            as attendance_on_time_rate,
        scored.class_days_marked,
        scored.class_days_marked_on_time,
        scored.class_days_expected,
        {{ rounded_score('scored.validity_pct') }} as validity_pct,
        scored.records_blocked,
        scored.records,
        {{ rounded_score('scored.freshness_score') }}
            as freshness_score,
        scored.days_since_update,
        scored.snapshot_date
    from scored
)

select * from final
