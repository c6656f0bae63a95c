-- Grain: one row per learner x school day absent or late.
with source as (
    select * from {{ source('emis_raw', 'absences') }}
),

latest_load as (
    select load_id from {{ source('emis_meta', 'latest_load') }}
),

final as (
    select
        source.student_id,
        source.class_id,
        source.date as absence_date,
        source.absence_type,
        source.recorded_at,
        source.load_id
    from source
    inner join latest_load on source.load_id = latest_load.load_id
)

select * from final
