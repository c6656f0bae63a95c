-- Grain: one row per academic year x learner enrolled on the census date, with the attributes
-- every breakdown of the learner indicators needs (territory, organization, class, person).
-- Incremental: a delta recomputes only the learners it touches (their records, events,
-- organizations or classes), all their rows deleted first.
{{ config(
    materialized='incremental',
    incremental_strategy='append',
    pre_hook="{{ emis.delete_learners(
        emis.learners_touched_since_last_build(ref('int_learner_status_on_census_date'))
    ) }}",
) }}
with learner_status as (
    select * from {{ ref('int_learner_status_on_census_date') }}
    {% if is_incremental() -%}
        where student_id in (
            {{ learners_touched_since_last_build(ref('int_learner_status_on_census_date')) }}
        )
    {%- endif %}
),

students as (
    select * from {{ ref('stg_emis__students') }}
),

organizations as (
    select * from {{ ref('stg_emis__organizations') }}
),

classes as (
    select * from {{ ref('stg_emis__classes') }}
),

territories as (
    select * from {{ ref('territories') }}
),

organization_types as (
    select * from {{ ref('organization_types') }}
),

final as (
    select
        learner_status.academic_year,
        learner_status.student_id,
        learner_status.organization_id,
        learner_status.class_id,
        organizations.district_code,
        territories.oblast_code,
        organizations.organization_type,
        organizations.ownership,
        organizations.locality,
        learner_status.level,
        learner_status.grade,
        students.sex,
        students.disability,
        classes.language_of_instruction,
        classes.shift,
        classes.class_type,
        -- Where a learner with special needs is taught (UNESCO: special school, special
        -- class within a mainstream school, inclusive class, or mainstream without special
        -- arrangement). A school pupil without a class is unknown (_U).
        case
            when organization_types.is_special_school then 'special_school'
            when classes.class_type = 'correctional' then 'correctional_class'
            when classes.class_type = 'inclusive' then 'inclusive_class'
            when
                classes.class_type is not null
                or learner_status.level not in ('primary', 'basic', 'secondary')
                then 'regular'
        end as setting,
        learner_status.last_event_type,
        {{ age_in_years('students.birth_date', 'learner_status.census_date') }}
            as age_on_census_date,
        {{ age_in_years('students.birth_date', 'learner_status.january_first_date') }}
            as age_on_january_first,
        learner_status.start_year,
        learner_status.census_date
    from learner_status
    inner join students on learner_status.student_id = students.student_id
    inner join organizations on learner_status.organization_id = organizations.organization_id
    inner join territories on organizations.district_code = territories.district_code
    inner join organization_types
        on organizations.organization_type = organization_types.organization_type
    left join classes on learner_status.class_id = classes.class_id
)

select * from final
