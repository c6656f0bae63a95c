-- Grain: one row per academic year x learner enrolled on the census date, with the attributes
-- every breakdown of the learner indicators needs (territory, organization, class, person).
with learner_status as (
    select * from {{ ref('int_learner_status_on_census_date') }}
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
    left join classes on learner_status.class_id = classes.class_id
)

select * from final
