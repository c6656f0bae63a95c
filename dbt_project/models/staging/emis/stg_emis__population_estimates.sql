-- Grain: one row per year x district x sex x single year of age (age on 1 January).
with source as (
    select * from {{ source('emis_raw', 'population') }}
),

latest_load as (
    select load_id from {{ source('emis_meta', 'latest_load') }}
),

final as (
    select
        source.year as population_year,
        source.district_code,
        source.sex,
        source.age,
        source.population as population_count,
        source.load_id
    from source
    inner join latest_load on source.load_id = latest_load.load_id
)

select * from final
