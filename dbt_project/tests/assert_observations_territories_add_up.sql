-- Additive figures (numerators and denominators) of the districts sum to their oblast, and the
-- oblasts to the republic, for every indicator and combination of breakdown codes.
{% set dimensions = observation_dimensions() %}
with observations as (
    -- Only additive indicators: an index such as the GPI does not sum.
    select observations.*
    from {{ ref('observations') }} as observations
    inner join {{ ref('indicators') }} as indicators
        on observations.indicator_id = indicators.indicator_id
    where indicators.is_additive
),

territories as (
    select distinct district_code, oblast_code from {{ ref('territories') }}
),

parents as (
    select
        observations.*,
        case observations.geographic_level
            when 'district' then territories.oblast_code
            when 'oblast' then 'KG'
        end as parent_code,
        case observations.geographic_level
            when 'district' then 'oblast'
            when 'oblast' then 'national'
        end as parent_level
    from observations
    left join territories on observations.territory_code = territories.district_code
    where observations.geographic_level in ('district', 'oblast')
),

children_summed as (
    select
        indicator_id, academic_year, reference_date, parent_level, parent_code,
        {{ dimensions | join(', ') }},
        sum(numerator) as numerator,
        sum(denominator) as denominator
    from parents
    group by
        indicator_id, academic_year, reference_date, parent_level, parent_code,
        {{ dimensions | join(', ') }}
)

select children_summed.*, observations.numerator as parent_numerator
from children_summed
left join observations
    on children_summed.indicator_id = observations.indicator_id
    and children_summed.academic_year = observations.academic_year
    and children_summed.reference_date = observations.reference_date
    and children_summed.parent_level = observations.geographic_level
    and children_summed.parent_code = observations.territory_code
    {%- for dimension in dimensions %}
    and children_summed.{{ dimension }} = observations.{{ dimension }}
    {%- endfor %}
where
    observations.indicator_id is null
    or children_summed.numerator <> observations.numerator
    or children_summed.denominator <> observations.denominator
