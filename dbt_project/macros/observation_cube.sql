{#
  One indicator's rows of marts/open/observations, with every total ("complete the matrix").

  parts: facts whose additive numerator and denominator are summed; a ratio of two relations
         (pupils / teachers) is two parts, one contributing the numerator, one the denominator.
         Each part: {relation, numerator, denominator, where (optional), dimensions: {name: sql}}
         and the relation has academic_year, district_code, oblast_code and census_date (or
         the column named by the part's reference_date).
  breakdowns: lists of dimension names; for each, every subset is grouped, so each breakdown
         comes with its totals (_T) at district, oblast and national level. Dimensions the
         indicator does not use are _Z (not applicable); a missing value is _U (unknown).
#}
{% macro observation_dimensions() %}
    {{ return(['sex', 'level', 'grade', 'locality', 'ownership', 'language', 'org_type', 'disability',
               'setting', 'subject']) }}
{% endmacro %}

{% macro observation_cube(indicator_id, parts, breakdowns) %}
    {%- if observation_rows_kept(parts) %}
    select
        indicator_id, academic_year, reference_date, geographic_level, territory_code,
        {{ observation_dimensions() | join(', ') }},
        numerator, denominator
    from {{ this }}
    where indicator_id = '{{ indicator_id }}'
    {%- else -%}
    {%- set used = [] -%}
    {%- set subsets = [] -%}
    {%- for breakdown in breakdowns -%}
        {%- for dimension in breakdown -%}
            {%- if dimension not in used %}{% do used.append(dimension) %}{% endif -%}
        {%- endfor -%}
        {%- for mask in range(2 ** (breakdown | length)) -%}
            {%- set chosen = [] -%}
            {%- for position in range(breakdown | length) -%}
                {%- if (mask // (2 ** position)) % 2 == 1 %}{% do chosen.append(breakdown[position]) %}{% endif -%}
            {%- endfor -%}
            {%- set key = chosen | sort | join(',') -%}
            {#- A grade means nothing without its level: no total over levels by grade. -#}
            {%- set orphan_grade = 'grade' in chosen and 'level' not in chosen -%}
            {%- if key not in subsets and not orphan_grade %}{% do subsets.append(key) %}{% endif -%}
        {%- endfor -%}
    {%- endfor -%}
    {%- set grouping_sets = [] -%}
    {%- for geography in [['oblast_code', 'district_code'], ['oblast_code'], []] -%}
        {%- for key in subsets -%}
            {%- set columns = ['academic_year', 'reference_date'] + geography + (key.split(',') if key else []) -%}
            {%- do grouping_sets.append('(' ~ (columns | join(', ')) ~ ')') -%}
        {%- endfor -%}
    {%- endfor %}
    select
        '{{ indicator_id }}' as indicator_id,
        fact.academic_year,
        fact.reference_date,
        case
            when grouping(fact.district_code) = 0 then 'district'
            when grouping(fact.oblast_code) = 0 then 'oblast'
            else 'national'
        end as geographic_level,
        case
            when grouping(fact.district_code) = 0 then fact.district_code
            when grouping(fact.oblast_code) = 0 then fact.oblast_code
            else 'KG'
        end as territory_code,
        {%- for dimension in observation_dimensions() %}
        {%- if dimension in used %}
        case when grouping(fact.{{ dimension }}) = 1 then '_T' else fact.{{ dimension }} end as {{ dimension }},
        {%- else %}
        '_Z' as {{ dimension }},
        {%- endif %}
        {%- endfor %}
        cast(sum(fact.numerator) as numeric(18, 2)) as numerator,
        cast(sum(fact.denominator) as numeric(18, 2)) as denominator
    {#- Summed to the finest cell first: every grouping set then reads those cells, not the
        learner rows (millions) once per set; the sums are of the same terms. #}
    from (
        select
            academic_year,
            reference_date,
            district_code,
            oblast_code,
            {%- for dimension in used %}
            {{ dimension }},
            {%- endfor %}
            sum(numerator) as numerator,
            sum(denominator) as denominator
        from (
        {%- for part in parts %}
        select
            academic_year,
            {{ part.get('reference_date', 'census_date') }} as reference_date,
            district_code,
            oblast_code,
            {%- for dimension in used %}
            coalesce(cast({{ part.dimensions.get(dimension, "'_Z'") }} as varchar), '_U') as {{ dimension }},
            {%- endfor %}
            {{ part.numerator }} as numerator,
            {{ part.denominator }} as denominator
        from {{ part.relation }}
        {%- if part.get('where') %}
        where {{ part.where }}
        {%- endif %}
        {% if not loop.last %}union all{% endif %}
        {%- endfor %}
        ) as fact_row
        group by
            academic_year,
            reference_date,
            district_code,
            {{ (['oblast_code'] + used) | join(', ') }}
    ) as fact
    group by grouping sets (
        {{ grouping_sets | join(',\n        ') }}
    )
    {%- endif %}
{% endmacro %}


{#
  Whether an indicator's rows are taken from the table as the last build left it: an
  incremental build that kept the census-date models (warehouse/census_date.py tells dbt by
  EMIS_CENSUS_DATE_KEPT) changed none of the rows of an indicator whose every part reads one
  of them (tag census_date), so only the indicators of the days (marks, attendance) are
  recomputed.
#}
{% macro observation_rows_kept(parts) %}
    {%- if not execute or env_var('EMIS_CENSUS_DATE_KEPT', '') != '1' -%}
        {{ return(false) }}
    {%- endif -%}
    {%- if load_relation(this) is none -%}
        {{ return(false) }}
    {%- endif -%}
    {%- for part in parts -%}
        {%- if not is_census_date_model(part.relation) -%}
            {{ return(false) }}
        {%- endif -%}
    {%- endfor -%}
    {{ return(true) }}
{% endmacro %}


{% macro is_census_date_model(relation) %}
    {%- for node in graph.nodes.values() -%}
        {%- if node.resource_type == 'model' and node.alias == relation.identifier -%}
            {{ return('census_date' in node.tags) }}
        {%- endif -%}
    {%- endfor -%}
    {{ return(false) }}
{% endmacro %}
