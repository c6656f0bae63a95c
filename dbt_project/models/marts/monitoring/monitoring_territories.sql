-- Grain: one row per territory (district, oblast, national): the monitoring parts of its
-- organizations summed from their counts (not averaged from their percentages), the median
-- and 90th percentile entry lag over all its events, and how many of its organizations score
-- below 80.
with organizations as (
    select * from {{ ref('monitoring_organizations') }}
),

entry_lags as (
    select * from {{ ref('int_entry_lags') }}
),

lags as (
    select
        organizations.oblast_code,
        organizations.district_code,
        percentile_cont(0.5) within group (order by entry_lags.entry_lag_days)
            as entry_lag_median_days,
        percentile_cont(0.9) within group (order by entry_lags.entry_lag_days)
            as entry_lag_p90_days,
        grouping(organizations.oblast_code) as is_national,
        grouping(organizations.district_code) as is_above_district
    from entry_lags
    inner join organizations on entry_lags.organization_id = organizations.organization_id
    group by grouping sets (
        (organizations.oblast_code, organizations.district_code),
        (organizations.oblast_code),
        ()
    )
),

sums as (
    select
        organizations.oblast_code,
        organizations.district_code,
        grouping(organizations.oblast_code) as is_national,
        grouping(organizations.district_code) as is_above_district,
        count(*) as organizations,
        sum(case when organizations.score < 80 then 1 else 0 end) as organizations_below_80,
        avg(organizations.score) as mean_score,
        sum(organizations.fields_filled) as fields_filled,
        sum(organizations.fields_expected) as fields_expected,
        sum(organizations.registers_present) as registers_present,
        sum(organizations.registers_expected) as registers_expected,
        sum(organizations.events_within_7_days) as events_within_7_days,
        sum(organizations.events_recorded) as events_recorded,
        sum(organizations.class_days_marked) as class_days_marked,
        sum(organizations.class_days_marked_on_time) as class_days_marked_on_time,
        sum(organizations.class_days_expected) as class_days_expected,
        sum(organizations.records_blocked) as records_blocked,
        sum(organizations.records) as records
    from organizations
    group by grouping sets (
        (organizations.oblast_code, organizations.district_code),
        (organizations.oblast_code),
        ()
    )
),

final as (
    select
        case
            when sums.is_national = 1 then 'national'
            when sums.is_above_district = 1 then 'oblast'
            else 'district'
        end as geographic_level,
        case
            when sums.is_national = 1 then 'KG'
            when sums.is_above_district = 1 then sums.oblast_code
            else sums.district_code
        end as territory_code,
        cast(sums.organizations as bigint) as organizations,
        cast(sums.organizations_below_80 as bigint) as organizations_below_80,
        {{ rounded_score('sums.mean_score') }}
            as mean_score,
        {{ percent_of('sums.fields_filled', 'sums.fields_expected') }}
            as fields_filled_pct,
        {{ percent_of('sums.registers_present', 'sums.registers_expected') }}
            as registers_present_pct,
        {{ percent_of('sums.events_within_7_days', 'sums.events_recorded') }}
            as entered_within_7_days_pct,
        cast(lags.entry_lag_median_days as numeric(8, 1)) as entry_lag_median_days,
        cast(lags.entry_lag_p90_days as numeric(8, 1)) as entry_lag_p90_days,
        {{ percent_of('sums.class_days_marked', 'sums.class_days_expected') }}
            as attendance_reporting_rate,
        {{ percent_of('sums.class_days_marked_on_time', 'sums.class_days_expected') }}
            as attendance_on_time_rate,
        {{ percent_of('(sums.records - sums.records_blocked)', 'sums.records') }}
            as validity_pct,
        cast(sums.fields_filled as bigint) as fields_filled,
        cast(sums.fields_expected as bigint) as fields_expected,
        cast(sums.events_within_7_days as bigint) as events_within_7_days,
        cast(sums.events_recorded as bigint) as events_recorded,
        cast(sums.class_days_marked as bigint) as class_days_marked,
        cast(sums.class_days_expected as bigint) as class_days_expected,
        cast(sums.records_blocked as bigint) as records_blocked,
        cast(sums.records as bigint) as records
    from sums
    left join lags
        on
            sums.is_national = lags.is_national
            and sums.is_above_district = lags.is_above_district
            and coalesce(sums.oblast_code, 'KG') = coalesce(lags.oblast_code, 'KG')
            and coalesce(sums.district_code, 'KG') = coalesce(lags.district_code, 'KG')
)

select * from final
