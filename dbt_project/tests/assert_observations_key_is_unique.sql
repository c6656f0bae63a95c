-- One observation per indicator, year, territory and combination of breakdown codes.
{% set key = ['indicator_id', 'academic_year', 'geographic_level', 'territory_code']
             + observation_dimensions() %}
select {{ key | join(', ') }}, count(*) as copies
from {{ ref('observations') }}
group by {{ key | join(', ') }}
having count(*) > 1
