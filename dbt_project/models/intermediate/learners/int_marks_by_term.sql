-- Grain: one row per class x subject x quarter term x pupils' sex: how many quarter marks were
-- given and how many were failing (2 on the 2-5 scale). The figure is dated at the term's
-- end in the school calendar. Annual marks are left out: they would fall on the last
-- quarter's date and count the same pupils twice.
{{ config(pre_hook="{{ emis.hash_memory('256MB') }}") }}
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

counts as (
    -- Marks counted per class, subject, term and sex first: the class's attributes and the
    -- term's end are joined to those 1.5 million counts, not to the 16.5 million marks
    -- (PostgreSQL sorted every mark by eleven columns to group them).
    select
        marks.academic_year,
        marks.class_id,
        marks.subject,
        marks.term,
        students.sex,
        count(*) as marks_given,
        sum(case when marks.mark = 2 then 1 else 0 end) as failing_marks
    from marks
    inner join students on marks.student_id = students.student_id
    group by
        marks.academic_year,
        marks.class_id,
        marks.subject,
        marks.term,
        students.sex
),

final as (
    select
        counts.academic_year,
        counts.class_id,
        counts.subject,
        counts.term,
        classes.level,
        classes.grade,
        counts.sex,
        organizations.district_code,
        territories.oblast_code,
        organizations.locality,
        school_calendar.end_date as term_end_date,
        counts.marks_given,
        counts.failing_marks
    from counts
    inner join classes on counts.class_id = classes.class_id
    inner join organizations on classes.organization_id = organizations.organization_id
    inner join territories on organizations.district_code = territories.district_code
    inner join school_calendar
        on
            counts.academic_year = school_calendar.academic_year
            and counts.term = school_calendar.term
)

select * from final
