-- Grain: one row per level and grade code as `observations` writes them (grades 1-11 as
-- text, `_T` the level's total, `_Z` no grade breakdown, `_U` grade unknown): its ISCED 2011
-- level and programme.
-- International users join it to observations on (level, grade) and read figures by ISCED
-- level; it holds no counts, so it needs no disclosure control. Mapping and sources: seed
-- isced_levels.
with isced_levels as (
    select * from {{ ref('isced_levels') }}
),

grade_numbers as (
    {% for grade in range(1, 12) %}
        {% if not loop.first %}
            union all
        {% endif %}
        select {{ grade }} as grade_number
    {% endfor %}
),

by_grade as (
    select
        isced_levels.level,
        cast(grade_numbers.grade_number as {{ dbt.type_string() }}) as grade,
        isced_levels.isced_level,
        isced_levels.isced_programme,
        isced_levels.name_en as programme_name_en,
        isced_levels.name_ru as programme_name_ru,
        isced_levels.name_ky as programme_name_ky,
        isced_levels.note
    from isced_levels
    inner join grade_numbers
        on grade_numbers.grade_number between isced_levels.first_grade and isced_levels.last_grade
),

level_codes as (
    select '_T' as grade
    union all
    select '_Z' as grade
    union all
    -- a learner whose grade or age group the register leaves empty is still in the level
    select '_U' as grade
),

-- A level's total: its ISCED level (one per level, tested); its programme and name only
-- where all its grades share one programme (preschool spans ISCED 01 and 02).
by_level as (
    select
        isced_levels.level,
        level_codes.grade,
        max(isced_levels.isced_level) as isced_level,
        case
            when count(distinct isced_levels.isced_programme) = 1
                then max(isced_levels.isced_programme)
        end as isced_programme,
        case when count(*) = 1 then max(isced_levels.name_en) end as programme_name_en,
        case when count(*) = 1 then max(isced_levels.name_ru) end as programme_name_ru,
        case when count(*) = 1 then max(isced_levels.name_ky) end as programme_name_ky,
        max(isced_levels.note) as note
    from isced_levels
    cross join level_codes
    group by isced_levels.level, level_codes.grade
)

select * from by_grade
union all
select * from by_level
