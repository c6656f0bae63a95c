-- Grain: one row per learner in the learner register
-- (current rows: the latest full export and the deltas after it); no personal data.
{{ config(unique_key=['student_id']) }}
with source as (
    {{ current_rows('students', ['student_id']) }}
),

final as (
    select
        source.student_id,
        source.has_pin,
        source.is_pin_format_valid,
        source.is_pin_sex_consistent,
        source.is_pin_birth_date_consistent,
        source.pin_pseudonym,
        source.has_last_name,
        source.has_first_name,
        source.has_patronymic,
        source.birth_date,
        source.sex,
        source.citizenship,
        source.nationality,
        source.has_birth_place,
        source.document_type,
        source.has_document_number,
        source.has_address,
        source.has_phone,
        source.disability,
        source.benefit,
        source.updated_at,
        source.load_id
    from source
)

select * from final
