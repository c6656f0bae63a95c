-- One observation per indicator, year, reference date (monthly figures have several),
-- territory and combination of breakdown codes.
{% set key = ['indicator_id', 'academic_year', 'reference_date', 'geographic_level', 'territory_code']
             + observation_dimensions() %}
select {{ key | join(', ') }}, count(*) as copies
from {{ ref('observations') }}
group by {{ key | join(', ') }}
having count(*) > 1
