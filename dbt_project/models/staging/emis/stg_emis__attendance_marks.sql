-- Grain: one row per class x school day on which attendance was taken.
with source as (
    select * from {{ source('emis_raw', 'attendance_marks') }}
),

latest_load as (
    select load_id from {{ source('emis_meta', 'latest_load') }}
),

final as (
    select
        source.class_id,
        source.date as attendance_date,
        source.marked_at,
        source.load_id
    from source
    inner join latest_load on source.load_id = latest_load.load_id
)

select * from final
