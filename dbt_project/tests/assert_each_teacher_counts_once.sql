-- A person holding a teaching post on the census date is one head, wherever they teach.
select academic_year, staff_id, sum(is_headcount) as heads
from {{ ref('int_teachers_on_census_date') }}
group by academic_year, staff_id
having sum(is_headcount) <> 1
