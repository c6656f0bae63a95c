-- Grain: one row per employee in the staff register (latest export); no personal data.
with source as (
    select * from {{ source('emis_raw', 'staff') }}
),

latest_load as (
    select load_id from {{ source('emis_meta', 'latest_load') }}
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
    inner join latest_load on source.load_id = latest_load.load_id
)

select * from final
