-- Grain: one row per movement event of a learner (latest export).
with source as (
    select * from {{ source('emis_raw', 'enrolments') }}
),

latest_load as (
    select load_id from {{ source('emis_meta', 'latest_load') }}
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
    inner join latest_load on source.load_id = latest_load.load_id
)

select * from final
