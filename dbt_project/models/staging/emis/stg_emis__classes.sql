-- Grain: one row per class or group per academic year (latest export).
with source as (
    select * from {{ source('emis_raw', 'classes') }}
),

latest_load as (
    select load_id from {{ source('emis_meta', 'latest_load') }}
),

final as (
    select
        source.class_id,
        source.org_id as organization_id,
        source.academic_year,
        source.level,
        source.grade,
        source.letter as class_letter,
        source.shift,
        source.language as language_of_instruction,
        source.class_type,
        source.homeroom_staff_id,
        source.updated_at,
        source.load_id
    from source
    inner join latest_load on source.load_id = latest_load.load_id
)

select * from final
