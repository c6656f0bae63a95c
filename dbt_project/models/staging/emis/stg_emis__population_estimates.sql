-- Grain: one row per year x district x sex x single year of age (age on 1 January).
{{ config(unique_key=['population_year', 'district_code', 'sex', 'age']) }}
with source as (
    {{ current_rows('population', ['year', 'district_code', 'sex', 'age']) }}
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
)

select * from final
