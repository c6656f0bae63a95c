-- Grain: one row per movement event of a learner
-- (current rows: the latest full export and the deltas after it).
{{ config(unique_key=['event_id']) }}
with source as (
    {{ current_rows('enrolments', ['event_id']) }}
),

final as (
    select
        source.event_id,
        source.student_id,
        source.org_id as organization_id,
        source.event_type,
        source.event_date,
        source.academic_year,
        source.level,
        source.grade,
        source.class_id,
        source.study_form,
        source.reason as exit_reason,
        source.recorded_at,
        source.load_id
    from source
)

select * from final
