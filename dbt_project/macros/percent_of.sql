{# A percentage rounded to one decimal (numeric(5, 1)); null when the denominator is 0. #}
{% macro percent_of(numerator, denominator) -%}
    cast(round(100.0 * {{ numerator }} / nullif({{ denominator }}, 0), 1) as numeric(5, 1))
{%- endmacro %}

{# A 0-100 score rounded to one decimal (numeric(5, 1)). #}
{% macro rounded_score(expression) -%}
    cast(round(cast({{ expression }} as numeric), 1) as numeric(5, 1))
{%- endmacro %}
