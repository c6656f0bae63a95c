-- Every level and grade code of the observations has its ISCED level (seed isced_levels,
-- mart isced_mapping), and each national level maps to exactly one ISCED level. Rows
-- returned are the codes left out or mapped twice.
select distinct
    observations.level,
    observations.grade,
    'not mapped' as problem
from {{ ref('observations') }} as observations
left join {{ ref('isced_mapping') }} as isced_mapping
    on observations.level = isced_mapping.level and observations.grade = isced_mapping.grade
where observations.level not in ('_T', '_Z') and isced_mapping.level is null

union all

select
    isced_levels.level,
    cast(count(distinct isced_levels.isced_level) as {{ dbt.type_string() }}) as grade,
    'a level in several ISCED levels' as problem
from {{ ref('isced_levels') }} as isced_levels
group by isced_levels.level
having count(distinct isced_levels.isced_level) > 1
