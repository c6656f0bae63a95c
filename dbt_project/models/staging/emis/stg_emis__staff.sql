-- Grain: one row per employee in the staff register
-- (current rows: the latest full export and the deltas after it); no personal data.
{{ config(unique_key=['staff_id']) }}
with source as (
    {{ current_rows('staff', ['staff_id']) }}
),

final as (
    select
        source.staff_id,
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
        source.education_level,
        source.has_pedagogical_training,
        source.specialty,
        source.qualification_category,
        source.academic_degree,
        source.academic_title,
        source.awards,
        source.last_training_date,
        source.teaching_experience_years,
        source.has_phone,
        source.has_address,
        source.updated_at,
        source.load_id
    from source
)

select * from final
