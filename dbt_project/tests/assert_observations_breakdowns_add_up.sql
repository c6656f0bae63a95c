-- Within every breakdown, the categories (unknown _U included) sum to their total (_T), for
-- numerators and denominators, at every territory level. Grades sum within their level.
{% set dimensions = observation_dimensions() %}
with observations as (
    -- Only additive indicators: an index such as the GPI does not sum.
    select observations.*
    from {{ ref('observations') }} as observations
    inner join {{ ref('indicators') }} as indicators
        on observations.indicator_id = indicators.indicator_id
    where indicators.is_additive
),

{% for dimension in dimensions %}
{% set others = dimensions | reject('equalto', dimension) | list %}
{{ dimension }}_summed as (
    select
        '{{ dimension }}' as dimension,
        indicator_id, academic_year, reference_date, geographic_level, territory_code,
        {{ others | join(', ') }},
        sum(numerator) as numerator,
        sum(denominator) as denominator
    from observations
    where {{ dimension }} not in ('_T', '_Z')
        {%- if dimension == 'level' %}
        and grade in ('_T', '_Z')  -- a grade nests in its level: no total over levels by grade
        {%- endif %}
    group by
        indicator_id, academic_year, reference_date, geographic_level, territory_code,
        {{ others | join(', ') }}
),

{{ dimension }}_mismatches as (
    select {{ dimension }}_summed.dimension, {{ dimension }}_summed.indicator_id,
           {{ dimension }}_summed.academic_year, {{ dimension }}_summed.territory_code,
           {{ dimension }}_summed.numerator, totals.numerator as total_numerator
    from {{ dimension }}_summed
    left join observations as totals
        on {{ dimension }}_summed.indicator_id = totals.indicator_id
        and {{ dimension }}_summed.academic_year = totals.academic_year
        and {{ dimension }}_summed.reference_date = totals.reference_date
        and {{ dimension }}_summed.geographic_level = totals.geographic_level
        and {{ dimension }}_summed.territory_code = totals.territory_code
        and totals.{{ dimension }} = '_T'
        {%- for other in others %}
        and {{ dimension }}_summed.{{ other }} = totals.{{ other }}
        {%- endfor %}
    where
        totals.indicator_id is null
        or {{ dimension }}_summed.numerator <> totals.numerator
        or {{ dimension }}_summed.denominator <> totals.denominator
),
{% endfor %}

final as (
    {% for dimension in dimensions %}
    select * from {{ dimension }}_mismatches
    {% if not loop.last %}union all{% endif %}
    {% endfor %}
)

select * from final
