{# Whole days from one date (or timestamp's day) to another, as an integer on both engines. #}
{% macro days_between(start, end) -%}
    cast(cast({{ end }} as date) - cast({{ start }} as date) as integer)
{%- endmacro %}
