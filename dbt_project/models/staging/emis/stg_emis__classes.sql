-- Grain: one row per class or group per academic year
-- (current rows: the latest full export and the deltas after it).
{{ config(unique_key=['class_id']) }}
with source as (
    {{ current_rows('classes', ['class_id']) }}
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
)

select * from final
