-- Grain: one row per learner in the learner register (latest export); no personal data.
with source as (
    select * from {{ source('emis_raw', 'students') }}
),

latest_load as (
    select load_id from {{ source('emis_meta', 'latest_load') }}
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
    inner join latest_load on source.load_id = latest_load.load_id
)

select * from final
