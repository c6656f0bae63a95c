-- Grain: one row per organization x register of the latest export: how many records the
-- organization answers for there (the organization itself, its learners by their latest
-- movement event, this year's movement events, its staff by their current assignments, its
-- current assignments, this year's classes), how many of the register's monitored fields
-- they should have filled and have filled, and when one of them last changed in the EMIS.
-- Monitored fields are those the contract leaves optional but the statistics need; required
-- fields cannot be missing here, ingestion quarantines such rows.
-- Counted here, per organization, rather than kept record by record: the one mart that reads
-- it sums per organization, and writing 4.9 million national record rows each day took
-- longer than counting them (DuckDB 3.4 s against 2.0 s; on PostgreSQL 22 s).
{{ config(materialized='table') }}
{% set monitored_fields = {
    'organizations': ['design_capacity', 'shifts', 'opened_date', 'name_ky'],
    'students': ['has_pin', 'nationality', 'benefit', 'has_address', 'has_birth_place'],
    'enrolments': ['study_form'],
    'staff': ['has_pin', 'nationality', 'has_pedagogical_training', 'specialty',
              'qualification_category', 'last_training_date', 'teaching_experience_years'],
    'staff_assignments': ['staff_category', 'fte_rate'],
    'classes': ['class_type', 'homeroom_staff_id', 'shift', 'language_of_instruction'],
} %}
with organizations as (
    select * from {{ ref('stg_emis__organizations') }}
),

students as (
    select * from {{ ref('stg_emis__students') }}
),

enrolment_events as (
    select * from {{ ref('stg_emis__enrolment_events') }}
),

staff as (
    select * from {{ ref('stg_emis__staff') }}
),

staff_assignments as (
    select * from {{ ref('stg_emis__staff_assignments') }}
),

classes as (
    select * from {{ ref('stg_emis__classes') }}
),

latest_export as (
    select * from {{ ref('int_latest_export') }}
),

learner_states as (
    -- The organization a learner's record belongs to: where they are on the snapshot date.
    select * from {{ ref('int_learner_state_on_snapshot_date') }}
),

current_assignments as (
    select staff_assignments.*
    from staff_assignments
    cross join latest_export
    where
        staff_assignments.start_date <= latest_export.snapshot_date
        and (
            staff_assignments.end_date is null
            or staff_assignments.end_date > latest_export.snapshot_date
        )
),

staff_organizations as (
    select distinct
        current_assignments.staff_id,
        current_assignments.organization_id
    from current_assignments
),

records as (
    select
        organizations.organization_id,
        'organizations' as register,
        organizations.organization_id as record_id,
        {{ monitored_fields['organizations'] | length }} as fields_expected,
        {{ count_filled(monitored_fields['organizations'], 'organizations') }} as fields_filled,
        organizations.updated_at as changed_at
    from organizations

    union all

    select
        learner_states.organization_id,
        'students' as register,
        students.student_id as record_id,
        {{ monitored_fields['students'] | length }} as fields_expected,
        {{ count_filled(monitored_fields['students'], 'students') }} as fields_filled,
        students.updated_at as changed_at
    from students
    inner join learner_states
        on students.student_id = learner_states.student_id

    union all

    select
        enrolment_events.organization_id,
        'enrolments' as register,
        enrolment_events.event_id as record_id,
        -- a pupil's event at a school level must also name the class
        {{ monitored_fields['enrolments'] | length }}
        + case
            when enrolment_events.level in ('primary', 'basic', 'secondary') then 1 else 0
        end as fields_expected,
        {{ count_filled(monitored_fields['enrolments'], 'enrolment_events') }}
        + case
            when
                enrolment_events.level in ('primary', 'basic', 'secondary')
                and enrolment_events.class_id is not null
                then 1
            else 0
        end as fields_filled,
        enrolment_events.recorded_at as changed_at
    from enrolment_events
    inner join latest_export on enrolment_events.academic_year = latest_export.academic_year

    union all

    select
        staff_organizations.organization_id,
        'staff' as register,
        staff.staff_id as record_id,
        {{ monitored_fields['staff'] | length }} as fields_expected,
        {{ count_filled(monitored_fields['staff'], 'staff') }} as fields_filled,
        staff.updated_at as changed_at
    from staff
    inner join staff_organizations on staff.staff_id = staff_organizations.staff_id

    union all

    select
        current_assignments.organization_id,
        'staff_assignments' as register,
        current_assignments.assignment_id as record_id,
        {{ monitored_fields['staff_assignments'] | length }} as fields_expected,
        {{ count_filled(monitored_fields['staff_assignments'], 'current_assignments') }}
            as fields_filled,
        current_assignments.recorded_at as changed_at
    from current_assignments

    union all

    select
        classes.organization_id,
        'classes' as register,
        classes.class_id as record_id,
        {{ monitored_fields['classes'] | length }} as fields_expected,
        {{ count_filled(monitored_fields['classes'], 'classes') }} as fields_filled,
        classes.updated_at as changed_at
    from classes
    inner join latest_export on classes.academic_year = latest_export.academic_year
),

final as (
    select
        organization_id,
        register,
        count(*) as records,
        cast(sum(fields_expected) as bigint) as fields_expected,
        cast(sum(fields_filled) as bigint) as fields_filled,
        max(changed_at) as last_changed_at
    from records
    group by organization_id, register
)

select * from final
