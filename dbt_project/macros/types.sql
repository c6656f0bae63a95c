{# A double-precision float on both engines (dbt.type_float() is a 4-byte real on DuckDB). #}
{% macro type_double() -%}
    {{ return(adapter.dispatch('type_double', 'emis')()) }}
{%- endmacro %}

{% macro default__type_double() -%}double precision{%- endmacro %}

{% macro duckdb__type_double() -%}double{%- endmacro %}
