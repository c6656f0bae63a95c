-- Grain: one row per learner x class x subject x term mark.
{{ config(unique_key=['student_id', 'class_id', 'subject', 'term']) }}
with source as (
    {{ current_rows('grades', ['student_id', 'class_id', 'subject', 'term']) }}
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
)

select * from final
