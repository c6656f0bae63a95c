-- Grain: one row per class x subject x quarter term x pupils' sex: how many quarter marks were
-- given and how many were failing (2 on the 2-5 scale). The figure is dated at the term's
-- end in the school calendar. Annual marks are left out: they would fall on the last
-- quarter's date and count the same pupils twice.
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

final as (
    select
        marks.academic_year,
        marks.class_id,
        marks.subject,
        marks.term,
        classes.level,
        classes.grade,
        students.sex,
        organizations.district_code,
        territories.oblast_code,
        organizations.locality,
        school_calendar.end_date as term_end_date,
        count(*) as marks_given,
        sum(case when marks.mark = 2 then 1 else 0 end) as failing_marks
    from marks
    inner join students on marks.student_id = students.student_id
    inner join classes on marks.class_id = classes.class_id
    inner join organizations on classes.organization_id = organizations.organization_id
    inner join territories on organizations.district_code = territories.district_code
    inner join school_calendar
        on
            marks.academic_year = school_calendar.academic_year
            and marks.term = school_calendar.term
    group by
        marks.academic_year,
        marks.class_id,
        marks.subject,
        marks.term,
        classes.level,
        classes.grade,
        students.sex,
        organizations.district_code,
        territories.oblast_code,
        organizations.locality,
        school_calendar.end_date
)

select * from final
