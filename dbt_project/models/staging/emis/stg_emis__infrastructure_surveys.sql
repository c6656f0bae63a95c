-- Grain: one row per organization x survey date.
{{ config(unique_key=['organization_id', 'survey_date']) }}
with source as (
    {{ current_rows('infrastructure', ['org_id', 'survey_date']) }}
),

final as (
    select
        source.org_id as organization_id,
        source.survey_date,
        source.buildings,
        source.building_condition,
        source.classrooms,
        source.heating,
        source.has_electricity,
        source.water_source,
        source.has_drinking_water,
        source.toilets,
        source.toilets_single_sex,
        source.toilets_usable,
        source.has_handwashing,
        source.has_internet,
        source.internet_mbps,
        source.computers_for_teaching,
        source.has_ramp,
        source.has_canteen,
        source.has_gym,
        source.library_books,
        source.updated_at,
        source.load_id
    from source
)

select * from final
