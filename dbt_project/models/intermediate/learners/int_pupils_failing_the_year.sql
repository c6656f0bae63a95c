-- Grain: one row per pupil x class x subject with an annual mark (term = year): whether it
-- fails (2 on the 2-5 scale), with a flag on one row per pupil and class (is_first_subject)
-- saying whether any of the pupil's annual marks fails. Year-end results (итоги года), as
-- given before re-sits; dated at the end of the school year (the last quarter's end).
with marks as (
    select * from {{ ref('stg_emis__marks') }}
),

students as (
    select * from {{ ref('stg_emis__students') }}
),

classes as (
    select * from {{ ref('stg_emis__classes') }}
),

organizations as (
    select * from {{ ref('stg_emis__organizations') }}
),

territories as (
    select * from {{ ref('territories') }}
),

school_calendar as (
    select * from {{ ref('school_calendar') }}
),

year_ends as (
    select
        school_calendar.academic_year,
        max(school_calendar.end_date) as year_end_date
    from school_calendar
    group by school_calendar.academic_year
),

annual_marks as (
    select
        marks.academic_year,
        marks.student_id,
        marks.class_id,
        marks.subject,
        case when marks.mark = 2 then 1 else 0 end as is_failing,
        max(case when marks.mark = 2 then 1 else 0 end) over (
            partition by marks.academic_year, marks.student_id, marks.class_id
        ) as fails_the_year,
        row_number() over (
            partition by marks.academic_year, marks.student_id, marks.class_id
            order by marks.subject
        ) as subject_order
    from marks
    where marks.term = 'year'
),

final as (
    select
        annual_marks.academic_year,
        annual_marks.student_id,
        annual_marks.class_id,
        annual_marks.subject,
        classes.level,
        classes.grade,
        students.sex,
        organizations.district_code,
        territories.oblast_code,
        organizations.locality,
        annual_marks.is_failing,
        annual_marks.fails_the_year,
        case when annual_marks.subject_order = 1 then 1 else 0 end as is_first_subject,
        year_ends.year_end_date
    from annual_marks
    inner join students on annual_marks.student_id = students.student_id
    inner join classes on annual_marks.class_id = classes.class_id
    inner join organizations on classes.organization_id = organizations.organization_id
    inner join territories on organizations.district_code = territories.district_code
    inner join year_ends on annual_marks.academic_year = year_ends.academic_year
)

select * from final
