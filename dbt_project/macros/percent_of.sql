{# A percentage rounded to one decimal (numeric(5, 1)); null when the denominator is 0. #}
{% macro percent_of(numerator, denominator) -%}
    cast(round(100.0 * {{ numerator }} / nullif({{ denominator }}, 0), 1) as numeric(5, 1))
{%- endmacro %}

{# A 0-100 score rounded to one decimal (numeric(5, 1)), half away from zero. Cast first to
   ten decimals, not to a plain `numeric`: DuckDB's is DECIMAL(18, 3), which rounded 74.9499
   to 74.950 and then to 75.0 (89 of 4,692 national organizations differed from PostgreSQL). #}
{% macro rounded_score(expression) -%}
    cast(round(cast({{ expression }} as numeric(38, 10)), 1) as numeric(5, 1))
{%- endmacro %}
