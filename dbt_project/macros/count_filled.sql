{# How many of these columns a row has filled: not null, and for has_ flags, true. #}
{% macro count_filled(columns, relation) -%}
    {%- for column in columns -%}
        case
            when {{ relation }}.{{ column }} is null then 0
            {%- if column.startswith('has_') %}
            when not {{ relation }}.{{ column }} then 0
            {%- endif %}
            else 1
        end{% if not loop.last %} + {% endif %}
    {%- endfor -%}
{%- endmacro %}
