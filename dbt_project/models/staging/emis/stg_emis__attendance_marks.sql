-- Grain: one row per class x school day on which attendance was taken.
{{ config(unique_key=['class_id', 'attendance_date']) }}
with source as (
    {{ current_rows('attendance_marks', ['class_id', 'date']) }}
),

final as (
    select
        source.class_id,
        source.date as attendance_date,
        source.marked_at,
        source.load_id
    from source
)

select * from final
