-- Grain: one row per learner x class x subject x term mark.
with source as (
    select * from {{ source('emis_raw', 'grades') }}
),

latest_load as (
    select load_id from {{ source('emis_meta', 'latest_load') }}
),

final as (
    select
        source.student_id,
        source.class_id,
        source.academic_year,
        source.subject,
        source.term,
        source.mark,
        source.recorded_at,
        source.load_id
    from source
    inner join latest_load on source.load_id = latest_load.load_id
)

select * from final
