-- Grain: one row per learner x school day absent or late.
{{ config(unique_key=['student_id', 'absence_date']) }}
with source as (
    {{ current_rows('absences', ['student_id', 'date']) }}
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
)

select * from final
